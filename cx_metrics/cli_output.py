"""How every `cx` command prints a frame: a table for people, csv or json for scripts (one writer for ``cx metric``,
``cx churn``, ``cx themes``, the digest and alert commands)."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics.export import write_safe_csv


def emit(frame: pd.DataFrame, fmt: str, meta: dict[str, Any] | None = None, empty: str = "No rows.") -> None:
    """Print ``frame`` as csv, json or a table; a table with no rows prints ``empty`` (a sentence), never pandas'
    "Empty DataFrame" and its column list. The notes a metric carries (what the data cannot support or compare)
    go to stderr, so scripts reading stdout are unaffected. JSON is strict RFC 8259 (NaN and infinities are null);
    with ``meta`` it is an object holding it (period, filters...), the notes and the records under ``rows``."""
    notes = list(frame.attrs.get("notes", ()))
    for note in notes:
        print(f"# {note}", file=sys.stderr)
    if fmt == "csv":  # formula-guarded like every CSV we write: the README suggests redirecting it to a file
        write_safe_csv(frame, sys.stdout)
    elif fmt == "json":
        records = frame.to_dict("records")
        print(dumps({**meta, "notes": notes, "rows": records} if meta is not None else records))
    elif frame.empty:
        print(empty)
    else:
        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
            print(frame.to_string(index=False))


def dumps(value: object) -> str:
    """JSON a strict parser (jq, a browser) accepts: NaN and +/-infinity become null, dates ISO 8601."""
    return json.dumps(_jsonable(value), indent=2, allow_nan=False)


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray, pd.Series)):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (pd.Timestamp, dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return pd.Timedelta(value).total_seconds()
    if isinstance(value, Path):
        return str(value)
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
