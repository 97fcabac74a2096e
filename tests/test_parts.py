"""Large CSV exports imported in parts: the same rows, rejects (with their lines) and undo as a whole-file import."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest import parts
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.normalize import Options

TABLES = ["tickets", "survey_responses", "imports", "import_rejects", "tickets_replaced", "survey_responses_replaced"]


def _export(path: Path, *, repeats: bool = True) -> None:
    """A Zendesk-like ticket export: quoted multi-line subjects, satisfaction ratings, a ragged row, a bad date, a
    deleted ticket and (``repeats``) ids repeated within and across parts (the newest by update time must win)."""
    rows = ['Id,Subject,Status,Created at,Updated at,Satisfaction Score,Priority']
    for i in range(1, 1201):
        subject = f'"Refund, please\nline two of {i}"' if i % 9 == 0 else f"Question {i}"
        rating = "Offered" if i % 5 == 0 else ("Good" if i % 3 else "Bad")  # offered, unanswered: a counted warning
        rows.append(f"{i},{subject},Solved,2026-03-01 {i % 24:02d}:00:00,2026-03-02 10:00:00,{rating},normal")
    if repeats:
        rows.insert(50, "77,Older copy,Open,2026-03-01 01:00:00,2026-03-01 09:00:00,Bad,high")  # older than row 77
        rows.insert(300, "5,Newer copy,Solved,2026-03-01 05:00:00,2026-03-09 10:00:00,Good,urgent")  # newest of 5
        # no update time: the later line wins, in another part; the copy's text holds an e-mail, stored redacted
        rows.insert(700, "1000,Same id later from jo@example.org,Solved,2026-03-01 05:00:00,,Good,low")
    rows.insert(800, "2001,Too,many,fields,here,x,y,z")
    rows.insert(900, "2002,Bad date,Solved,not a date,2026-03-02 10:00:00,Good,normal")
    rows.insert(1000, "2003,Deleted,Deleted,2026-03-01 05:00:00,2026-03-02 10:00:00,Good,normal")
    rows.insert(1100, '2004,"12" screen,Solved,2026-03-01 05:00:00,2026-03-02 10:00:00,Good,normal')  # loose quote
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _content(conn: db.Connection) -> dict[str, object]:
    out: dict[str, object] = {}
    for table in TABLES:
        cols = [r[0] for r in conn.execute(f"DESCRIBE {table}").fetchall()
                if r[0] not in {"import_id", "replaced_by", "started_at", "finished_at", "sha256", "rows_read",
                                "actor", "options", "confidence", "mapping", "warnings"}]
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
        out[table] = sorted(map(repr, rows))
    return out


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.csv"
    _export(path)
    return path


def test_cut_points_fall_on_record_boundaries_outside_quotes() -> None:
    data = b'id,text\n1,"a\nb"\n2,plain\n3,"c\nd\ne"\n4,x\n'
    for size in range(1, len(data)):
        cuts = parts.cut_points(data, size)
        assert cuts[0] == 0 and cuts == sorted(set(cuts))
        for cut in cuts[1:]:
            assert data[cut - 1:cut] == b"\n" and data[:cut].count(b'"') % 2 == 0


@pytest.mark.parametrize("repeats", [False, True], ids=["parts written directly", "parts staged for repeats"])
def test_a_file_in_parts_loads_exactly_what_the_whole_file_loads(tmp_path: Path, repeats: bool,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    export = tmp_path / "tickets.csv"
    _export(export, repeats=repeats)
    staged: list[int] = []
    stage = parts._stage
    monkeypatch.setattr(parts, "_stage", lambda *a, **k: staged.append(1) or stage(*a, **k))
    whole = db.connect(Settings().with_db(tmp_path / "whole.duckdb"))
    expected = ingest.load(whole, ingest.preview(export, options=Options(source="zd")))
    in_parts = db.connect(Settings().with_db(tmp_path / "parts.duckdb"))
    outcome = parts.import_in_parts(in_parts, export, options=Options(source="zd"), part_bytes=9_000)
    assert outcome is not None
    result, rejects = outcome
    assert result.summary["parts"] >= 5
    assert bool(staged) is repeats  # staged only when an id repeats somewhere in the file
    assert (result.rows_loaded, result.rows_rejected) == (expected.rows_loaded, expected.rows_rejected)
    assert _content(in_parts) == _content(whole)  # tickets, ratings, rejects with their lines and raw text
    assert sorted(result.summary["warnings"]) == sorted(expected.summary["warnings"])  # every part's counts
    dup_lines = sorted(rejects[rejects["reason"].str.startswith("duplicate")]["line"])
    assert len(dup_lines) == (3 if repeats else 0)
    if repeats:
        assert in_parts.execute("SELECT count(*) FROM import_rejects WHERE raw_text NOT LIKE '%jo@%' "
                                "AND raw_text LIKE '%Same id later from [email]%'").fetchone() == (1,)
        assert in_parts.execute("SELECT subject, priority FROM tickets WHERE ticket_id = '5'").fetchone() == (
            "Newer copy", "urgent")
        assert in_parts.execute("SELECT subject FROM tickets WHERE ticket_id = '77'").fetchone() == ("Question 77",)
    # undo removes the import whole and re-importing the same file is then allowed again
    ingest.undo(in_parts, int(result.import_id or 0))
    assert in_parts.execute("SELECT count(*) FROM tickets").fetchone() == (0,)
    assert in_parts.execute("SELECT count(*) FROM survey_responses").fetchone() == (0,)
    again = parts.import_in_parts(in_parts, export, options=Options(source="zd"), part_bytes=9_000)
    assert again is not None and again[0].status == "loaded"
    assert parts.import_in_parts(in_parts, export, options=Options(source="zd"),
                                 part_bytes=9_000)[0].status == "already imported"  # type: ignore[index]
    whole.close()
    in_parts.close()


def test_every_part_is_read_as_the_first_part_was(tmp_path: Path, export: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The file's reading (kind, columns, formats, stand-ins for missing values) is inferred once, on its first part;
    the other parts are read the same way rather than inferred again, each on its own rows."""
    inferred: list[int] = []
    for name in ("detect", "detection_for"):
        original = getattr(ingest, name)
        monkeypatch.setattr(ingest, name, lambda *a, _fn=original, **k: inferred.append(1) or _fn(*a, **k))
    conn = db.connect(Settings().with_db(tmp_path / "parts.duckdb"))
    outcome = parts.import_in_parts(conn, export, options=Options(source="zd"), part_bytes=9_000)
    assert outcome is not None and outcome[0].summary["parts"] > 3
    assert len(inferred) == 1
    conn.close()


def test_a_dry_run_in_parts_changes_nothing(tmp_path: Path, export: Path) -> None:
    conn = db.connect(Settings().with_db(tmp_path / "dry.duckdb"))
    before = hashlib.sha256(repr(_content(conn)).encode()).hexdigest()
    outcome = parts.import_in_parts(conn, export, dry_run=True, part_bytes=9_000)
    assert outcome is not None and outcome[0].status == "dry run" and outcome[0].rows_loaded > 1000
    assert hashlib.sha256(repr(_content(conn)).encode()).hexdigest() == before
    conn.close()


def test_a_later_part_that_cannot_be_read_leaves_the_database_as_it_was(tmp_path: Path, export: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The next part is read while the one before it is written; when its reading fails, the failure reaches the
    import inside its transaction: nothing of the parts already written stays, and no part is read twice."""
    read: list[bool] = []
    preview = ingest.preview

    def failing(*args: object, **kwargs: object) -> ingest.Preview:
        read.append(bool(kwargs.get("ends_file")))
        if kwargs.get("ends_file") and kwargs.get("reading") is not None:
            raise ImportRefused("the last part could not be read")
        return preview(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "preview", failing)
    conn = db.connect(Settings().with_db(tmp_path / "fail.duckdb"))
    before = _content(conn)
    with pytest.raises(ImportRefused, match="the last part could not be read"):
        parts.import_in_parts(conn, export, options=Options(source="zd"), part_bytes=9_000)
    assert _content(conn) == before
    assert read.count(True) == 1 and len(read) > 3  # every part once, up to the last
    conn.close()


def test_small_files_and_workbooks_are_left_to_the_whole_file_import(tmp_path: Path, export: Path) -> None:
    conn = db.connect(Settings().with_db(tmp_path / "small.duckdb"))
    assert parts.import_in_parts(conn, export) is None  # under PART_BYTES
    book = tmp_path / "t.xlsx"
    book.write_bytes(b"PK\x03\x04" + b"\0" * 20_000)
    assert parts.import_in_parts(conn, book, part_bytes=9_000) is None
    conn.close()


def test_cx_import_prints_the_same_summary_whole_or_in_parts(tmp_path: Path, export: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from cx_metrics import cli

    summaries = {}
    for label, part_bytes in (("whole", parts.PART_BYTES), ("parts", 9_000)):
        monkeypatch.setattr(parts, "PART_BYTES", part_bytes)
        target = tmp_path / f"{label}.duckdb"
        assert cli.main(["import", str(export), "--db", str(target), "--source", "zd", "--format", "json"]) == 0
        summaries[label] = json.loads(capsys.readouterr().out)
        assert cli.main(["import", str(export), "--db", str(target), "--source", "zd"]) == 0
        assert "already imported" in capsys.readouterr().err
    whole, in_parts = summaries["whole"], summaries["parts"]
    assert in_parts.pop("parts") >= 5
    for key in ("kind", "vendor", "rows_read", "rows_loaded", "rows_rejected", "date_range", "status"):
        assert in_parts[key] == whole[key], key
    # the parts' counts add up to the file's, and the lines they name are counted from the top of the file
    assert sorted(in_parts["warnings"]) == sorted(whole["warnings"])
    assert "239 tickets were offered a satisfaction survey" in " ".join(in_parts["warnings"])  # 240, one replaced
    line = export.read_text().split("\n").index('2004,"12" screen,Solved,2026-03-01 05:00:00,2026-03-02 10:00:00,Good,'
                                                "normal") + 1
    assert any(f"(line {line:,})" in w for w in in_parts["warnings"])
    assert cli.main(["import", str(tmp_path / "missing.csv"), "--db", str(tmp_path / "x.duckdb")]) != 0


def _event_log(path: Path) -> None:
    """A ServiceNow-like incident log: one row per update (3 to 5 per incident), incidents in order, so that the
    parts cut through the history of some incidents."""
    head = ("number,incident_state,active,sys_mod_count,opened_at,sys_updated_at,category,assignment_group,"
            "assigned_to,closed_at")
    states = ["New", "Active", "Awaiting User Info", "Resolved", "Closed"]
    rows = [head]
    for i in range(1, 241):
        steps = 3 + i % 3
        for k in range(steps):
            state = states[k] if k < steps - 1 else "Closed"
            group = f"Group {i % 4}" if k < 2 else f"Group {(i + 1) % 4}"
            rows.append(f"INC{i:07d},{state},{'FALSE' if state == 'Closed' else 'TRUE'},{k},"
                        f"01-03-2016 {i % 24:02d}:00,{1 + k:02d}-03-2016 {i % 24:02d}:30,Category {i % 5},"
                        f"{group},Agent {i % 7},05-03-2016 12:00")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_an_event_log_in_parts_is_collapsed_and_reported_once_as_the_whole_file_is(tmp_path: Path) -> None:
    export = tmp_path / "incidents.csv"
    _event_log(export)
    whole = db.connect(Settings().with_db(tmp_path / "whole.duckdb"))
    pv = ingest.preview(export, options=Options(source="sn"))
    assert pv.detection.event_log
    expected = ingest.load(whole, pv)
    in_parts = db.connect(Settings().with_db(tmp_path / "parts.duckdb"))
    outcome = parts.import_in_parts(in_parts, export, options=Options(source="sn"), part_bytes=6_000)
    assert outcome is not None
    result, _ = outcome
    assert result.summary["parts"] >= 4
    said = [w for w in result.summary["warnings"] if w.startswith("One row per update")]
    assert said == [w for w in expected.summary["warnings"] if w.startswith("One row per update")]
    assert len(said) == 1 and said[0].startswith("One row per update: 960 rows collapsed into 240 tickets")
    stored = in_parts.execute("SELECT warnings FROM imports WHERE import_id = ?", [result.import_id]).fetchone()
    assert stored is not None and json.dumps(said[0])[1:-1] in stored[0]
    events = "SELECT ticket_id, occurred_at, field, value FROM ticket_events ORDER BY ALL"
    assert in_parts.execute(events).fetchall() == whole.execute(events).fetchall()  # no step twice at a cut
    whole.close()
    in_parts.close()
