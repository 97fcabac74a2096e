"""What the Upload page shows about how a file is read, and what it takes back from the person: the columns they
change, the category column they pick, the fieldwork date of a file without dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cx_metrics.ingest.detect import Detection
from cx_metrics.ingest.load import Preview
from cx_metrics.ingest.questions import find_score_columns
from cx_metrics.ingest.reader import RawTable
from cx_metrics.text.escape import md

NONE = ""  # no column for the field


def fieldwork_day(value: Any) -> dt.date | None:
    """The day a file without dates is dated: the date given, or the last day of the period given; None for the
    default (the import day), including the widget's untouched default of today."""
    if value is None:
        return None
    days = [d for d in (value if isinstance(value, (tuple, list)) else (value,)) if d is not None]
    if not days:
        return None
    day = max(days)
    return None if day == dt.date.today() and len(set(days)) == 1 else day


def changed_columns(reading: pd.DataFrame, edited: pd.DataFrame) -> dict[str, str]:
    """Field -> column for the rows whose column the person changed in the reading table ('' = none)."""
    def text(value: Any) -> str:
        return NONE if value is None or pd.isna(value) else str(value)

    before = {str(f): text(c) for f, c in zip(reading["field"], reading["column"], strict=True)}
    return {str(r["field"]): text(r["column"]) for r in edited.to_dict("records")
            if text(r["column"]) != before.get(str(r["field"]), NONE)}


@dataclass
class CategoryChoice:
    statement: str  # which column the category is taken from, and why, in words
    options: list[str]  # the chosen column first, then the other candidates, then '' (no category)
    labels: dict[str, str]  # option -> what to show for it
    current: str


def category_choice(det: Detection, columns: list[str]) -> CategoryChoice:
    """The category candidate chosen and the alternatives: complaint logs often carry their category only in a
    product/issue column or a custom drop-down field, so the pick is stated and can be changed."""
    current = det.mapping.get("category", NONE)
    others = [(c, score, why) for c, score, why in det.candidates.get("category", []) if c != current]
    if current:
        statement = (f"**Category** is taken from **{md(current)}**: {md(det.why.get('category', 'its usual name'))}."
                     + (f" Other candidates: {md(', '.join(repr(c) for c, _, _ in others))}." if others else ""))
    else:
        statement = ("**Category**: no column looks like one, so every row loads as (no category)."
                     + (f" Candidates: {md(', '.join(repr(c) for c, _, _ in others))}." if others else ""))
    options = [current] if current else []
    options += [c for c, _, _ in others if c not in options]
    options += [NONE] if NONE not in options else []
    options += [c for c in columns if c not in options]
    labels = {c: c for c in columns}
    labels[NONE] = "(no category)"
    for column, score, why in others:
        labels[column] = f"{column} — candidate, {score:.0%}: {why}"
    if current:
        labels[current] = f"{current} — chosen: {det.why.get('category', 'its usual name')}"
    return CategoryChoice(statement, options, labels, current)


def survey_questions(raw: RawTable) -> pd.DataFrame:
    """The questions scored as NPS, CSAT or CES, with the scale their answers are read on."""
    found = find_score_columns(raw)
    return pd.DataFrame({
        "question": [s.question or s.column for s in found],
        "column": [s.column for s in found],
        "measured as": [s.metric.upper() for s in found],
        "scale": [f"{s.scale_min:g}-{s.scale_max:g}" + ("" if s.higher_is_better else " (lower is better)")
                  for s in found],
    }, columns=["question", "column", "measured as", "scale"])


def undated(pv: Preview) -> bool:
    """The file has no date per row that the reading uses: survey answers without a response date, or a customer
    snapshot (ages and tenures are as of the day it was taken) without signup dates."""
    if pv.detection.kind == "surveys":
        return any("has no response date" in w for w in pv.prepared.warnings)
    return pv.detection.kind == "customers" and "signup_at" not in pv.detection.mapping
