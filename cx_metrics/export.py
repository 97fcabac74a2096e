"""CSV exports that are safe to open in a spreadsheet: the one guard every CSV we write goes through (the app's
downloads and every ``--format csv`` of the command line).

A cell that starts with ``=``, ``+``, ``-`` or ``@`` is read as a formula by Excel, LibreOffice and Google Sheets
(CSV/formula injection, OWASP), and so is one that reaches such a character after leading blanks or line breaks
(spreadsheets trim them) or starts with a tab, carriage return or line feed. The full-width forms (``＝ ＋ － ＠``,
what an East Asian keyboard types) are formula starters too: spreadsheets fold them to ASCII. Such text cells are
prefixed with a single quote, which spreadsheets show as plain text. Numbers stay numbers: a negative NPS is not
text.
"""

from __future__ import annotations

import re
from typing import TextIO

import pandas as pd

#: formula starters, ASCII and full-width, after any run of whitespace (spaces, tabs, line breaks, no-break spaces)
_FORMULA = re.compile(r"^[\s\u00a0\u3000\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]")


def guard_cell(value: object) -> object:
    """``value`` made inert for a spreadsheet: a text cell that a spreadsheet would run as a formula gets a leading
    single quote; everything else is returned as it is."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def _guarded(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    safe.columns = [str(guard_cell(str(c))) for c in safe.columns]
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(guard_cell)
    return safe


def safe_csv_text(frame: pd.DataFrame) -> str:
    """CSV text with every text cell and header formula-guarded."""
    return _guarded(frame).to_csv(index=False)


def write_safe_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """Write ``frame`` formula-guarded to ``out`` (the command line's standard output) in chunks of rows: one write
    of the whole text into a pipe whose reader has gone (`cx ... | head`) is lost without an error, while a
    chunked write raises BrokenPipeError, so the command can stop and say so by its exit status."""
    _guarded(frame).to_csv(out, index=False)


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel detects the encoding) with every text cell formula-guarded (downloads)."""
    return safe_csv_text(frame).encode("utf-8-sig")
