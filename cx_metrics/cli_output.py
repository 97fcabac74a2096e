"""How every `cx` command prints a frame: a table for people, csv or json for scripts (one writer for ``cx metric``,
``cx churn``, ``cx themes``, the digest and alert commands)."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys

import pandas as pd

from cx_metrics.export import safe_csv_text


def emit(frame: pd.DataFrame, fmt: str, empty: str = "No rows.") -> None:
    """Print ``frame`` as csv, json or a table; a table with no rows prints ``empty`` (a sentence), never pandas'
    "Empty DataFrame" and its column list. The notes a metric carries (what the data cannot support or compare)
    go to stderr, so scripts reading stdout are unaffected."""
    for note in frame.attrs.get("notes", ()):
        print(f"# {note}", file=sys.stderr)
    if fmt == "csv":  # formula-guarded like every CSV we write: the README suggests redirecting it to a file
        sys.stdout.write(safe_csv_text(frame))
    elif fmt == "json":
        records = frame.to_dict("records")
        print(json.dumps(records, default=json_default, indent=2))
    elif frame.empty:
        print(empty)
    else:
        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
            print(frame.to_string(index=False))


def json_default(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)
