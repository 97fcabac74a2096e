"""What each signed-in person sees, in a real server and headless Chromium, with a mock OpenID Connect provider on
loopback (issue 16 items 2, 4, 6, 12 and the once-per-sign-in login audit):

* an executive reads no free-text survey answer, name or phone number, cannot search comments, sees no theme
  example; an analyst's comment search does not match inside a redacted e-mail (item 2);
* an unverified ``email`` claim, or a ``sub`` that is an admin's address, is not that admin, and the audit log
  tells them apart (item 4);
* a role removed at the identity provider ends with the ID token: the next session asks to sign in again and gets
  the new role; a placeholder cookie secret is refused at start (item 6);
* a page the role may not open says "Not allowed" when opened by URL (item 12);
* a sign-in is audited once, not on every page load (item 11).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from cx_metrics.models import theme_store
from cx_ui.auth import CLOCK_LEEWAY
from cx_ui.serve import free_port, running_server
from tests.oidc_mock import provider, secrets_file, set_claims, sign_in

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

METRIC = '[data-testid="stMetric"]'
USERS = [
    {"sub": "eve", "email": "eve@example.com", "email_verified": True, "name": "Eve Executive",
     "roles": ["executive"]},
    {"sub": "ana", "email": "ana@example.com", "email_verified": True, "name": "Ana Analyst", "roles": ["analyst"]},
    {"sub": "boss", "email": "boss@example.com", "email_verified": True, "name": "The Boss"},
    # claims the boss's address without the provider having verified it
    {"sub": "mallory", "email": "boss@example.com", "email_verified": False, "name": "Mallory"},
    # a subject that looks like an admin's address, and no e-mail at all
    {"sub": "root@example.com", "name": "Not Root"},
]
ADMINS = "boss@example.com,root@example.com"
PII_NAME = "Jane Roe"
PII_EMAIL = "jane.roe@example.com"


@pytest.fixture(scope="module")
def idp() -> Iterator[str]:
    with provider(USERS) as url:
        yield url


@pytest.fixture(scope="module")
def seeded_db(themed_demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The themed demo database plus what an older import stored: a survey with a name question and free text,
    and a comment holding an e-mail address."""
    path = tmp_path_factory.mktemp("roles") / "seeded.duckdb"
    shutil.copyfile(themed_demo_path, path)
    conn = duckdb.connect(str(path))
    rows = []
    for i in range(40):
        rows += [("qualtrics", f"r{i}", "Onboarding survey", "QID1", "Which plan are you on?",
                  "Pro" if i < 35 else "Basic", "2026-10-01"),
                 ("qualtrics", f"r{i}", "Onboarding survey", "QID2", "Full name", f"{PII_NAME} {i}", "2026-10-01"),
                 ("qualtrics", f"r{i}", "Onboarding survey", "QID3", "Anything else?",
                  f"Free text number {i} about my account", "2026-10-01")]
    conn.executemany("INSERT INTO survey_answers (source, response_id, survey_name, question_id, question, answer, "
                     "responded_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("INSERT INTO survey_responses (source, response_id, survey_name, responded_at, metric, score, "
                 "scale_min, scale_max, comment) VALUES ('qualtrics', 'c1', 'Quarterly NPS', '2026-11-10 10:00', "
                 f"'nps', 3, 0, 10, 'Zanzibar: call me back at {PII_EMAIL} please')")
    conn.close()
    return path


@contextmanager
def dashboard(db_path: Path, idp_url: str, folder: Path, **env: str) -> Iterator[str]:
    port = free_port()
    secrets = secrets_file(folder, port, idp_url)
    with running_server(db_path, port=port, secrets=secrets, env={"CX_ADMINS": ADMINS, **env}) as server:
        yield server.url


@pytest.fixture(scope="module")
def served(seeded_db: Path, idp: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # its own copy: the sign-ins it audits must not reach the tests that copy seeded_db and count logins (the
    # dashboard writes them back to the file as soon as it returns to read-only)
    folder = tmp_path_factory.mktemp("served")
    path = folder / "served.duckdb"
    shutil.copyfile(seeded_db, path)
    with dashboard(path, idp, folder) as url:
        yield url


def _idle(page: object) -> None:
    """Wait until the app has finished running (Streamlit shows its status widget while a script runs)."""
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(500)  # type: ignore[attr-defined]


def _open(page: object, url: str, wait_text: str) -> str:
    page.goto(url)  # type: ignore[attr-defined]
    page.get_by_text(wait_text).first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    _idle(page)
    return str(page.content())  # type: ignore[attr-defined]


def _content_with(page: object, text: str) -> str:
    """The page's HTML once it holds ``text`` (a grid's cells reach the DOM a moment after the run ends)."""
    deadline = time.monotonic() + 30
    while True:
        html = str(page.content())  # type: ignore[attr-defined]
        if text in html or time.monotonic() > deadline:
            return html
        page.wait_for_timeout(500)  # type: ignore[attr-defined]


def _pick(page: object, combobox: str, option: str) -> None:
    choice = page.get_by_role("option", name=option)  # type: ignore[attr-defined]
    for _ in range(3):  # a rerun that lands while the list is open closes it: open it again
        _idle(page)
        page.get_by_role("combobox", name=combobox).click()  # type: ignore[attr-defined]
        try:
            choice.click(timeout=5_000)
            break
        except sync_api.TimeoutError:
            continue
    _idle(page)


def test_executive_reads_no_answer_text_and_cannot_search(browser: object, served: str, theme_examples: list[str],
                                                          tmp_path: Path) -> None:
    page = sign_in(browser, served, "eve", wait_for=METRIC, width=3000)  # wide: every grid column is drawn
    _open(page, f"{served}/surveys", "Answers of survey")
    assert page.get_by_role("textbox", name="Comment contains").count() == 0  # no search to test e-mails with
    assert "Verbatim comments, and searching them, need the analyst role" in page.locator("body").inner_text()
    _pick(page, "Answers of survey", "Onboarding survey (qualtrics)")
    html = _content_with(page, "answers given by fewer than 30 respondents each")
    page.screenshot(path=str(tmp_path / "executive-surveys.png"), full_page=True)
    assert PII_NAME not in html and "Free text number" not in html and PII_EMAIL not in html
    assert "answers given by fewer than 30 respondents each" in html  # counted, not shown
    assert "Which plan are you on?" in html  # the common answers are still there
    _open(page, f"{served}/themes", "Rename, pin or merge a theme")
    page.get_by_text("Rename, pin or merge a theme").click()  # its examples, when shown, are quoted there
    _idle(page)
    html = page.content()
    page.screenshot(path=str(tmp_path / "executive-themes.png"), full_page=True)
    assert "(needs the analyst role)" in html
    for example in theme_examples:
        assert example not in html, example
    page.context.close()


def test_analyst_search_does_not_match_inside_redacted_text(browser: object, served: str) -> None:
    page = sign_in(browser, served, "ana", wait_for=METRIC)
    _open(page, f"{served}/surveys", "Comment contains")
    search = page.get_by_role("textbox", name="Comment contains")
    search.fill("Zanzibar")
    search.press("Enter")
    page.get_by_text(re.compile(r"^1 comments \(")).wait_for(timeout=30_000)  # there, its address redacted
    assert PII_EMAIL not in page.content()
    search.fill("jane.roe")
    search.press("Enter")
    page.get_by_text(re.compile(r"^0 comments \(")).wait_for(timeout=30_000)  # not inside the redacted address
    page.context.close()


def test_hidden_page_by_url_says_not_allowed(browser: object, served: str, tmp_path: Path) -> None:
    page = sign_in(browser, served, "eve", wait_for=METRIC)
    page.goto(f"{served}/upload")
    page.get_by_text("Not allowed").wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "executive-upload.png"), full_page=True)
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert page.url.endswith("/upload")  # no silent redirect
    page.context.close()


@pytest.fixture(scope="module")
def theme_examples(seeded_db: Path) -> list[str]:
    """The example texts the Themes page would show an analyst."""
    conn = duckdb.connect(str(seeded_db), read_only=True)
    try:
        catalog = theme_store.catalog(conn)
    finally:
        conn.close()
    examples = sorted({e for ex in catalog["examples"] for e in ex if len(e) > 20})
    assert examples
    return examples


def _audit(path: Path) -> list[dict[str, object]]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        rows = conn.execute("SELECT actor, action, detail FROM audit_log ORDER BY event_id").fetchall()
    finally:
        conn.close()
    return [{"actor": a, "action": b, **json.loads(c)} for a, b, c in rows]


def test_unverified_addresses_are_not_the_admin_and_the_log_tells_them_apart(
        browser: object, idp: str, seeded_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "own.duckdb"
    shutil.copyfile(seeded_db, path)
    with dashboard(path, idp, tmp_path) as url:
        for sub in ("mallory", "root@example.com"):
            page = sign_in(browser, url, sub)
            page.get_by_text("no role here yet").wait_for(timeout=60_000)
            assert "verified e-mail" in page.locator("body").inner_text()
            assert page.locator(METRIC).count() == 0
            page.context.close()
        page = sign_in(browser, url, "boss", wait_for=METRIC)  # the real boss, verified
        assert "Users and audit log" in page.locator('[data-testid="stSidebarNav"]').inner_text()
        for extra in ("overview", "complaints", "resolution"):  # more pages, more sessions: not more logins
            _open(page, f"{url}/{extra}", "Signed in as")
        page.context.close()
    log = _audit(path)
    refused = [r for r in log if r["action"] == "login_refused"]
    assert {r["sub"] for r in refused} == {"mallory", "root@example.com"}
    assert all(r["actor"] != "boss@example.com" and r["role"] is None for r in refused)
    assert next(r for r in refused if r["sub"] == "mallory")["email_verified"] is False
    logins = [r for r in log if r["action"] == "login"]
    assert [(r["actor"], r["role"], r["sub"]) for r in logins] == [("boss@example.com", "admin", "boss")]


def test_a_role_removed_at_the_provider_ends_with_the_token(browser: object, seeded_db: Path, tmp_path: Path) -> None:
    rita = {"sub": "rita", "email": "rita@example.com", "email_verified": True, "name": "Rita", "roles": ["analyst"]}
    path = tmp_path / "own.duckdb"
    shutil.copyfile(seeded_db, path)
    with provider([rita], token_max_age=1) as idp_url, dashboard(path, idp_url, tmp_path) as url:
        page = sign_in(browser, url, "rita", wait_for=METRIC)
        nav = page.locator('[data-testid="stSidebarNav"]')
        assert "Cohorts" in nav.inner_text()
        set_claims(idp_url, "rita", {**rita, "roles": ["executive"]})  # the provider takes the analyst role away
        time.sleep(CLOCK_LEEWAY + 2)  # the ID token (1 s) has expired
        page.goto(url)  # a new session
        page.get_by_text("Your sign-in has expired").wait_for(timeout=60_000)
        assert page.locator(METRIC).count() == 0
        page.get_by_role("button", name="Sign in again").click()
        page.get_by_role("button", name="rita", exact=True).click(timeout=30_000)
        page.locator(METRIC).first.wait_for(timeout=60_000)
        assert "Cohorts" not in page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "(executive)" in page.locator('[data-testid="stSidebar"]').inner_text()
        page.context.close()


@pytest.mark.parametrize("secret", ["a long random string", "change-me-to-a-long-random-cookie-secret-please"])
def test_a_placeholder_cookie_secret_is_refused_at_start(browser: object, idp: str, seeded_db: Path,
                                                         tmp_path: Path, secret: str) -> None:
    path = tmp_path / "own.duckdb"
    shutil.copyfile(seeded_db, path)
    port = free_port()
    secrets = secrets_file(tmp_path, port, idp, cookie_secret=secret)
    with running_server(path, port=port, secrets=secrets) as server:
        page = browser.new_page()  # type: ignore[attr-defined]
        for where in ("overview", ""):  # a page URL as the first session, then the dashboard
            page.goto(f"{server.url}/{where}")
            page.get_by_text("will not serve").wait_for(timeout=60_000)
            assert "cookie_secret" in page.locator("body").inner_text()
            assert page.get_by_role("button", name="Sign in").count() == 0 and page.locator(METRIC).count() == 0
        page.close()
