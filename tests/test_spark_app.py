"""The dashboard on the Spark engine with sign-in: the pages that need the dashboard's own state say so.

Follow-ups, themes, roles, the audit log, subscriptions and alerts live in the DuckDB file; a dashboard whose data
comes from Spark does not hold them. Their pages (and the Overview's follow-up tile) must say that in a sentence
instead of showing figures computed on empty stand-ins (no follow-up ever made) or a traceback, and a sign-in must
not stop at the audit log it cannot write. Runs on the Spark tier's one local session (AppTest, in this process).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import db
from cx_metrics.config import Settings

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": secrets.token_urlsafe(48),
        "client_id": "cx", "client_secret": "test-only", "server_metadata_url":
        "http://127.0.0.1:1/.well-known/openid-configuration"}
STATE_SENTENCE = "live in the DuckDB file"


@pytest.fixture
def spark_app(monkeypatch: pytest.MonkeyPatch, rich_lake: tuple[Path, Path], spark_conn: object,
              tmp_path: Path) -> AppTest:
    """dashboard.py on the rich fixture's lake, through the run's local Spark session (the same session settings as
    ``spark_conn``, so no second JVM), signed in as an admin by the identity provider's role claim."""
    toml = tmp_path / "cx.toml"
    toml.write_text(f'[engine]\nkind = "spark"\nlake = "{rich_lake[1]}"\nmaster = "local[2]"\n'
                    'driver_memory = "768m"\nshuffle_partitions = 2\n', encoding="utf-8")
    monkeypatch.setenv("CX_CONFIG", str(toml))
    monkeypatch.setenv("CX_DB_PATH", str(rich_lake[0]))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "ada@example.com", "email_verified": True, "name": "Ada",
               "roles": ["admin"], "iss": "https://idp.example", "sub": "ada", "iat": 1_900_000_000}
    return at


def _audit_rows(path: Path) -> int:
    conn = db.connect(Settings().with_db(path), read_only=True)
    try:
        return int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])  # type: ignore[index]
    finally:
        conn.close()


def test_overview_on_spark_with_sign_in(spark_app: AppTest, rich_lake: tuple[Path, Path]) -> None:
    """The seven KPI tiles are drawn from Spark; the follow-up tile, which needs the follow-ups kept in DuckDB, is
    replaced by the sentence; the sign-in is not audited (the README says so) and stops nothing."""
    before = _audit_rows(rich_lake[0])
    spark_app.run()
    assert not spark_app.exception, [e.value for e in spark_app.exception]
    assert not spark_app.error, [e.value for e in spark_app.error]
    assert len(spark_app.metric) >= 7
    assert any(STATE_SENTENCE in i.value for i in spark_app.info), [i.value for i in spark_app.info]
    assert _audit_rows(rich_lake[0]) == before


@pytest.mark.parametrize("page", ["views/followups.py", "views/admin.py", "views/digests.py", "views/themes.py"])
def test_pages_of_the_dashboards_own_state_say_why(spark_app: AppTest, page: str) -> None:
    spark_app.switch_page(page)
    spark_app.run()
    assert not spark_app.exception, [e.value for e in spark_app.exception]
    assert any(STATE_SENTENCE in i.value for i in spark_app.info), [i.value for i in spark_app.info]
