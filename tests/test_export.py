"""Exports cannot smuggle formulas into a spreadsheet."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cx_metrics import cli, db
from cx_metrics.config import Settings
from cx_metrics.export import guard_cell, to_safe_csv
from cx_metrics.ingest import load as ingest


def test_formula_cells_are_neutralised_numbers_are_not() -> None:
    frame = pd.DataFrame({
        "comment": ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "fine", None],
        "nps": [-12.5, 3.0, 0.0, 1.0, 2.0, 3.0, 4.0],
    })
    text = to_safe_csv(frame).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(back["comment"][:5]) == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tTab"]
    assert back["comment"][5] == "fine"
    assert back["nps"][0] == -12.5  # a negative number stays a number


def test_header_cells_are_guarded_too() -> None:
    text = to_safe_csv(pd.DataFrame({"=cmd": [1]})).decode("utf-8-sig")
    assert text.splitlines()[0] == "'=cmd"


@given(st.text())
def test_no_guarded_cell_starts_with_a_trigger(value: str) -> None:
    out = guard_cell(value)
    assert isinstance(out, str)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out.endswith(value)


DISGUISED = [" =1+1", "  +1", "\n=cmd|' /C calc'!A0", "\r\n@SUM(A1)", "\t=x", "＝1+1", "＋1", "－2+3", "＠SUM(A1)",
             "\u00a0=1", "\u3000=1", "\ufeff=1"]


def test_disguised_formula_starters_are_guarded_too() -> None:
    frame = pd.DataFrame({"text": [*DISGUISED, "fine", "a=b", "e-mail", "1-2"]})
    back = pd.read_csv(io.StringIO(to_safe_csv(frame).decode("utf-8-sig")), keep_default_na=False, dtype=str)
    assert all(cell.startswith("'") for cell in back["text"][:len(DISGUISED)])
    assert list(back["text"][len(DISGUISED):]) == ["fine", "a=b", "e-mail", "1-2"]  # a formula needs to start one


@given(st.text(alphabet=st.sampled_from(list(" \t\r\n\u00a0\u3000=+-@＝＋－＠ab1")), max_size=6))
def test_no_guarded_cell_reaches_a_starter_after_blanks(value: str) -> None:
    out = guard_cell(value)
    assert isinstance(out, str)
    stripped = out.lstrip(" \t\r\n\u00a0\u3000\ufeff")
    assert not stripped.startswith(("=", "+", "-", "@", "＝", "＋", "－", "＠")) or out.startswith("'")


def test_every_command_line_csv_is_guarded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`cx metric ... --format csv` (which the README suggests redirecting to a file) goes through the same guard as
    the app's downloads."""
    path = tmp_path / "cli.duckdb"
    conn = db.connect(Settings().with_db(path))
    try:
        rows = "".join(f'T{i},2026-09-1{i} 10:00,Problem,"{value}",""\n' for i, value in
                       enumerate(['=HYPERLINK(""http://x"")', "@SUM(A1)", "-2+3+cmd|' /C calc'!A0", " =1+1", "＝1+1"]))
        ingest.load(conn, ingest.preview(("Ticket ID,Created at,Ticket type,Category,Subject\n" + rows).encode(),
                                         name="t.csv"))
    finally:
        conn.close()
    assert cli.main(["metric", "complaint-volume", "--db", str(path), "--by", "category", "--start", "2026-09-07",
                     "--end", "2026-09-20", "--format", "csv"]) == 0
    back = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    categories = set(back["dimension"])
    assert len(categories) == 5 and all(c.startswith("'") for c in categories), categories
