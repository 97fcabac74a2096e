"""The audit trail says what happened, once (issue 16 item 11): a demo rebuild that replaces imported data is
recorded with what it removed and leaves nothing of it behind; a sign-in is one login, however many pages open."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import audit, cli, db
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.normalize import Options
from tests.conftest import app_db

ROOT = Path(__file__).resolve().parent.parent
SURVEY = ("Response ID,Recorded Date,Email,How likely are you to recommend us?,Which plan are you on?,Why?\n"
          "a,2026-03-02 09:00,ada@example.com,9,Pro,fast support\n"
          "b,2026-03-03 09:00,bob@example.com,4,Basic,slow answers\n")
TICKETS = "Ticket ID,Created at,Status\nT1,2026-03-02 09:00,open\nT2,2026-03-03 09:00,open\n"


def test_demo_force_is_audited_and_leaves_no_orphans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "real.duckdb"
    conn = db.connect(Settings().with_db(path))
    try:
        for text, name in ((SURVEY, "survey.csv"), (TICKETS, "tickets.csv"),
                           (TICKETS.replace("open", "solved"), "tickets-later.csv")):  # a newer version: replaced
            ingest.load(conn, ingest.preview(text.encode(), name=name, options=Options(source="real")), actor="lead")
        assert conn.execute("SELECT count(*) FROM survey_answers").fetchall()[0][0] > 0
        assert conn.execute("SELECT count(*) FROM tickets_replaced").fetchall()[0][0] == 2
    finally:
        conn.close()
    assert cli.main(["demo", "--db", str(path), "--customers", "300", "--tickets", "600"]) == 2  # refused unforced
    assert cli.main(["demo", "--db", str(path), "--customers", "300", "--tickets", "600", "--force"]) == 0
    capsys.readouterr()
    conn = db.connect(Settings().with_db(path), read_only=True)
    try:
        for table in ("survey_answers", "tickets_replaced", "customers_replaced", "survey_responses_replaced",
                      "import_rejects"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table
        log = audit.recent(conn)
    finally:
        conn.close()
    reset = log[log["action"] == "data_reset"]
    assert len(reset) == 1 and reset.iloc[0]["actor"] == "cx demo"
    detail = json.loads(reset.iloc[0]["detail"])
    assert [i["file"] for i in detail["imports_removed"]] == ["survey.csv", "tickets.csv", "tickets-later.csv"]
    assert detail["rows_removed"]["survey_answers"] == 4 and detail["rows_removed"]["tickets_replaced"] == 2


def test_a_sign_in_is_one_login_however_many_pages(monkeypatch: pytest.MonkeyPatch, app_db_path: Path,
                                                   tmp_path: Path) -> None:
    path = tmp_path / "logins.duckdb"
    shutil.copyfile(app_db_path, path)
    monkeypatch.setenv("CX_DB_PATH", str(path))
    claims = {"is_logged_in": True, "iss": "https://idp.example", "sub": "u-42", "iat": 1_800_000_000,
              "email": "once@example.com", "email_verified": True, "name": "Once", "roles": ["analyst"]}
    auth = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": secrets.token_urlsafe(48),
            "client_id": "cx", "client_secret": "test-only",
            "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}
    for script in ("dashboard.py", "views/overview.py", "views/surveys.py", "dashboard.py"):  # four page loads
        at = AppTest.from_file(str(ROOT / script), default_timeout=60)
        at.secrets["auth"] = auth
        at.user = claims
        at.run()
        assert not at.exception
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)  # a new sign-in: a new token
    at.secrets["auth"] = auth
    at.user = {**claims, "iat": 1_800_003_600}
    at.run()
    with app_db(path) as conn:  # through the app's own connection in this process
        log = audit.recent(conn)
    logins = log[(log["action"] == "login") & (log["actor"] == "once@example.com")]
    assert len(logins) == 2
    assert sorted(json.loads(d)["iat"] for d in logins["detail"]) == ["1800000000", "1800003600"]
