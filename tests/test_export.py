"""Exports cannot smuggle formulas into a spreadsheet."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cx_metrics.export import guard_cell, to_safe_csv


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
