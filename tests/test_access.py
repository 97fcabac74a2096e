"""Access control in the app: every page x role through AppTest with a signed-in user (Streamlit's st.user
seeded by AppTest), local mode, unknown users, hidden pages reached directly, exports and drill-through."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import audit, db
from cx_metrics.config import Settings
from tests.conftest import app_db, as_shown

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": secrets.token_urlsafe(48),
        "client_id": "cx", "client_secret": "test-only", "server_metadata_url":
        "http://127.0.0.1:1/.well-known/openid-configuration"}
#: page -> the roles that may open it
PAGES = {
    "views/overview.py": {"executive", "cx_lead", "analyst", "admin"},
    "views/complaints.py": {"executive", "cx_lead", "analyst", "admin"},
    "views/resolution.py": {"executive", "cx_lead", "analyst", "admin"},
    "views/definitions.py": {"executive", "cx_lead", "analyst", "admin"},
    "views/surveys.py": {"executive", "cx_lead", "analyst", "admin"},
    "views/churn.py": {"executive", "cx_lead", "analyst", "admin"},
    "views/themes.py": {"executive", "cx_lead", "analyst", "admin"},
    "views/cohorts.py": {"analyst", "admin"},
    "views/upload.py": {"cx_lead", "admin"},
    "views/data_status.py": {"cx_lead", "admin"},
    "views/admin.py": {"admin"},
    "views/digests.py": {"cx_lead", "admin"},
    "views/followups.py": {"executive", "cx_lead", "analyst", "admin"},
}


def test_every_page_file_is_checked() -> None:
    assert set(PAGES) == {f"views/{p.name}" for p in (ROOT / "views").glob("*.py")}


def _app(monkeypatch: pytest.MonkeyPatch, path: Path, email: str | None, roles: object = None,
         script: str = "dashboard.py") -> AppTest:
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    at.secrets["auth"] = AUTH
    if email is None:
        at.user = {"is_logged_in": False}
    else:
        at.user = {"is_logged_in": True, "email": email, "email_verified": True, "name": email.split("@")[0],
                   **({"roles": roles} if roles is not None else {})}
    return at


def _not_allowed(at: AppTest) -> bool:
    return any("Not allowed" in e.value for e in at.error)


@pytest.mark.parametrize("role", ["executive", "cx_lead", "analyst", "admin"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_for_every_role(monkeypatch: pytest.MonkeyPatch, app_db_path: Path, page: str, role: str) -> None:
    at = _app(monkeypatch, app_db_path, f"{role}@example.com", roles=[role]).run()
    assert not at.exception, at.exception
    if role in PAGES[page]:
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert not _not_allowed(at), [e.value for e in at.error]
        return
    at.switch_page(page).run()  # registered but hidden from the menu: opened by its URL it says "not allowed"
    assert not at.exception, at.exception
    assert _not_allowed(at)
    assert not at.main.dataframe and not at.main.metric and not at.main.get("plotly_chart")
    # ... and so does the page file run on its own (defence in depth: the router is not a page's only guard)
    direct = _app(monkeypatch, app_db_path, f"{role}@example.com", roles=[role], script=page).run()
    assert not direct.exception, direct.exception
    assert _not_allowed(direct)
    assert not direct.dataframe and not direct.metric and not direct.get("plotly_chart")  # no data at all


def test_signed_out_sees_only_the_sign_in(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path, None).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe
    direct = _app(monkeypatch, app_db_path, None, script="views/overview.py").run()  # reached by its URL
    assert any("sign in" in w.value for w in direct.warning)
    assert not direct.metric and not direct.dataframe


def test_unknown_user_gets_no_data_and_is_audited(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path, "stranger@example.com").run()
    assert any("no role here yet" in e.value for e in at.error)
    assert not at.metric and not at.dataframe
    direct = _app(monkeypatch, app_db_path, "stranger@example.com", script="views/resolution.py").run()
    assert _not_allowed(direct) and not direct.dataframe
    with app_db(app_db_path) as conn:
        log = audit.recent(conn)
    assert ((log["actor"] == "stranger@example.com") & (log["action"] == "login_refused")).any()


def test_role_from_the_email_table_and_admin_bootstrap(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    with db.shared(Settings().with_db(app_db_path)).writing() as conn:  # the app's own connection, as an admin would
        audit.set_role(conn, "Lead@Example.com", "cx_lead", by="test")
    at = _app(monkeypatch, app_db_path, "lead@example.com").run()  # no claim: the table decides
    at.switch_page("views/upload.py").run()
    assert not _not_allowed(at)
    monkeypatch.setenv("CX_ADMINS", "boss@example.com")
    at = _app(monkeypatch, app_db_path, "boss@example.com", roles=["executive"]).run()
    at.switch_page("views/admin.py").run()
    assert not _not_allowed(at) and at.title[0].value == "Users and audit log"


def test_drill_through_and_exports_follow_the_role(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path, "exec@example.com", roles="executive").run()
    at.switch_page("views/complaints.py").run()
    assert not any("Ticket" in d.value.columns for d in at.dataframe)
    assert not at.get("download_button")
    assert any("need the analyst role" in c.value for c in at.caption)
    at = _app(monkeypatch, app_db_path, "ana@example.com", roles=["analyst"]).run()
    at.switch_page("views/complaints.py").run()
    assert any("Ticket" in d.value.columns for d in at.dataframe)
    assert at.get("download_button")


def test_verbatims_need_the_analyst_role(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path, "exec@example.com", roles="executive").run()
    at.switch_page("views/surveys.py").run()
    assert any("Verbatim comments, and searching them, need the analyst role" in i.value for i in at.info)
    assert not any("Comment" in d.value.columns and len(d.value) for d in at.dataframe)
    at = _app(monkeypatch, app_db_path, "ana@example.com", roles="analyst").run()
    at.switch_page("views/surveys.py").run()
    assert any("Comment" in d.value.columns and len(d.value) for d in at.dataframe)


def test_admin_changes_a_role_and_it_is_audited(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path, "root@example.com", roles=["admin"]).run()
    at.switch_page("views/admin.py").run()
    at.text_input(key="admin_email").input("new.analyst@example.com")
    at.selectbox(key="admin_role").set_value("analyst")
    next(b for b in at.button if b.label == "Save").click().run()  # the form's, not the sidebar's Sign out
    assert not at.exception
    shown = [as_shown(s.value) for s in at.success]
    assert any("new.analyst@example.com: analyst" in text for text in shown)
    with app_db(app_db_path) as conn:
        assert audit.role_of(conn, "new.analyst@example.com") == "analyst"
        log = audit.recent(conn)
    change = log[log["action"] == "role_change"].iloc[0]
    assert change["actor"] == "root@example.com" and "new.analyst@example.com" in change["detail"]


@pytest.fixture
def bound_to(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str | None], None]]:
    """Set Streamlit's server.address for the AppTests of one test (None: unset, which binds every interface)."""
    from streamlit import config

    original = config.get_option("server.address")
    yield lambda address: config.set_option("server.address", address)
    config.set_option("server.address", original)


def test_local_mode_banner_and_non_loopback_refusal(monkeypatch: pytest.MonkeyPatch, app_db_path: Path,
                                                    bound_to: Callable[[str | None], None]) -> None:
    monkeypatch.setenv("CX_DB_PATH", str(app_db_path))
    bound_to("127.0.0.1")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert any("Local mode" in i.value for i in at.sidebar.info)
    assert at.metric  # the local user sees the overview
    bound_to("0.0.0.0")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert any("will not serve on 0.0.0.0" in e.value for e in at.error)
    assert not at.metric and not at.dataframe


@pytest.mark.parametrize("address", ["0.0.0.0", "192.0.2.10", "::", None])
@pytest.mark.parametrize("page", list(PAGES))
def test_local_mode_off_loopback_refuses_in_every_page_itself(
        monkeypatch: pytest.MonkeyPatch, app_db_path: Path, bound_to: Callable[[str | None], None], page: str,
        address: str | None) -> None:
    """Each page file run on its own (as Streamlit runs it for a URL before dashboard.py has routed once) refuses:
    the gate is in auth.require, not only in dashboard.py. An unset address binds every interface."""
    monkeypatch.setenv("CX_DB_PATH", str(app_db_path))
    bound_to(address)
    at = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
    assert not at.exception, at.exception
    assert any("will not serve on" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.dataframe and not at.metric and not at.get("plotly_chart") and not at.get("file_uploader")
    assert not at.get("download_button") and not at.text_input


def test_allow_unauthenticated_is_an_explicit_choice(monkeypatch: pytest.MonkeyPatch, app_db_path: Path,
                                                    bound_to: Callable[[str | None], None]) -> None:
    monkeypatch.setenv("CX_DB_PATH", str(app_db_path))
    monkeypatch.setenv("CX_ALLOW_UNAUTHENTICATED", "true")
    bound_to("0.0.0.0")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert at.metric and any("allow_unauthenticated" in w.value for w in at.sidebar.warning)


@pytest.mark.parametrize("secret", ["", "a long random string", "changeme", "short-but-random-Xy7",
                                    "a-test-only-cookie-secret-of-enough-length", "x" * 64, "0123456789" * 4])
def test_weak_or_placeholder_cookie_secrets_are_refused(secret: str) -> None:
    from cx_ui.auth import weak_secret

    assert weak_secret(secret) is not None


def test_generated_cookie_secrets_are_accepted() -> None:
    from cx_ui.auth import weak_secret

    assert all(weak_secret(secrets.token_urlsafe(48)) is None for _ in range(2_000))
    assert weak_secret(secrets.token_hex(32)) is None


def test_weak_cookie_secret_refuses_every_page(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    monkeypatch.setenv("CX_DB_PATH", str(app_db_path))
    for script in ("dashboard.py", "views/admin.py"):
        at = AppTest.from_file(str(ROOT / script), default_timeout=60)
        at.secrets["auth"] = {**AUTH, "cookie_secret": "a long random string"}
        at.user = {"is_logged_in": True, "email": "a@example.com", "email_verified": True, "roles": ["admin"]}
        at.run()
        assert any("cookie_secret" in e.value and "will not serve" in e.value for e in at.error)
        assert not at.dataframe and not at.metric
