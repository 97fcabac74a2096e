"""Your data, not the demo's (issue 15): remove the demo on the first import, say when demo and own rows are mixed,
a default period that follows the data, an undo that names what it removes and asks, and the CLI's output (strict
JSON with its period and filters, a quiet stop on a closed pipe, unknown filter values refused)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import audit, cli, db, demo
from cx_metrics.config import Settings
from cx_metrics.filters import Period
from cx_metrics.ingest import load as ingest
from cx_metrics.metrics import base
from tests.conftest import app_db, as_shown, own_export

ROOT = Path(__file__).resolve().parent.parent
#: the own export's whole weeks (Mon 3 Apr - Sun 28 May 2023; its last ticket is on Mon 29 May)
OWN_PERIOD = Period(dt.date(2023, 4, 3), dt.date(2023, 5, 28))


@pytest.fixture
def demo_copy(demo_db_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "mine.duckdb"
    shutil.copyfile(demo_db_path, path)
    return path


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "helpdesk-2023.csv"
    path.write_text(own_export())
    return path


def _settings(path: Path) -> Settings:
    return Settings().with_db(path)


def _strict(text: str) -> object:
    """RFC 8259 JSON: NaN and Infinity are not numbers there."""
    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


# --- the library: where rows came from, removing the demo, the default period ----------------------------------


def test_contents_tell_demo_rows_from_own_rows(demo_copy: Path, export: Path) -> None:
    conn = db.connect(_settings(demo_copy))
    try:
        found = base.contents(conn)
        assert found.has_demo and not found.has_own and not found.mixed
        assert found.demo_rows["tickets"] == conn.execute("SELECT count(*) FROM tickets").fetchone()[0]  # type: ignore[index]
        ingest.load(conn, ingest.preview(export))
        found = base.contents(conn)
        assert found.mixed and found.own_rows == {"tickets": 840}
        assert found.own_span == (dt.date(2023, 4, 3), dt.date(2023, 5, 29))
        assert "MIXED" in found.summary() and "840 tickets" in found.summary()
        # the default period follows the user's data, not the demo's Nov 2026
        assert base.default_period(conn) == OWN_PERIOD
    finally:
        conn.close()


def test_remove_demo_keeps_own_rows_and_is_audited(demo_copy: Path, export: Path) -> None:
    conn = db.connect(_settings(demo_copy))
    try:
        own = ingest.load(conn, ingest.preview(export))
        before = db.data_version(conn)
        removed = demo.remove(conn, actor="tester")
        assert removed["tickets"] > 10_000 and removed["customers"] > 1_000
        found = base.contents(conn)
        assert not found.has_demo and found.own_rows == {"tickets": 840}
        assert db.data_version(conn) == before + 1
        assert conn.execute("SELECT count(*) FROM tickets WHERE source = 'demo'").fetchone() == (0,)
        assert conn.execute("SELECT status, undone_by FROM imports WHERE kind = 'demo'").fetchall() == [
            ("undone", "tester")]
        log = audit.recent(conn)
        entry = log[log["action"] == "remove_demo"]
        assert len(entry) == 1 and entry.iloc[0]["actor"] == "tester"
        assert json.loads(entry.iloc[0]["detail"])["rows_removed"]["tickets"] == removed["tickets"]
        # the user's import is untouched and can still be undone exactly
        assert ingest.undo(conn, own.import_id or 0)["tickets"] == 840
        assert demo.remove(conn) == {}  # nothing left to remove: no audit entry, no new data version
        assert (audit.recent(conn)["action"] == "remove_demo").sum() == 1
    finally:
        conn.close()


def test_theme_models_learned_from_the_demo_go_with_it(themed_demo_path: Path, tmp_path: Path, export: Path) -> None:
    from cx_metrics.models import theme_store

    path = tmp_path / "themed.duckdb"
    shutil.copyfile(themed_demo_path, path)
    conn = db.connect(_settings(path))
    try:
        ingest.load(conn, ingest.preview(export))
        assert set(theme_store.latest_fits(conn)) == {"tickets", "comments"} and len(theme_store.catalog(conn))
        removed = demo.remove(conn, actor="tester")
        assert removed["theme_fits"] == 2 and "and 2 theme models" in base.Contents.describe(removed)
        # no theme, label or example verbatim from the demo's texts is left to show; a refit reads the user's texts
        assert theme_store.latest_fits(conn) == {} and theme_store.catalog(conn).empty
        assert conn.execute("SELECT count(*) FROM theme_documents").fetchone() == (0,)
        assert theme_store.documents_with_text(conn)["tickets"] == 0  # the export has no subject or description
    finally:
        conn.close()


def test_import_replacing_the_demo_is_one_transaction(demo_copy: Path, export: Path) -> None:
    conn = db.connect(_settings(demo_copy))
    try:
        pv = ingest.preview(export)
        demo_tickets = base.contents(conn).demo_rows["tickets"]

        def fail(fraction: float, message: str) -> None:
            if message.startswith("recording rejects"):
                raise RuntimeError("disk full")

        with pytest.raises(RuntimeError, match="disk full"):
            ingest.load(conn, pv, replace_demo=True, progress=fail)
        found = base.contents(conn)  # the failed import left the demo exactly as it was
        assert found.demo_rows["tickets"] == demo_tickets and not found.has_own
        assert not (audit.recent(conn)["action"] == "remove_demo").any()
        result = ingest.load(conn, pv, replace_demo=True, actor="lead@example.com")
        found = base.contents(conn)
        assert not found.has_demo and found.own_rows == {"tickets": 840} and result.rows_loaded == 840
        detail = json.loads(audit.recent(conn).query("action == 'remove_demo'").iloc[0]["detail"])
        assert detail["with_import"] == result.import_id
        # the demo's planted follow-up history goes with the demo customers it is about
        assert detail["rows_removed"]["followups"] > 0
        assert conn.execute("SELECT count(*) FROM followups").fetchall() == [(0,)]
    finally:
        conn.close()


def test_undo_names_what_it_removes_and_restores(demo_copy: Path, export: Path, tmp_path: Path) -> None:
    conn = db.connect(_settings(demo_copy))
    try:
        first = ingest.load(conn, ingest.preview(export))
        newer = tmp_path / "helpdesk-2023-update.csv"
        lines = export.read_text().splitlines()
        newer.write_text("\n".join([lines[0], *[line.replace(",question,", ",incident,") for line in lines[1:11]]])
                         + "\n")
        second = ingest.load(conn, ingest.preview(newer))
        plan = ingest.footprint(conn, second.import_id or 0)
        assert plan["rows"] == {"tickets": 10} and plan["restores"] == {"tickets": 10}
        assert plan["span"] == (dt.date(2023, 4, 3), dt.date(2023, 4, 3))
        text = ingest.describe_undo(plan)
        assert text.startswith(f"Import #{second.import_id} (helpdesk-2023-update.csv: tickets, generic; loaded ")
        assert "removes 10 tickets and restores 10 tickets (older versions it replaced)" in text
        assert ingest.footprint(conn, first.import_id or 0)["rows"] == {"tickets": 830}
        with pytest.raises(ingest.ImportRefused, match="no import #999"):
            ingest.footprint(conn, 999)
        demo_id = conn.execute("SELECT import_id FROM imports WHERE kind = 'demo'").fetchone()
        assert demo_id is not None
        with pytest.raises(ingest.ImportRefused, match="cx demo --remove"):
            ingest.undo(conn, int(demo_id[0]))
    finally:
        conn.close()


# --- the command line ----------------------------------------------------------------------------------------


def test_cli_info_says_when_demo_and_own_rows_are_mixed(demo_copy: Path, export: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["info", "--db", str(demo_copy)]) == 0
    out = capsys.readouterr().out
    assert "contents: the demo dataset only" in out and "--replace-demo" in out
    assert cli.main(["import", str(export), "--db", str(demo_copy)]) == 0
    captured = capsys.readouterr()
    assert "demo: kept beside your data" in captured.out
    assert "every figure now mixes demo rows with yours" in captured.err and "cx demo --remove" in captured.err
    assert cli.main(["info", "--db", str(demo_copy)]) == 0
    out = capsys.readouterr().out
    assert "contents: MIXED: the demo dataset (" in out and "your own data (840 tickets)" in out
    assert "`cx demo --remove`" in out
    assert "default period: 03 Apr 2023 – 28 May 2023 (the last 13 full weeks of your data)" in out


def test_cli_demo_remove_asks_first(demo_copy: Path, export: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["import", str(export), "--db", str(demo_copy)]) == 0
    capsys.readouterr()
    # no terminal to ask at: refused, nothing removed
    assert cli.main(["demo", "--remove", "--db", str(demo_copy)]) == 2
    err = capsys.readouterr().err
    assert "removes the demo dataset" in err and "Your own data stays: 840 tickets" in err and "--yes" in err
    # at a terminal: the question, then the answer decides
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    assert cli.main(["demo", "--remove", "--db", str(demo_copy)]) == 1
    assert "Nothing removed" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    assert cli.main(["demo", "--remove", "--db", str(demo_copy)]) == 0
    assert "Removed the demo dataset" in capsys.readouterr().out
    assert cli.main(["info", "--db", str(demo_copy)]) == 0
    assert "contents: your own data (840 tickets)." in capsys.readouterr().out
    assert cli.main(["demo", "--remove", "--db", str(demo_copy)]) == 0
    assert "holds no demo data" in capsys.readouterr().out


def test_cli_import_replace_demo(demo_copy: Path, export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["import", str(export), "--db", str(demo_copy), "--replace-demo"]) == 2
    assert "add --yes" in capsys.readouterr().err
    conn = db.connect(_settings(demo_copy), read_only=True)
    assert not base.contents(conn).has_own  # refused: nothing imported
    conn.close()
    assert cli.main(["import", str(export), "--db", str(demo_copy), "--replace-demo", "--yes", "--dry-run"]) == 0
    assert "demo: would be removed" in capsys.readouterr().out
    assert cli.main(["import", str(export), "--db", str(demo_copy), "--replace-demo", "--yes",
                     "--format", "json"]) == 0
    summary = _strict(capsys.readouterr().out)
    assert isinstance(summary, dict) and summary["demo"].startswith("removed (") and summary["rows_loaded"] == 840
    conn = db.connect(_settings(demo_copy), read_only=True)
    try:
        found = base.contents(conn)
        assert not found.has_demo and found.own_rows == {"tickets": 840}
        assert (audit.recent(conn)["action"] == "remove_demo").sum() == 1
    finally:
        conn.close()


def test_cli_undo_names_what_it_removes_and_asks(demo_copy: Path, export: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["import", str(export), "--db", str(demo_copy), "--format", "json"]) == 0
    import_id = _strict(capsys.readouterr().out)["import_id"]  # type: ignore[index]
    assert cli.main(["undo", str(import_id), "--db", str(demo_copy)]) == 2
    err = capsys.readouterr().err
    assert f"Undo: Import #{import_id} (helpdesk-2023.csv: tickets, generic; loaded " in err
    assert "removes 840 tickets" in err and "--yes" in err
    monkeypatch.setattr(sys, "stdin", _Terminal("no\n"))
    assert cli.main(["undo", str(import_id), "--db", str(demo_copy)]) == 1
    assert cli.main(["undo", str(import_id), "--db", str(demo_copy), "--yes"]) == 0
    assert f"Import #{import_id} undone: removed 840 tickets." in capsys.readouterr().out


def test_json_is_strict_and_carries_the_period_and_filters(demo_copy: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # an empty period: values and deltas are NaN or infinite in the frame
    args = ["metric", "kpis", "--db", str(demo_copy), "--start", "2019-01-07", "--end", "2019-01-13",
            "--plan", "Pro", "--channel", "chat", "--format", "json"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and "Infinity" not in out
    doc = _strict(out)
    assert isinstance(doc, dict)
    assert doc["metric"] == "kpis"
    assert doc["period"] == {"start": "2019-01-07", "end": "2019-01-13", "days": 7,
                             "label": "07 Jan 2019 – 13 Jan 2019"}
    assert doc["previous_period"]["start"] == "2018-12-31"
    assert doc["filters"] == {"plans": ["Pro"], "regions": [], "segments": [], "channels": ["chat"]}
    assert doc["filters_label"] == "plans: Pro; channels: chat"
    assert isinstance(doc["notes"], list)  # what the data cannot support, as the table output says on stderr
    nps = next(r for r in doc["rows"] if r["metric"] == "nps")
    assert nps["value"] is None
    # the table output prints the same period and filters (on stderr, so the table stays clean)
    assert cli.main(args[:-2]) == 0
    assert "# kpis: 07 Jan 2019 – 13 Jan 2019 vs 31 Dec 2018 – 06 Jan 2019; plans: Pro; channels: chat" in \
        capsys.readouterr().err
    # a figure over all the data says it has no period instead of printing one that does not apply
    assert cli.main(["metric", "backlog", "--db", str(demo_copy), "--format", "json"]) == 0
    doc = _strict(capsys.readouterr().out)
    assert isinstance(doc, dict) and doc["period"] is None and doc["rows"]
    assert cli.main(["metric", "backlog", "--db", str(demo_copy)]) == 0
    assert "# backlog: all data (no period applies); no filters" in capsys.readouterr().err


def test_json_output_of_every_command_is_strict() -> None:
    frame_like = {"a": float("nan"), "b": float("inf"), "c": [float("-inf"), 1.5], "d": dt.date(2023, 4, 3)}
    assert _strict(cli.dumps(frame_like)) == {"a": None, "b": None, "c": [None, 1.5], "d": "2023-04-03"}


@pytest.mark.parametrize(("flag", "value", "listed"), [
    ("--plan", "Platinum", "The plans here: Basic, Free, Pro, Enterprise."),
    ("--region", "Mars", "The regions here:"),
    ("--segment", "Whales", "The segments here:"),
    ("--channel", "pigeon", "The channels here:"),
])
def test_unknown_filter_values_are_refused_with_the_valid_ones(
        demo_copy: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, listed: str) -> None:
    assert cli.main(["metric", "kpis", "--db", str(demo_copy), flag, value]) == 2
    err = capsys.readouterr().err
    assert f"{flag} {value!r} is not in this database, so it would select nothing" in err and listed in err


def test_unknown_values_elsewhere_and_near_misses(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["metric", "kpis", "--db", str(demo_copy), "--plan", "pro"]) == 2
    assert "Did you mean 'Pro'?" in capsys.readouterr().err
    assert cli.main(["churn", "score", "--db", str(demo_copy), "--plan", "Platinum"]) == 2
    assert "--plan 'Platinum' is not in this database" in capsys.readouterr().err
    assert cli.main(["metric", "survey-summary", "--db", str(demo_copy), "--survey", "No such survey"]) == 2
    assert "--survey 'No such survey' is not in this database" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(demo_copy: Path) -> None:
    """`cx ... | head`: the reader leaves early; no BrokenPipe traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "cx_metrics.cli", "metric", "complaint-rows", "--db",
                             str(demo_copy), "--format", "csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"source,ticket_id")
    proc.stdout.close()  # as `head -1` does after its line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err


def test_duckdb_draws_no_progress_bar_into_machine_readable_output(demo_copy: Path) -> None:
    """DuckDB prints a progress bar on stdout for a query over 2 s: into `--format csv > file` on a busy machine."""
    read = db.connect(_settings(demo_copy), read_only=True)
    scratch = db.scratch()
    try:
        for conn in (read, scratch, read.cursor(), scratch.cursor()):
            assert conn.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    finally:
        read.close()
        scratch.close()


class _Terminal:
    """A stdin that is a terminal and answers ``text``."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.lines.pop(0) if self.lines else ""


# --- the dashboard (AppTest) ----------------------------------------------------------------------------------


def _app(monkeypatch: pytest.MonkeyPatch, path: Path, page: str | None = None) -> AppTest:
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="upload_file").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def _frame(monkeypatch: pytest.MonkeyPatch, path: Path) -> AppTest:
    """A new session: AppTest runs dashboard.py (the sidebar filters, the notices above every page), then its page.
    What one session sees across reruns (the period following an import it loaded) is also checked in the real
    browser (test_owndata_browser.py)."""
    return _app(monkeypatch, path)


def _period(at: AppTest) -> tuple[dt.date, dt.date]:
    return tuple(at.session_state["cx.flt_period"])  # type: ignore[return-value]


def _warnings(at: AppTest) -> str:
    return " ".join(as_shown(w.value) for w in at.warning)  # data text in them is escaped for Markdown


def test_first_upload_offers_to_remove_the_demo_and_asks(monkeypatch: pytest.MonkeyPatch, demo_copy: Path) -> None:
    at = _upload(_app(monkeypatch, demo_copy, "views/upload.py"), "helpdesk-2023.csv", own_export().encode())
    choice = at.radio(key="upload_demo")
    assert choice.value == "Remove the demo data: start with my data only"  # the first import: remove by default
    assert "This database holds the demo dataset (" in choice.label
    at.button(key="upload_load").click().run()
    # nothing is written before the confirmation, which says what goes
    assert "Load **helpdesk-2023.csv** and remove the demo dataset (" in _warnings(at)
    with app_db(demo_copy) as conn:
        assert not base.contents(conn).has_own
    at.button(key="upload_confirm_yes").click().run()
    assert not at.exception, at.exception
    message = " ".join(s.value for s in at.success)
    assert "840 rows loaded (840 new, 0 updated, 0 unchanged), 0 rejected, and the demo dataset removed" in message
    assert "Every page now shows **03 Apr 2023 – 28 May 2023**" in message
    own = (OWN_PERIOD.start, OWN_PERIOD.end)  # this session's period follows: set for the next run's sidebar, or
    assert (at.session_state["cx.period_pending"] if "cx.period_pending" in at.session_state  # applied by it already
            else _period(at)) == own
    fresh = _frame(monkeypatch, demo_copy)  # and a session opened now starts on the user's data
    assert _period(fresh) == (OWN_PERIOD.start, OWN_PERIOD.end)
    assert "03 Apr 2023 – 28 May 2023" in fresh.caption[0].value
    assert "Demo and your own data are mixed." not in _warnings(fresh)  # no demo left
    with app_db(demo_copy) as conn:
        found = base.contents(conn)
        log = audit.recent(conn)
    assert not found.has_demo and found.own_rows == {"tickets": 840}
    assert set(log["action"].head(2)) == {"import", "remove_demo"} and (log["actor"].head(2) == "local user").all()


def test_keeping_the_demo_is_said_on_every_page(monkeypatch: pytest.MonkeyPatch, demo_copy: Path) -> None:
    at = _upload(_app(monkeypatch, demo_copy, "views/upload.py"), "helpdesk-2023.csv", own_export().encode())
    at.radio(key="upload_demo").set_value("Keep the demo data beside mine").run()
    at.button(key="upload_load").click().run()  # nothing removed: no question
    assert not at.exception, at.exception
    shown = " ".join(s.value for s in at.success)
    assert "840 rows loaded (840 new, 0 updated, 0 unchanged), 0 rejected. Every page now shows" in shown
    text = _warnings(_frame(monkeypatch, demo_copy))  # above every page (every page: test_owndata_browser.py)
    assert "Demo and your own data are mixed." in text
    assert "beside your data (840 tickets)" in text and "Remove it on *Data status*" in text
    # the next upload keeps the demo by default (it was kept once) and still offers to remove it
    at.switch_page("views/upload.py").run()
    _upload(at, "more.csv", b"Ticket ID,Created at,Category\nM1,2023-06-01 10:00,Billing\n")
    assert at.radio(key="upload_demo").value == "Keep the demo data beside mine"


def test_data_status_removes_the_demo_after_confirming(monkeypatch: pytest.MonkeyPatch, demo_copy: Path,
                                                       export: Path) -> None:
    conn = db.connect(_settings(demo_copy))
    ingest.load(conn, ingest.preview(export))
    conn.close()
    at = _app(monkeypatch, demo_copy, "views/data_status.py")
    assert "MIXED" in " ".join(m.value for m in at.markdown)
    at.button(key="status_remove_demo_ask").click().run()
    assert "Your own data stays (840 tickets)" in _warnings(at)
    at.button(key="status_remove_demo_no").click().run()  # cancel: nothing happens
    assert "Your own data stays" not in _warnings(at)  # the question is gone (the frame's notice of mixed data stays)
    assert conn_value(demo_copy, "SELECT status FROM imports WHERE kind = 'demo'") == "loaded"
    at.button(key="status_remove_demo_ask").click().run()
    at.button(key="status_remove_demo_yes").click().run()
    assert not at.exception, at.exception
    assert "The demo dataset was removed (" in " ".join(s.value for s in at.success)
    assert "your own data (840 tickets)" in " ".join(m.value for m in at.markdown)
    fresh = _frame(monkeypatch, demo_copy)
    assert "Demo and your own data are mixed." not in _warnings(fresh)
    assert _period(fresh) == (OWN_PERIOD.start, OWN_PERIOD.end)  # the default period moved to the user's data


def test_undo_points_at_the_import_just_loaded_names_it_and_asks(
        monkeypatch: pytest.MonkeyPatch, demo_copy: Path, tmp_path: Path) -> None:
    older = tmp_path / "older.csv"
    older.write_text("Ticket ID,Created at,Category\nO1,2023-03-01 10:00,Billing\nO2,2023-03-02 10:00,Billing\n")
    conn = db.connect(_settings(demo_copy))
    first = ingest.load(conn, ingest.preview(older))
    conn.close()
    at = _app(monkeypatch, demo_copy, "views/upload.py")
    assert at.selectbox(key="history_import").value == first.import_id
    _upload(at, "helpdesk-2023.csv", own_export().encode())
    at.radio(key="upload_demo").set_value("Keep the demo data beside mine").run()
    at.button(key="upload_load").click().run()
    new_id = int(conn_value(demo_copy, "SELECT max(import_id) FROM imports"))
    box = at.selectbox(key="history_import")
    assert box.value == new_id  # not the import picked before
    assert box.format_func(box.value).startswith(f"#{new_id} · helpdesk-2023.csv · tickets · 840 rows · ")
    at.button(key="history_undo").click().run()
    warning = _warnings(at)
    assert f"Undo? Import #{new_id} (helpdesk-2023.csv: tickets, generic; loaded " in warning
    assert "removes 840 tickets" in warning
    assert conn_value(demo_copy, f"SELECT status FROM imports WHERE import_id = {new_id}") == "loaded"  # not yet
    at.button(key="history_undo_yes").click().run()
    assert not at.exception, at.exception
    # the message is seen after the rerun that follows the undo
    assert f"Import #{new_id} undone: removed 840 tickets. Every page now shows the data without it." in \
        " ".join(s.value for s in at.success)
    assert conn_value(demo_copy, f"SELECT status FROM imports WHERE import_id = {new_id}") == "undone"
    assert at.selectbox(key="history_import").value == first.import_id
    # the period had followed the import; with it gone it follows the data again (the older import's weeks)
    with app_db(demo_copy) as conn:
        expected = base.default_period(conn)
    assert expected.end == dt.date(2023, 3, 2)
    assert _period(_frame(monkeypatch, demo_copy)) == (expected.start, expected.end)


def conn_value(path: Path, sql: str) -> object:
    with app_db(path) as conn:
        row = conn.cursor().execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_cli_figures_say_when_demo_and_own_rows_are_mixed(demo_copy: Path, export: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`cx metric` and `cx churn score` say what every dashboard page says: the figures count demo rows too."""
    args = ["metric", "kpis", "--db", str(demo_copy), "--start", "2023-04-03", "--end", "2023-05-28"]
    assert cli.main(args) == 0
    assert "mixed" not in capsys.readouterr().err  # the demo alone: nothing to say
    assert cli.main(["import", str(export), "--db", str(demo_copy)]) == 0
    capsys.readouterr()
    assert cli.main(args) == 0
    err = capsys.readouterr().err
    assert "# Demo and your own data are mixed: the demo dataset (" in err and "beside yours (840 tickets)" in err
    assert "`cx demo --remove`" in err
    assert cli.main([*args, "--format", "json"]) == 0
    doc = _strict(capsys.readouterr().out)
    assert isinstance(doc, dict) and any(n.startswith("Demo and your own data are mixed") for n in doc["notes"])
    assert cli.main(["churn", "score", "--db", str(demo_copy), "--top", "3"]) == 0
    assert "# Demo and your own data are mixed" in capsys.readouterr().err
    assert cli.main(["demo", "--remove", "--yes", "--db", str(demo_copy)]) == 0
    capsys.readouterr()
    assert cli.main(args) == 0
    assert "mixed" not in capsys.readouterr().err  # your data alone


def test_the_churn_page_of_a_tickets_only_export_says_why_it_has_no_churn(
        monkeypatch: pytest.MonkeyPatch, empty_db_path: Path, export: Path, tmp_path: Path) -> None:
    """A first import is often tickets alone: the Churn page says there are no customers, not a traceback."""
    path = tmp_path / "tickets-only.duckdb"
    shutil.copyfile(empty_db_path, path)
    assert cli.main(["import", str(export), "--db", str(path)]) == 0
    at = _app(monkeypatch, path, "views/churn.py")  # (asserts no exception)
    assert any("This data holds no customers" in i.value for i in at.info)
