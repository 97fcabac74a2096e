"""Surveys: turn the responses of a wide export into long rows (the questions are found by
:mod:`cx_metrics.ingest.questions`).

Qualtrics (3 header rows; the ImportId row as JSON or as a Python dict literal; legacy V1..Vn exports),
SurveyMonkey (question row + "Response"/option sub-labels), Typeform, Google Forms, Delighted and any CSV
with a score column. Scored questions go to ``survey_responses`` with their scale and direction; every other
answered question goes to ``survey_answers`` so nothing a respondent said is lost.
"""

from __future__ import annotations

import pandas as pd

from cx_metrics.ingest import parse
from cx_metrics.ingest.contract import Options, Prepared, RejectLog
from cx_metrics.ingest.detect import Detection
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.normalize import email_customer_key, source_name
from cx_metrics.ingest.questions import COMMENT, META, find_score_columns, import_ids, numeric_scores, question_labels
from cx_metrics.ingest.reader import RawTable, clean
from cx_metrics.ingest.specs import norm
from cx_metrics.text.personal import personal_question

_ID = [norm(c) for c in ("ResponseId", "Response ID", "RespondentID", "Respondent ID", "#", "id", "Token")]
_TIME = [norm(c) for c in ("RecordedDate", "Submit Date (UTC)", "Submit Date", "Response Timestamp", "EndDate",
                           "End Date", "Timestamp", "Submitted", "Submitted At", "Date Submitted", "Completed At",
                           "Response Date", "Date", "Responded At", "Created At", "StartDate", "Start Date")]
_CUSTOMER = [norm(c) for c in ("Customer ID", "ExternalReference", "ExternalDataReference", "Person ID",
                               "customer_id", "Custom Data 1", "Account ID")]
_EMAIL = [norm(c) for c in ("RecipientEmail", "EmailAddress", "Email Address", "Email")]
_TICKET = [norm(c) for c in ("Ticket ID", "ticket_id", "TicketId", "Ticket")]

_PREVIEW = {"1", "2", "8", "survey preview", "survey test", "spam", "preview", "test"}


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
    meta_cols = [c for c in raw.columns if norm(c) in META or c in {id_col, time_col, cust_col, email_col}]
    content_cols = [c for c in raw.columns if c not in meta_cols]
    empty = ~answered[content_cols].any(axis=1) if content_cols else pd.Series(True, index=data.index)
    rejects.add(empty, None, "the respondent answered no question", None)
    customer = clean(data[cust_col]) if cust_col else pd.Series(pd.NA, index=data.index, dtype="string")
    if email_col:
        customer = customer.fillna(email_customer_key(data[email_col]))
    ticket = clean(data[ticket_col]) if ticket_col else pd.Series(pd.NA, index=data.index, dtype="string")
    labels = question_labels(raw)
    comment_cols = [c for c in content_cols if c not in {s.column for s in scores}
                    and (COMMENT.search(f"{c} {labels[c]}") or _looks_free_text(data[c]))]
    comment = (clean(data[comment_cols[0]]) if comment_cols
               else pd.Series(pd.NA, index=data.index, dtype="string"))
    source = source_name(det, opts)
    survey_name = raw.file_name.rsplit(".", 1)[0]
    rej = rejects.frame()
    keep = data.index.difference(pd.Index(rej["row"]))
    rows = []
    for s in scores:
        values = numeric_scores(data[s.column])
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


