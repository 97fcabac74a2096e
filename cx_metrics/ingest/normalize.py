"""Raw cells -> canonical rows for tickets, ticket events, customers and activity.

Every row that cannot be used is kept as a reject with the column and the reason; no row disappears
without a trace. Values vendors use for "never" (Zendesk's 1900-01-01) become missing, not errors.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cx_metrics import db
from cx_metrics.ingest import sqlprep, vocab
from cx_metrics.ingest.contract import Options as Options
from cx_metrics.ingest.contract import Prepared as Prepared
from cx_metrics.ingest.contract import RejectLog as RejectLog
from cx_metrics.ingest.contract import main_table as main_table
from cx_metrics.ingest.detect import Detection
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.notes import Counted, literal
from cx_metrics.ingest.reader import RawTable, clean
from cx_metrics.text.personal import PII_HINTS


def hash_value(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()


def hash_series(values: pd.Series) -> pd.Series:
    text = clean(values)
    return text.map(hash_value, na_action="ignore").astype("string")


def email_customer_key(values: pd.Series) -> pd.Series:
    """A stable customer id for a file that identifies customers only by email (never the email itself)."""
    return ("email:" + hash_series(values).str.slice(0, 20)).astype("string")


_FLAG_STATUS = [(rf"^(?:{'|'.join(re.escape(w) for w in vocab.TRUE_WORDS)})$", "solved")]
_STATUS = [
    (r"^(?:new|unassigned|to do|todo)$", "new"),
    (r"(?:hold|snooz|on hold|paused)", "hold"),
    (r"(?:pending|waiting|awaiting)", "pending"),
    (r"^(?:solved|resolved|done|fixed|completed?)$", "solved"),
    (r"(?:closed|archived)", "closed"),
    (r"(?:open|progress|active|escalat|assigned|reopen|work)", "open"),
    *vocab.STATUS_WORDS,  # the same classes in the other languages a file may be written in
]
_CHANNEL = [
    (r"(?:e-?mail|mail|correo|courriel)", "email"),
    (r"(?:chat|live ?chat)", "chat"),
    (r"(?:phone|voice|call|telephon|telefon)", "phone"),
    (r"(?:twitter|facebook|instagram|social|x\.com)", "social"),
    (r"(?:whatsapp|sms|messag|line|wechat|telegram|native_messaging|any_channel)", "messaging"),
    (r"(?:web|portal|form|widget|help ?cent|api|mobile|app|in-app|formulaire|formulario)", "web"),
]
_PRIORITY = [
    (r"(?:urgent|critical|highest|blocker|p1|emergency)", "urgent"),
    (r"(?:high|major|p2)", "high"),
    (r"(?:low|minor|lowest|trivial|p4|p5)", "low"),
    (r"(?:normal|medium|moderate|p3|standard)", "normal"),
]
#: default complaint rule (configurable in the complaint-trends issue): the type/category says something broke
COMPLAINT_RE = r"(?:incident|problem|complaint|issue|bug|defect|refund|outage|broken|error|fault)"


def source_name(det: Detection, opts: Options) -> str:
    if opts.source:
        return opts.source
    slug = re.sub(r"[^a-z0-9]+", "_", det.vendor.lower().split("(")[0]).strip("_")
    return slug or "import"




_SMILEY = {"extremely happy": 5.0, "happy": 4.0, "neutral": 3.0, "unhappy": 2.0, "extremely unhappy": 1.0}
_GOOD = r"^(?:good|satisfied|happy|positive|awesome|great)"
_BAD = r"^(?:bad|unsatisfied|dissatisfied|unhappy|negative|not good)"
_OFFERED = r"^(?:offered|unoffered|not offered|sent|pending)"
_RATING = r"^(?:[^\W\d_]{2,12}\s*:?\s*)?(\d+(?:\.\d+)?)"  # "4", "4 - good", "Nota 4", "Score: 8"
_TAG_NOISE = r"[\[\]\"']"
_TAG_SPLIT = r"[,;\s]+"
_TRUE = ["yes", "y", "true", "t", "1", "churned", "cancelled", "canceled", "inactive", "lost", "exited"]


def _query(raw: RawTable, det: Detection, opts: Options, warnings: list[str]) -> sqlprep.Query:
    day_first = opts.day_first if opts.day_first is not None else sqlprep.file_day_first(raw, det)
    today = opts.reference_date if opts.reference_date is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    latest = (pd.Timestamp(today) + pd.Timedelta(days=2)).to_pydatetime()  # time zones and clock skew: 2 days' grace
    return sqlprep.Query(raw, det, day_first, warnings, timezone=opts.timezone, latest=latest)


def _email_key(qy: sqlprep.Query, t: str) -> str:
    return f"CASE WHEN {t} IS NULL THEN NULL ELSE 'email:' || left(sha256(lower({t})), 20) END"


def _rating(value: str | None) -> tuple[float | None, str | None]:
    """One rating cell -> (score, scale kind): smiley 1-5, good/bad, offered, a number, or nothing."""
    if value is None:
        return None, None
    text = value.strip().lower()
    if text in _SMILEY:
        return _SMILEY[text], "1-5"
    if re.match(_GOOD, text):
        return 1.0, "good_bad"
    if re.match(_BAD, text):
        return 0.0, "good_bad"
    if re.match(_OFFERED, text):
        return None, "offered"
    number = re.match(_RATING, text)
    return (float(number.group(1)), "number") if number else (None, None)


def _satisfaction(qy: sqlprep.Query, t: str) -> tuple[str, str]:
    """Zendesk Offered/Not Offered/Good/Bad, Freshdesk's smiley scale, numeric ratings -> (score, scale)."""
    def scores(values: list[Any]) -> pa.Array:
        return pa.array([_rating(v)[0] for v in values], pa.float64())

    def scales(values: list[Any]) -> pa.Array:
        parsed = [_rating(v) for v in values]
        top = max((s for s, k in parsed if k == "number" and s is not None), default=5.0)
        top = 5 if top <= 5 else (7 if top <= 7 else 10)  # a numeric rating's scale from the file's largest value
        return pa.array([f"1-{top}" if k == "number" else k for _, k in parsed], pa.string())

    return qy.derive(t, scores, "score"), qy.derive(t, scales, "scale")


def _matches(pattern: str) -> Callable[[list[Any]], pa.Array]:
    rx = re.compile(pattern, re.IGNORECASE)
    return lambda values: pa.array([bool(v is not None and rx.search(v)) for v in values], pa.bool_())


def _split_tags(values: list[Any]) -> pa.Array:
    """'a b', 'a, b', 'a;b' or a JSON list '["a","b"]' -> a list of tags."""
    out = []
    for v in values:
        parts = [x for x in re.split(_TAG_SPLIT, re.sub(_TAG_NOISE, " ", v).strip()) if x] if v is not None else []
        out.append(parts or None)
    return pa.array(out, pa.list_(pa.string()))


def _seconds(minutes_expr: str, factor: int = 60) -> str:
    return f"to_microseconds(CAST(({minutes_expr}) * {factor * 1_000_000} AS BIGINT))"


TICKET_COLUMNS = [
    "source", "ticket_id", "customer_id", "created_at", "first_response_at", "first_solved_at", "solved_at",
    "closed_at", "updated_at", "status", "status_raw", "channel", "channel_raw", "category", "ticket_type",
    "priority", "subject", "description", "tags", "group_name", "assignee", "reopens", "replies",
    "group_stations", "assignee_stations", "satisfaction_score", "satisfaction_scale", "is_complaint",
    "vendor_first_reply_minutes", "vendor_first_reply_minutes_business", "vendor_full_resolution_minutes",
    "vendor_full_resolution_minutes_business", "attributes",
]


def prepare_tickets(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    warnings = list(raw.warnings)
    qy = _query(raw, det, opts, warnings)
    source = source_name(det, opts)
    if qy.has("ticket_id"):
        ticket_id = qy.text("ticket_id")
        qy.reject(f"{ticket_id} IS NULL", "no ticket id", det.mapping.get("ticket_id"), None)
    else:  # a complaint log without ids: each row is identified by its place in the file, stated
        ticket_id = f"('row' || CAST(_row + {raw.first_data_line} AS VARCHAR))"
        warnings.append(f"No ticket id column: each row of {raw.file_name} is identified by its row in the file "
                        f"(row{raw.first_data_line}, row{raw.first_data_line + 1}...). Re-importing an edited copy "
                        "of the file cannot update these tickets; map an id column if the file has one.")
    has_created = qy.has("created_at")
    if not has_created and not qy.has("first_response_at"):
        dates = [c for c in raw.columns if c not in det.mapping.values()]
        raise ImportRefused(
            f"{raw.file_name} was read as tickets, but none of its columns holds a creation time"
            + (f" (columns not used: {', '.join(map(repr, dates[:6]))})" if dates else "")
            + ". Map the creation time (Upload page: How the file is read; CLI: --mapping FILE.json with "
            '{"created_at": "<column>"}) or choose another kind.')
    created = qy.timestamp("created_at", required=True) if has_created else qy.timestamp("first_response_at")
    if not has_created:
        warnings.append(
            f"The file has no creation time; {det.mapping['first_response_at']!r} (the earliest time it holds) is "
            "used as the creation time, so first-response times are unknown for these tickets."
        )
    created = qy.value("k_created", created)
    minutes = {name: qy.number(name) for name in (
        "vendor_first_reply_minutes", "vendor_first_reply_minutes_business", "vendor_full_resolution_minutes",
        "vendor_full_resolution_minutes_business", "vendor_first_resolution_minutes", "first_response_hours",
        "resolution_hours")}
    if has_created:
        first_response = (f"coalesce({qy.timestamp('first_response_at')}, "
                          f"{created} + {_seconds(minutes['vendor_first_reply_minutes'])}, "
                          f"{created} + {_seconds(minutes['first_response_hours'], 3600)})")
    else:
        first_response = "CAST(NULL AS TIMESTAMP)"
    status_raw = qy.text("status")
    rules = _FLAG_STATUS if "status" in det.flags else _STATUS  # a yes/no "Resolved" column: yes = solved
    status = qy.value("k_status_class", qy.classify(status_raw, rules, "open"))
    closed = qy.value("k_closed", qy.timestamp("closed_at"))
    solved = qy.value("k_solved", f"coalesce({qy.timestamp('solved_at')}, "
                                  f"CASE WHEN {status} = 'closed' THEN {closed} END)")
    first_solved = (f"coalesce({qy.timestamp('first_solved_at')}, "
                    f"{created} + {_seconds(minutes['vendor_first_resolution_minutes'])}, {solved})")
    final_status = f"coalesce({status}, CASE WHEN {solved} IS NOT NULL THEN 'solved' ELSE 'open' END)"
    qy.reject(f"lower({status_raw}) IN (SELECT unnest({qy.p(list(vocab.DROPPED_STATUS))}))",
              "the ticket is deleted/spam/merged in the source", det.mapping.get("status"), status_raw)
    tags_t = qy.text("tags")
    tags = qy.derive(tags_t, _split_tags, "tags")
    score, scale = _satisfaction(qy, qy.text("satisfaction"))
    bad_rating = f"(({scale} = 'good_bad' AND {score} = 0) OR (starts_with({scale}, '1-') AND {score} <= 2))"
    complaint = (f"({qy.derive(qy.text('ticket_type'), _matches(COMPLAINT_RE), 'complaint')} "
                 f"OR {qy.derive(qy.text('category'), _matches(COMPLAINT_RE), 'complaint')} "
                 f"OR {qy.derive(tags_t, _matches(COMPLAINT_RE), 'complaint')} "
                 f"OR coalesce({bad_rating}, false))")
    customer = f"coalesce({qy.text('customer_id')}, {_email_key(qy, qy.text('customer_email'))})"
    channel_raw = qy.text("channel")
    outputs = [
        ("source", qy.p(source)),
        ("ticket_id", ticket_id),
        ("customer_id", customer),
        ("created_at", created),
        ("first_response_at", first_response),
        ("first_solved_at", first_solved),
        ("solved_at", solved),
        ("closed_at", closed),
        ("updated_at", qy.timestamp("updated_at")),
        ("status", final_status),
        ("status_raw", status_raw),
        ("channel", qy.classify(channel_raw, _CHANNEL, "other")),
        ("channel_raw", channel_raw),
        ("category", qy.label("category")),
        ("ticket_type", qy.label("ticket_type")),
        ("priority", qy.classify(qy.text("priority"), _PRIORITY, None)),
        ("subject", qy.text("subject")),
        ("description", qy.text("description")),
        ("tags", tags),
        ("group_name", qy.label("group_name")),
        ("assignee", qy.label("assignee")),
        ("reopens", qy.number("reopens")),
        ("replies", qy.number("replies")),
        ("group_stations", qy.number("group_stations")),
        ("assignee_stations", qy.number("assignee_stations")),
        ("satisfaction_score", score),
        ("satisfaction_scale", scale),
        ("is_complaint", complaint),
        *[(name, minutes[name]) for name in (
            "vendor_first_reply_minutes", "vendor_first_reply_minutes_business", "vendor_full_resolution_minutes",
            "vendor_full_resolution_minutes_business")],
        ("attributes", qy.attributes(opts.keep_pii, PII_HINTS)),
    ]
    sla = {name: qy.duration(name) for name in ("sla_first_response", "sla_resolution") if qy.has(name)}
    outputs += [(f"_sla_{name}", expr) for name, expr in sla.items()]
    result = sqlprep.run(qy, outputs, key="ticket_id", newest="updated_at", keep_row=opts.keep_rows)
    good = result.good
    history = None
    if det.event_log:  # one row per update: the newest row is the ticket, every row a step of its history
        dup = result.rejects["reason"].astype("string").str.startswith("duplicate id in this file").fillna(False)
        result.rejects = result.rejects[~dup].reset_index(drop=True)
        history = _event_history(raw, det, opts, source)
        warnings.append(event_log_note(raw.num_rows, good.num_rows, history.num_rows))
    warnings += ticket_notes(good)
    for name in sla:
        breached = int(pc.sum(pc.less(good[f"_sla_{name}"], 0)).as_py() or 0)
        warnings.append(Counted(f"{literal(repr(det.mapping[name]))}: {{n:,}} tickets breached this SLA (negative "
                                "remaining time); the values are kept in the ticket attributes.", breached))
    good = good.select(TICKET_COLUMNS + (["_row"] if opts.keep_rows else []))
    tables: dict[str, Any] = {"tickets": good}
    if history is not None and history.num_rows:
        tables["ticket_events"] = history
    ratings = _ticket_ratings(good, source, det.mapping.get("satisfaction"))
    if ratings.num_rows:
        tables["survey_responses"] = ratings
    return Prepared("tickets", det.vendor, source, tables, result.rejects, warnings, raw.num_rows,
                    sqlprep.date_span(good, "created_at"), qy.formats, qy.ambiguous)


#: how the sentence about an event log begins (a file in parts says it once, with the file's totals)
EVENT_LOG_NOTE = "One row per update:"


def event_log_note(rows: int, tickets: int, changes: int) -> str:
    """The warning that an event log was collapsed: ``rows`` read into ``tickets``, with ``changes`` kept."""
    return (f"{EVENT_LOG_NOTE} {rows:,} rows collapsed into {tickets:,} tickets (the newest row of each); "
            f"{changes:,} status, group and assignee changes are kept as their history.")


def ticket_notes(tickets: pa.Table) -> list[str]:
    """What to know about the tickets that load (counted: the parts of a large file add up; an import in parts
    with ids repeated across parts counts again on the rows finally kept)."""
    stats = sqlprep.aggregate(tickets, """
        SELECT count(*) FILTER (WHERE created_at IS NULL),
               count(*) FILTER (WHERE first_response_at < created_at OR solved_at < created_at),
               count(*) FILTER (WHERE satisfaction_scale = 'offered')
        FROM t""")
    undated, backwards, offered = (int(x) for x in stats)
    notes = [Counted(TICKET_NOTES[0], undated), Counted(TICKET_NOTES[1], backwards), Counted(TICKET_NOTES[2], offered)]
    return [note for note in notes if note.rows]


TICKET_NOTES = (
    "{n:,} tickets carry no time at all (for example open tickets never answered): they are stored and count in "
    "the backlog, but appear in no time-based chart.",
    "{n:,} tickets have a reply or solve time before their creation time; those durations are left out of the time "
    "metrics.",
    "{n:,} tickets were offered a satisfaction survey without an answer: they count for the response rate, not as "
    "responses.",
)


def _event_history(raw: RawTable, det: Detection, opts: Options, source: str) -> pa.Table:
    """Status, group and assignee of every row of an event log, kept where they changed (ticket_events)."""
    qy = _query(raw, det, opts, [])
    ticket_id = qy.text("ticket_id")
    occurred = qy.value("k_occurred", qy.timestamp("updated_at"))
    outputs = [("ticket_id", ticket_id), ("occurred_at", occurred),
               ("status", qy.classify(qy.text("status"), _FLAG_STATUS if "status" in det.flags else _STATUS, "open")),
               ("group_name", qy.label("group_name")), ("assignee", qy.label("assignee"))]
    rows = sqlprep.run(qy, outputs).good
    conn = db.scratch()
    try:
        conn.register("r", rows)
        return conn.sql("""
            WITH long AS (
                SELECT ticket_id, occurred_at, _f AS field, _v AS value
                FROM r UNPIVOT INCLUDE NULLS (_v FOR _f IN (status, group_name, assignee))
                WHERE ticket_id IS NOT NULL AND occurred_at IS NOT NULL),
            changed AS (
                SELECT *, lag(value) OVER (PARTITION BY ticket_id, field ORDER BY occurred_at) AS prev,
                          row_number() OVER (PARTITION BY ticket_id, field ORDER BY occurred_at) AS n
                FROM long)
            SELECT $source AS source, ticket_id, occurred_at, field, value, CAST(NULL AS VARCHAR) AS actor
            FROM changed WHERE value IS NOT NULL AND (n = 1 OR prev IS DISTINCT FROM value)
            ORDER BY ticket_id, occurred_at, field
        """, params={"source": source}).to_arrow_table()
    finally:
        conn.close()


def _ticket_ratings(tickets: pa.Table, source: str, question: str | None) -> pa.Table:
    """Satisfaction ratings carried by tickets become CSAT responses (offered-but-unanswered do not)."""
    conn = db.scratch()
    try:
        conn.register("t", tickets)
        return conn.sql("""
            SELECT $source AS source, 'ticket:' || ticket_id AS response_id,
                   'Ticket satisfaction rating' AS survey_name, $question AS question, customer_id, ticket_id,
                   coalesce(solved_at, updated_at, created_at) AS responded_at, 'csat' AS metric,
                   satisfaction_score AS score,
                   CASE WHEN satisfaction_scale = 'good_bad' THEN 0.0 ELSE 1.0 END AS scale_min,
                   CASE WHEN satisfaction_scale = 'good_bad' THEN 1.0
                        ELSE CAST(split_part(satisfaction_scale, '-', 2) AS DOUBLE) END AS scale_max,
                   true AS higher_is_better, CAST(NULL AS VARCHAR) AS comment, 'ticket' AS touchpoint, channel
            FROM t
            WHERE satisfaction_score IS NOT NULL AND coalesce(solved_at, updated_at, created_at) IS NOT NULL
        """, params={"source": source, "question": question}).to_arrow_table()
    finally:
        conn.close()


def prepare_events(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    warnings = list(raw.warnings)
    qy = _query(raw, det, opts, warnings)
    ticket_id, field_name = qy.text("ticket_id"), qy.text("field")
    occurred = qy.value("k_occurred", qy.timestamp("occurred_at", required=True))
    qy.reject(f"{ticket_id} IS NULL", "no ticket id", det.mapping.get("ticket_id"), None)
    qy.reject(f"{field_name} IS NULL", "no field name", det.mapping.get("field"), None)
    qy.reject(f"{occurred} IS NULL", "no change time", det.mapping.get("occurred_at"), None)
    source = opts.source or "zendesk"
    result = sqlprep.run(qy, [("source", qy.p(source)), ("ticket_id", ticket_id), ("occurred_at", occurred),
                              ("field", field_name), ("value", qy.text("value")), ("actor", qy.text("actor"))],
                         keep_row=opts.keep_rows)
    return Prepared("ticket_events", det.vendor, source, {"ticket_events": result.good}, result.rejects, warnings,
                    raw.num_rows, sqlprep.date_span(result.good, "occurred_at"), qy.formats, qy.ambiguous)


def prepare_customers(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    warnings = list(raw.warnings)
    qy = _query(raw, det, opts, warnings)
    customer_id = qy.text("customer_id")
    qy.reject(f"{customer_id} IS NULL", "no customer id", det.mapping.get("customer_id"), None)
    # a snapshot's ages and tenures are as of the day the data was taken: stated (Fieldwork date), else today
    as_of = pd.Timestamp(opts.fieldwork_date) if opts.fieldwork_date else (opts.reference_date or pd.Timestamp.now())
    when = "the day you gave" if opts.fieldwork_date else "the import day, by default"
    ref_year = as_of.year
    birth = f"coalesce({qy.number('birth_year')}, year({qy.timestamp('birth_date')}))"
    if qy.has("age"):
        birth = f"coalesce({birth}, {ref_year} - {qy.number('age')})"
        warnings.append(f"Birth years were estimated from ages as of {ref_year} ({when}; ± 1 year).")
    birth = qy.value("k_birth", f"CAST(round({birth}) AS INTEGER)")
    qy.reject(f"{birth} < 1900 OR {birth} > {sqlprep.this_year()}", "birth year outside 1900..this year",
              det.mapping.get("birth_year", det.mapping.get("age")), f"CAST({birth} AS VARCHAR)")
    churned_at = qy.value("k_churned_at", qy.timestamp("churned_at"))
    truthy = qy.p(_TRUE)
    flag, status_raw = qy.text("churned"), qy.text("status")
    churned = (f"(list_contains({truthy}, lower({flag})) OR list_contains({truthy}, lower({status_raw})) "
               f"OR {churned_at} IS NOT NULL)")
    email = qy.text("email")
    outputs = [
        ("customer_id", customer_id),
        ("signup_at", _signup_from_tenure(qy, det, as_of, when, warnings)),
        ("birth_year", birth),
        ("plan", qy.label("plan")),
        ("segment", qy.label("segment")),
        ("region", qy.label("region")),
        ("country", qy.label("country")),
        ("acquisition_channel", qy.label("acquisition_channel")),
        ("status", f"CASE WHEN coalesce({churned}, false) THEN 'churned' ELSE 'active' END"),
        ("churned_at", churned_at),
        ("email_hash", f"CASE WHEN {email} IS NULL THEN NULL ELSE sha256(lower({email})) END"),
        ("attributes", qy.attributes(opts.keep_pii, PII_HINTS)),
    ]
    result = sqlprep.run(qy, outputs, key="customer_id", keep_row=opts.keep_rows)
    good = result.good
    (undated_churn,) = sqlprep.aggregate(good, "SELECT count(*) FILTER (WHERE status = 'churned' "
                                               "AND churned_at IS NULL) FROM t")
    if undated_churn:
        warnings.append(Counted("{n:,} churned customers have no churn date in this file: they count as churned but "
                                "not in any period's churn rate.", int(undated_churn)))
    span = sqlprep.date_span(good, "signup_at")
    return Prepared("customers", det.vendor, source_name(det, opts), {"customers": good}, result.rejects, warnings,
                    raw.num_rows, span, qy.formats, qy.ambiguous)


def _signup_from_tenure(qy: sqlprep.Query, det: Detection, as_of: pd.Timestamp, when: str,
                        warnings: list[str]) -> str:
    """The signup time, or, in a snapshot with a tenure (months or years as a customer) and no signup date, the
    tenure counted back from the day the data was taken, so tenure bands and signup cohorts still work."""
    signup = qy.timestamp("signup_at")
    unit = next((u for u in ("tenure_months", "tenure_years") if qy.has(u)), None)
    if unit is None:
        return signup
    months = qy.number(unit) + (" * 12" if unit == "tenure_years" else "")
    day = as_of.strftime("%Y-%m-%d")
    estimated = f"(TIMESTAMP '{day}' - to_months(CAST(round({months}) AS INTEGER)))"
    words = "months" if unit == "tenure_months" else "years"
    warnings.append(f"Customers without a signup date were given one from {det.mapping[unit]!r} ({words} as a "
                    f"customer) counted back from {day} ({when}; state the day the data was taken with Fieldwork "
                    "date or period / --fieldwork-date). Change the mapping to tenure_months or tenure_years if the "
                    "unit is the other one.")
    return f"coalesce({signup}, {estimated})"


def prepare_activity(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    warnings = list(raw.warnings)
    qy = _query(raw, det, opts, warnings)
    customer_id = qy.text("customer_id")
    occurred = qy.value("k_occurred", qy.timestamp("occurred_at", required=True))
    qy.reject(f"{customer_id} IS NULL", "no customer id", det.mapping.get("customer_id"), None)
    qy.reject(f"{occurred} IS NULL", "no event time", det.mapping.get("occurred_at"), None)
    result = sqlprep.run(qy, [("customer_id", customer_id), ("occurred_at", occurred),
                              ("kind", f"coalesce({qy.text('kind')}, 'activity')"), ("amount", qy.number("amount"))],
                         keep_row=opts.keep_rows)
    return Prepared("activity", det.vendor, source_name(det, opts), {"customer_activity": result.good},
                    result.rejects, warnings, raw.num_rows, sqlprep.date_span(result.good, "occurred_at"),
                    qy.formats, qy.ambiguous)
