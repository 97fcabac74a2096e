"""The question finder: which columns of a wide survey export are NPS, CSAT or CES questions (and on which scale),
which are comments, and which are the export's own metadata. Reads the question text of Qualtrics' and SurveyMonkey's
extra header rows and Qualtrics' ImportId row (JSON or a Python dict literal); writes nothing. The survey preparer
(:mod:`cx_metrics.ingest.surveys`) and the Upload page ask it.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

import pandas as pd

from cx_metrics.ingest.reader import RawTable, clean
from cx_metrics.ingest.specs import norm

META = {norm(c) for c in (
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
    "ResponseId", "ResponseID", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
    "ExternalDataReference", "LocationLatitude", "LocationLongitude", "LocationAccuracy", "DistributionChannel",
    "UserLanguage", "ResponseSet", "Name", "EmailAddress", "Respondent ID", "RespondentID", "Collector ID",
    "Start Date", "End Date", "IP Address", "Email Address", "First Name", "Last Name", "Custom Data 1", "#",
    "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Network ID", "Timestamp",
    "Person ID", "Email", "Response Timestamp", "Delighted Source", "Survey Type", "Response ID", "Score Date",
    "Customer ID", "Ticket ID", "Tags",
)}
_HINTS = {
    "nps": re.compile(r"(recommend|\bnps\b|net promoter|empfehl|recommand|recomend|recomiend|raccomand|"
                      r"likely .* friend)", re.I),
    "csat": re.compile(r"(satisf|\bcsat\b|zufried|satisfait|how happy|rate (our|the|your) (service|support))", re.I),
    "ces": re.compile(r"(effort|\bces\b|easy|ease of|einfach|facile|difficult)", re.I),
}
COMMENT = re.compile(r"(comment|why|reason|feedback|explain|free text|tell us|suggest|anything else|verbatim|"
                      r"kommentar|commentaire|what could we|improve)", re.I)
_LIKERT = {
    "very satisfied": 5, "extremely satisfied": 5, "satisfied": 4, "somewhat satisfied": 4,
    "neither satisfied nor dissatisfied": 3, "neutral": 3, "somewhat dissatisfied": 2, "dissatisfied": 2,
    "very dissatisfied": 1, "extremely dissatisfied": 1, "not satisfied": 2,
    "very easy": 7, "easy": 6, "somewhat easy": 5, "neither easy nor difficult": 4, "somewhat difficult": 3,
    "difficult": 2, "very difficult": 1,
}
_ONE_TO_TEN = re.compile(r"\b1\s*(?:-|–|to|bis|à)\s*10\b", re.I)

@dataclass
class ScoreColumn:
    """A scored question: its column, the metric it measures, its scale and direction, its text."""

    column: str
    metric: str  # nps / csat / ces
    scale_min: float
    scale_max: float
    higher_is_better: bool = True
    question: str = ""


def question_labels(raw: RawTable) -> dict[str, str]:
    """Question text per column (Qualtrics/SurveyMonkey second header row), else the column name."""
    labels = {c: c for c in raw.columns}
    if len(raw.header_rows) >= 2 and not (raw.header_rows[0] and raw.header_rows[0][0].lstrip("\ufeff") == "V1"):
        for col, text in zip(raw.columns, raw.header_rows[1], strict=False):
            if text and text not in {"Response", "Open-Ended Response"}:
                labels[col] = text
    return labels


def import_ids(raw: RawTable) -> dict[str, str]:
    """Qualtrics ImportId per column: the third header row holds JSON or a Python dict literal."""
    if len(raw.header_rows) < 3:
        return {}
    out = {}
    for col, cell in zip(raw.columns, raw.header_rows[2], strict=False):
        value: object = None
        for loader in (json.loads, ast.literal_eval):
            try:
                value = loader(cell)
                break
            except (ValueError, SyntaxError, RecursionError, MemoryError):  # a header cell is not a dict: skip it
                continue
        if isinstance(value, dict) and "ImportId" in value:
            out[col] = str(value["ImportId"])
    return out


def numeric_scores(values: pd.Series) -> pd.Series:
    """The answers as numbers: a leading number ("9 - very likely"), else a Likert label's position."""
    text = clean(values)
    lead = pd.to_numeric(text.str.extract(r"^\s*(-?\d+(?:\.\d+)?)")[0], errors="coerce")
    likert = text.str.lower().map(_LIKERT)
    return lead.fillna(pd.to_numeric(likert, errors="coerce")).astype("float64")


def find_score_columns(raw: RawTable) -> list[ScoreColumn]:
    """The scored questions of a wide survey export: NPS, CSAT and CES columns with their scale and direction, told
    from the question text, the Qualtrics ImportId and the answers (metadata columns and NPS groups left out)."""
    labels = question_labels(raw)
    ids = import_ids(raw)
    found: list[ScoreColumn] = []
    for col in raw.columns:
        if norm(col) in META or ids.get(col, "").endswith(("_NPS_GROUP", "_TEXT")) or col.endswith("NPS_GROUP"):
            continue
        present = clean(raw.data[col]).dropna()
        if present.empty:
            continue
        nums = numeric_scores(raw.data[col]).dropna()
        if len(nums) < 0.8 * len(present) or not bool((nums == nums.round()).all()):
            continue
        lo, hi = float(nums.min()), float(nums.max())
        text = f"{col} {labels.get(col, '')} {ids.get(col, '')}"
        metric = next((m for m, rx in _HINTS.items() if rx.search(text)), None)
        if metric is None and norm(col) in {"score", "npsscore", "rating", "csat", "ces"}:
            metric = {"csat": "csat", "ces": "ces"}.get(norm(col), "nps" if hi > 7 or lo == 0 else "csat")
        if metric is None:
            continue
        if metric == "nps" and 0 <= lo and hi <= 10:
            # a 1-10 scale is said in the question ("on a scale of 1 to 10"); the data alone cannot tell
            one_to_ten = lo >= 1 and _ONE_TO_TEN.search(text) is not None
            found.append(ScoreColumn(col, "nps", 1.0 if one_to_ten else 0.0, 10.0, True, labels[col]))
        elif metric == "csat" and lo >= 0 and hi <= 10:
            top = 1.0 if hi <= 1 else (4.0 if hi <= 4 else (5.0 if hi <= 5 else (7.0 if hi <= 7 else 10.0)))
            found.append(ScoreColumn(col, "csat", 0.0 if top == 1.0 else 1.0, top, True, labels[col]))
        elif metric == "ces" and lo >= 1 and hi <= 7:
            legacy = hi <= 5 and re.search(r"effort", text, re.I) is not None
            found.append(ScoreColumn(col, "ces", 1.0, 5.0 if legacy else 7.0, not legacy, labels[col]))
    return found


