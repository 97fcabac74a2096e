"""The Follow-ups page and the Overview tile by role (AppTest with a signed-in user): an executive sees coverage and
whether following up works, never the worklist, a Claim button, a note or what a customer wrote; a CX lead works the
list; an analyst reads notes and verbatims but cannot claim."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import db, followups
from cx_metrics.config import Settings
from cx_metrics.text.escape import md
from tests.test_access import _app

NOTE = "Promised a callback from billing"


@pytest.fixture
def page_db(demo_db_path: Path, tmp_path: Path) -> Path:
    """A copy of the small demo with one follow-up closed with a note in the demo's last week."""
    path = tmp_path / "followups.duckdb"
    shutil.copyfile(demo_db_path, path)
    s = Settings().with_db(path)
    conn = db.connect(s)
    try:
        wl = followups.worklist(conn, s)
        key = str(wl.iloc[-1]["item_key"])
        day = min(dt.date(2026, 11, 15), wl.iloc[-1]["triggered_at"].date() + dt.timedelta(days=1))
        followups.close(conn, key, "lead@example.com", outcome="reached", contacted_on=day, note=NOTE, settings=s)
    finally:
        conn.close()
    return path


def _followups(monkeypatch: pytest.MonkeyPatch, path: Path, role: str) -> AppTest:
    at = _app(monkeypatch, path, f"{role}@example.com", roles=[role]).run()
    at.switch_page("views/followups.py").run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def test_executive_cannot_claim_or_read_notes(monkeypatch: pytest.MonkeyPatch, page_db: Path) -> None:
    at = _followups(monkeypatch, page_db, "executive")
    assert not [b for b in at.button if b.label in ("Claim", "Close")]
    assert not at.get("form")
    assert "The worklist (who to get back to, and what they told us) is for CX leads" in _text(at)
    headers = {c for d in at.dataframe for c in d.value.columns}
    assert "Item" not in headers and "Note" not in headers and "What the customer wrote" not in headers
    assert not any(NOTE in str(d.value.to_dict()) for d in at.dataframe)
    assert "Closed in this period" not in [s.value for s in at.subheader]
    assert "Did it work?" in [s.value for s in at.subheader]  # the effect and coverage are for everyone
    assert at.metric[0].label == "Coverage"
    overview = _app(monkeypatch, page_db, "exec@example.com", roles=["executive"]).run()
    tile = [m for m in overview.metric if m.label == "Follow-up coverage"]
    assert len(tile) == 1 and tile[0].value.endswith("%")
    assert not any(NOTE in c.value for c in overview.caption)


def test_cx_lead_claims_and_reads_notes(monkeypatch: pytest.MonkeyPatch, page_db: Path) -> None:
    at = _followups(monkeypatch, page_db, "cx_lead")
    assert any(NOTE in str(d.value.to_dict()) for d in at.dataframe)  # closed in this period, with the note
    headers = {c for d in at.dataframe for c in d.value.columns}
    assert "What the customer wrote" not in headers  # a CX lead has no verbatims right
    key = at.selectbox(key="followups_item").value
    at.button(key="followups_claim").click().run()
    assert not at.exception, at.exception
    assert any(f"You claimed {md(str(key))}" in s.value for s in at.success), [s.value for s in at.success]
    with db.shared(Settings().with_db(page_db)).reading() as conn:  # the app's own shared connection
        stored = followups.state(conn, str(key))
    assert stored is not None and stored["claimed_by"] == "cx_lead@example.com"


def test_analyst_reads_but_does_not_act(monkeypatch: pytest.MonkeyPatch, page_db: Path) -> None:
    at = _followups(monkeypatch, page_db, "analyst")
    assert not [b for b in at.button if b.label in ("Claim", "Close")]
    assert any(NOTE in str(d.value.to_dict()) for d in at.dataframe)
    # the comparison's design is our own words, its code spans drawn as code (escaped, they showed their backticks)
    design = next(c.value for c in at.caption if c.value.startswith("**How this is compared.**"))
    assert "`churned_at`" in design and "\\`" not in design
