"""Surveys: find the NPS / CSAT / CES questions in a wide export and turn responses into long rows.

Qualtrics (3 header rows; the ImportId row as JSON or as a Python dict literal; legacy V1..Vn exports),
SurveyMonkey (question row + "Response"/option sub-labels), Typeform, Google Forms, Delighted and any CSV
with a score column. Scored questions go to ``survey_responses`` with their scale and direction; every other
answered question goes to ``survey_answers`` so nothing a respondent said is lost.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

import pandas as pd

from cx_metrics.ingest import parse
from cx_metrics.ingest.contract import Options, Prepared, RejectLog
from cx_metrics.ingest.detect import Detection
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.normalize import email_customer_key, source_name
from cx_metrics.ingest.reader import RawTable, clean
from cx_metrics.ingest.specs import norm
from cx_metrics.text.personal import personal_question

_META = {norm(c) for c in (
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
    "ResponseId", "ResponseID", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
    "ExternalDataReference", "LocationLatitude", "LocationLongitude", "LocationAccuracy", "DistributionChannel",
    "UserLanguage", "ResponseSet", "Name", "EmailAddress", "Respondent ID", "RespondentID", "Collector ID",
    "Start Date", "End Date", "IP Address", "Email Address", "First Name", "Last Name", "Custom Data 1", "#",
    "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Network ID", "Timestamp",
    "Person ID", "Email", "Response Timestamp", "Delighted Source", "Survey Type", "Response ID", "Score Date",
    "Customer ID", "Ticket ID", "Tags",
)}
_ID = [norm(c) for c in ("ResponseId", "Response ID", "RespondentID", "Respondent ID", "#", "id", "Token")]
_TIME = [norm(c) for c in ("RecordedDate", "Submit Date (UTC)", "Submit Date", "Response Timestamp", "EndDate",
                           "End Date", "Timestamp", "Submitted", "Submitted At", "Date Submitted", "Completed At",
                           "Response Date", "Date", "Responded At", "Created At", "StartDate", "Start Date")]
_CUSTOMER = [norm(c) for c in ("Customer ID", "ExternalReference", "ExternalDataReference", "Person ID",
                               "customer_id", "Custom Data 1", "Account ID")]
_EMAIL = [norm(c) for c in ("RecipientEmail", "EmailAddress", "Email Address", "Email")]
_TICKET = [norm(c) for c in ("Ticket ID", "ticket_id", "TicketId", "Ticket")]

_HINTS = {
    "nps": re.compile(r"(recommend|\bnps\b|net promoter|empfehl|recommand|recomend|recomiend|raccomand|"
                      r"likely .* friend)", re.I),
    "csat": re.compile(r"(satisf|\bcsat\b|zufried|satisfait|how happy|rate (our|the|your) (service|support))", re.I),
    "ces": re.compile(r"(effort|\bces\b|easy|ease of|einfach|facile|difficult)", re.I),
}
_COMMENT = re.compile(r"(comment|why|reason|feedback|explain|free text|tell us|suggest|anything else|verbatim|"
                      r"kommentar|commentaire|what could we|improve)", re.I)
_LIKERT = {
    "very satisfied": 5, "extremely satisfied": 5, "satisfied": 4, "somewhat satisfied": 4,
    "neither satisfied nor dissatisfied": 3, "neutral": 3, "somewhat dissatisfied": 2, "dissatisfied": 2,
    "very dissatisfied": 1, "extremely dissatisfied": 1, "not satisfied": 2,
    "very easy": 7, "easy": 6, "somewhat easy": 5, "neither easy nor difficult": 4, "somewhat difficult": 3,
    "difficult": 2, "very difficult": 1,
}
_ONE_TO_TEN = re.compile(r"\b1\s*(?:-|–|to|bis|à)\s*10\b", re.I)
_PREVIEW = {"1", "2", "8", "survey preview", "survey test", "spam", "preview", "test"}


@dataclass
class ScoreColumn:
    column: str
    metric: str  # nps / csat / ces
    scale_min: float
    scale_max: float
    higher_is_better: bool = True
    question: str = ""


def _labels(raw: RawTable) -> dict[str, str]:
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


def _numeric(values: pd.Series) -> pd.Series:
    text = clean(values)
    lead = pd.to_numeric(text.str.extract(r"^\s*(-?\d+(?:\.\d+)?)")[0], errors="coerce")
    likert = text.str.lower().map(_LIKERT)
    return lead.fillna(pd.to_numeric(likert, errors="coerce")).astype("float64")


def find_score_columns(raw: RawTable) -> list[ScoreColumn]:
    labels = _labels(raw)
    ids = import_ids(raw)
    found: list[ScoreColumn] = []
    for col in raw.columns:
        if norm(col) in _META or ids.get(col, "").endswith(("_NPS_GROUP", "_TEXT")) or col.endswith("NPS_GROUP"):
            continue
        present = clean(raw.data[col]).dropna()
        if present.empty:
            continue
        nums = _numeric(raw.data[col]).dropna()
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


def _pick(raw: RawTable, names: list[str]) -> str | None:
    by_norm = {norm(c): c for c in raw.columns}
    return next((by_norm[n] for n in names if n in by_norm), None)


def prepare_surveys(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    rejects, warnings = RejectLog(), list(raw.warnings)
    data = raw.data
    def column(name: str, usual: list[str], usual_first: bool = False) -> str | None:
        """The column the user chose for the field (None: they chose none), else the vendor's usual name or the
        inferred column."""
        if name in det.user_fields:
            return det.mapping.get(name)
        picked, inferred = _pick(raw, usual), det.mapping.get(name)
        return (picked or inferred) if usual_first else (inferred or picked)

    id_col = column("response_id", _ID, usual_first=True)
    time_col = column("responded_at", _TIME, usual_first=True)
    cust_col = column("customer_id", _CUSTOMER)
    email_col = column("email", _EMAIL, usual_first=True)
    ticket_col = column("ticket_id", _TICKET)
    response_id = clean(data[id_col]) if id_col else pd.Series(
        [f"row{i + raw.first_data_line}" for i in range(len(data))], index=data.index, dtype="string")
    if not id_col:
        warnings.append("No response id column: responses are identified by their line number in this file.")
    scores = find_score_columns(raw)
    fmt = parse.infer_date_format(data[time_col], prefer_day_first=opts.day_first) \
        if time_col else None
    if fmt is None and time_col is not None and opts.fieldwork_date is None:
        raise ImportRefused(f"Survey answers need a response date, but {time_col!r} does not hold dates in a format "
                            "we read. Map another date column, or none and state the fieldwork date (Upload page: "
                            "How the file is read, then Fieldwork date or period; CLI: --fieldwork-date "
                            "YYYY-MM-DD), then import again.")
    if fmt is not None and time_col is not None:
        responded, bad = parse.parse_dates(data[time_col], fmt, opts.timezone)
        rejects.add(bad | responded.isna(), time_col, "no readable response date", data[time_col])
    else:
        # a panel export or a cleaned data set: the answers carry the fieldwork date, stated, never guessed silently
        day = opts.fieldwork_date or (opts.reference_date or pd.Timestamp.now(tz="UTC")).date()
        responded = pd.Series(pd.Timestamp(day), index=data.index).astype("datetime64[us]")
        how = "the fieldwork date you gave" if opts.fieldwork_date else "the import day, by default"
        warnings.append(f"The file has no response date: every answer is dated {day:%Y-%m-%d} ({how}). State "
                        "the fieldwork date on the Upload page (Fieldwork date or period) or with --fieldwork-date "
                        "if that is wrong.")
    status_col = _pick(raw, [norm("Status"), norm("Response Type")])
    if status_col is not None and det.vendor.startswith("Qualtrics"):
        preview = clean(data[status_col]).str.lower().isin(_PREVIEW)
        rejects.add(preview, status_col, "Qualtrics preview, test or spam response (not a real respondent)",
                    data[status_col])
    answered = data.apply(clean).notna()
    meta_cols = [c for c in raw.columns if norm(c) in _META or c in {id_col, time_col, cust_col, email_col}]
    content_cols = [c for c in raw.columns if c not in meta_cols]
    empty = ~answered[content_cols].any(axis=1) if content_cols else pd.Series(True, index=data.index)
    rejects.add(empty, None, "the respondent answered no question", None)
    customer = clean(data[cust_col]) if cust_col else pd.Series(pd.NA, index=data.index, dtype="string")
    if email_col:
        customer = customer.fillna(email_customer_key(data[email_col]))
    ticket = clean(data[ticket_col]) if ticket_col else pd.Series(pd.NA, index=data.index, dtype="string")
    labels = _labels(raw)
    comment_cols = [c for c in content_cols if c not in {s.column for s in scores}
                    and (_COMMENT.search(f"{c} {labels[c]}") or _looks_free_text(data[c]))]
    comment = (clean(data[comment_cols[0]]) if comment_cols
               else pd.Series(pd.NA, index=data.index, dtype="string"))
    source = source_name(det, opts)
    survey_name = raw.file_name.rsplit(".", 1)[0]
    rej = rejects.frame()
    keep = data.index.difference(pd.Index(rej["row"]))
    rows = []
    for s in scores:
        values = _numeric(data[s.column])
        out_of_scale = values.notna() & ((values < s.scale_min) | (values > s.scale_max))
        if bool(out_of_scale.any()):
            warnings.append(f"{int(out_of_scale.sum())} answers to {s.column!r} are outside {s.scale_min:g}-"
                            f"{s.scale_max:g} and were not loaded.")
        ok = keep[values[keep].notna() & ~out_of_scale[keep]]
        rows.append(pd.DataFrame({
            "source": source, "response_id": response_id[ok], "survey_name": survey_name,
            "question": s.question or s.column, "customer_id": customer[ok], "ticket_id": ticket[ok],
            "responded_at": responded[ok], "metric": s.metric, "score": values[ok], "scale_min": s.scale_min,
            "scale_max": s.scale_max, "higher_is_better": s.higher_is_better, "comment": comment[ok],
            "touchpoint": "ticket" if ticket_col else "survey", "channel": pd.NA,
        }))
    scored = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=[
        "source", "response_id", "survey_name", "question", "customer_id", "ticket_id", "responded_at", "metric",
        "score", "scale_min", "scale_max", "higher_is_better", "comment", "touchpoint", "channel"])
    if not scores:
        warnings.append("No NPS, CSAT or CES question was recognised: the answers are stored (the Surveys page "
                        "lists them under imported surveys), but no score metric is computed from this file. A "
                        "question is scored when its text asks how likely one is to recommend (NPS), how satisfied "
                        "(CSAT) or how easy (CES), answered on a numeric scale.")
    ids = import_ids(raw)
    other = [c for c in content_cols if c not in {s.column for s in scores}]
    if not opts.keep_pii:  # "Full name", "Your phone number", "Home address": like every other kind of file
        personal = [c for c in other if personal_question(c) or personal_question(labels.get(c, c))]
        if personal:
            warnings.append(f"Not stored (personal data): {', '.join(personal)}.")
        other = [c for c in other if c not in personal]
    answers = []
    for col in other:
        values = clean(data[col])
        ok = keep[values[keep].notna()]
        answers.append(pd.DataFrame({
            "source": source, "response_id": response_id[ok], "survey_name": survey_name,
            "question_id": ids.get(col, col), "question": labels.get(col, col), "answer": values[ok],
            "customer_id": customer[ok], "responded_at": responded[ok],
        }))
    answer_frame = (pd.concat(answers, ignore_index=True) if answers else pd.DataFrame(columns=[
        "source", "response_id", "survey_name", "question_id", "question", "answer", "customer_id", "responded_at"]))
    dates = responded[keep].dropna()
    return Prepared(
        "surveys", det.vendor, source, {"survey_responses": scored, "survey_answers": answer_frame}, rej, warnings,
        len(data), (dates.min(), dates.max()) if len(dates) else None,
        {time_col: fmt.fmt} if fmt and time_col else {},
        [time_col] if fmt and time_col and fmt.ambiguous and opts.day_first is None else [],
        rows_ok=len(keep),
    )


def _looks_free_text(values: pd.Series) -> bool:
    present = clean(values).dropna()
    if len(present) == 0:
        return False
    return bool(present.str.len().median() > 25 and present.nunique() > 0.5 * len(present))


