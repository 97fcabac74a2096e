"""CSV exports that are safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula by Excel,
LibreOffice and Google Sheets (CSV/formula injection, OWASP). Such text cells are prefixed with a single
quote, which spreadsheets show as plain text. Numbers stay numbers: a negative NPS is not text.
"""

from __future__ import annotations

import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel detects the encoding) with every text cell formula-guarded."""
    safe = frame.copy()
    safe.columns = [str(guard_cell(str(c))) for c in safe.columns]
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(guard_cell)
    return safe.to_csv(index=False).encode("utf-8-sig")
