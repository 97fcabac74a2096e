"""What every column a person reads is called, and in which unit: one registry for every table of the app.

Metric functions return tidy frames with stable snake_case columns (``prev_complaints``, ``p_value``,
``small_n``) that scripts and the CLI's csv/json read. A page never shows those names: it shows
:func:`display_name` of each column, and formats its values by :data:`KINDS` (hours, shares, p-values...),
through ``cx_ui.tables``. A column missing here is a test failure, not a raw name on screen.

Columns whose unit depends on the table (``value``, ``ci_low``, ``difference``...) have the kind ``"value"``:
the caller says the unit (``%``, ``points``, ``hours``...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cx_metrics import catalog

#: what an empty cell shows (a cell is never blank "None": a missing value is a dash, its reason is said above)
MISSING = "–"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str  # one of KINDS
    help: str = ""


#: kind -> (unit suffix for the label, printf format of a number); "" = shown as it is
KINDS: dict[str, tuple[str, str]] = {
    "text": ("", ""),
    "count": ("", "%d"),
    "hours": ("h", "%.1f"),
    "minutes": ("min", "%.0f"),
    "days": ("days", "%.0f"),
    "share": ("%", "percent"),  # 0..1, shown as a percentage
    "pct": ("%", "%.1f"),  # already in percent
    "points": ("points", "%+.1f"),  # NPS
    "score": ("", "%.2f"),
    "per_1000": ("per 1,000", "%.1f"),
    "p": ("", "%.2g"),
    "ratio": ("×", "%.2f"),
    "z": ("", "%.1f"),
    "date": ("", "D MMM YYYY"),
    "datetime": ("", "D MMM YYYY, HH:mm"),
    "flag": ("", ""),
    "reliability": ("", ""),  # small_n: "n < 30" or nothing
    "value": ("", ""),  # the unit comes from the table (see display_name)
    "hidden": ("", ""),  # an identifier a person does not need (kept in downloads)
}

#: the units of "value" columns a caller may name, as (kind) of KINDS
VALUE_UNITS = {"%": "pct", "share": "share", "points": "points", "hours": "hours", "score": "score",
               "per 1,000": "per_1000", "count": "count", "ratio": "ratio"}

_CI = "95% interval, "

COLUMNS: dict[str, Column] = {
    # --- periods and identifiers
    "period_start": Column("Period starting", "date"),
    "period_end": Column("Period ending", "date"),
    "day": Column("Day", "date"),
    "dimension": Column("Breakdown", "text"),
    "group": Column("Group", "text"),
    "cohort": Column("Cohort", "text"),
    "category": Column("Category", "text"),
    "channel": Column("Channel", "text"),
    "priority": Column("Priority", "text"),
    "plan": Column("Plan", "text"),
    "region": Column("Region", "text"),
    "segment": Column("Segment", "text"),
    "source": Column("Source", "text"),
    "ticket_id": Column("Ticket", "text"),
    "customer_id": Column("Customer", "text"),
    "response_id": Column("Response", "text"),
    "doc_id": Column("Text id", "text"),
    "theme_key": Column("Theme number", "hidden"),
    "import_id": Column("Import", "text"),
    "event_id": Column("Event", "hidden"),
    "dim1": Column("Cohort", "text"),
    "dim2": Column("Second cohort", "text"),
    # --- counts
    "n": Column("n", "count", "Observations behind the figure"),
    "tickets": Column("Tickets", "count"),
    "complaints": Column(catalog.label("complaints"), "count"),
    "prev_complaints": Column("Complaints, previous period", "count"),
    "completed": Column("Reached the end point", "count"),
    "censored": Column("Still waiting", "count", "Counted as waiting up to the data's latest time (censored)"),
    "solved": Column("Solved", "count"),
    "achieved": Column("Within target", "count"),
    "breached": Column("Past target", "count"),
    "pending": Column("Pending", "count", "Still open and not yet past the target: in neither count"),
    "open_breached": Column("Open, past target", "count"),
    "repeated": Column("Repeated within 30 days", "count"),
    "not_yet_observable": Column("30 days not yet observed", "count"),
    "respondents": Column("Respondents", "count"),
    "responses": Column("Responses", "count"),
    "all_responses": Column("All responses", "count"),
    "customers": Column("Customers", "count"),
    "at_start": Column("Customers at start", "count"),
    "lost": Column("Lost", "count"),
    "churned": Column("Churned", "count"),
    "followed": Column("Followed for the horizon", "count"),
    "left_before_landmark": Column("Left before the landmark", "count"),
    "csat_responses": Column("CSAT responses", "count"),
    "csat_satisfied": Column("Satisfied", "count"),
    "nps_responses": Column("NPS responses", "count"),
    "promoters": Column("Promoters", "count"),
    "detractors": Column("Detractors", "count"),
    "documents": Column("Texts", "count"),
    "prev_documents": Column("Texts, previous period", "count"),
    "mentions": Column("Mentions", "count"),
    "comments": Column("Comments", "count"),
    "active_customers": Column("Active customers", "count"),
    "rows_read": Column("Rows read", "count"),
    "rows_loaded": Column("Rows loaded", "count"),
    "rows_rejected": Column("Rows rejected", "count"),
    "rows_new": Column("New rows", "count"),
    "rows_updated": Column("Updated rows", "count"),
    "rows_unchanged": Column("Unchanged rows", "count"),
    "rows_older": Column("Older than the stored version", "count"),
    "row_count": Column("Rows", "count"),
    "reopens": Column("Reopens", "count"),
    "group_stations": Column("Groups handled by", "count"),
    "open_tickets": Column("Open tickets", "count"),
    "complaints_90d": Column("Complaints, last 90 days", "count"),
    "complaints_in_period": Column("Complaints in the period", "count"),
    "churned_in_period": Column("Churned in the period", "flag"),
    "answered": Column("Answered the question", "count"),
    "rank": Column("Rank", "count"),
    "birth_year": Column("Birth year", "text"),
    "line_number": Column("Line", "count"),
    "line": Column("Line", "count"),
    "days_covered": Column("Days in range", "count"),
    # --- durations
    "hours": Column("Waited", "hours", "On the chosen clock; to the data's latest time for tickets still waiting"),
    "target_hours": Column("Target", "hours"),
    "median_hours": Column("Median", "hours", "Kaplan-Meier median: tickets still waiting are censored"),
    "median_low": Column(_CI + "low", "hours"),
    "median_high": Column(_CI + "high", "hours", "Empty: the band never falls to half (not reached yet)"),
    "p90_hours": Column("90th percentile", "hours", "Kaplan-Meier: empty while fewer than 90% are done"),
    "tenure_days": Column("Tenure", "days"),
    "our_median_minutes": Column("Our median", "minutes"),
    "vendor_median_minutes": Column("Vendor's median", "minutes"),
    "median_difference_minutes": Column("Median difference (ours − vendor's)", "minutes"),
    # --- rates and shares (0..1)
    "breach_rate": Column("Breach rate", "share"),
    "repeat_rate": Column("Repeat rate", "share"),
    "reopen_rate": Column("Reopen rate", "share"),
    "reopen_low": Column("Reopen rate, 95% low", "share"),
    "reopen_high": Column("Reopen rate, 95% high", "share"),
    "one_touch_rate": Column("One-touch rate", "share"),
    "one_touch_low": Column("One-touch, 95% low", "share"),
    "one_touch_high": Column("One-touch, 95% high", "share"),
    "handed_off_rate": Column("Handed off", "share"),
    "churn_rate": Column("Churn rate", "share"),
    "churn_share": Column("Churned share", "share", "customers flagged churned ÷ customers, the table as it stands"),
    "undated": Column("Churned without a date", "count"),
    "churn_low": Column("Churn, 95% low", "share"),
    "churn_high": Column("Churn, 95% high", "share"),
    "csat": Column(catalog.label("csat"), "share"),
    "csat_low": Column("CSAT, 95% low", "share"),
    "csat_high": Column("CSAT, 95% high", "share"),
    "share": Column("Share", "share"),
    "prev_share": Column("Share, previous period", "share"),
    "share_low": Column("Share, 95% low", "share"),
    "share_high": Column("Share, 95% high", "share"),
    "share_of_change": Column("Share of the change", "share"),
    "agree_rate": Column("Agree", "share", "Within one minute or 1% of the vendor's figure"),
    "agree_low": Column("Agree, 95% low", "share"),
    "agree_high": Column("Agree, 95% high", "share"),
    "risk": Column("Churn risk", "share"),
    "recovered": Column("After a failure fixed fast", "share"),
    "no_failure": Column("With no failure", "share"),
    "overall_share": Column("Share overall", "share"),
    # --- scores and per-1,000 rates
    "nps": Column(catalog.label("nps"), "points"),
    "nps_low": Column("NPS, 95% low", "points"),
    "nps_high": Column("NPS, 95% high", "points"),
    "per_1000": Column("Complaints", "per_1000", "Per 1,000 customers active on average in the period"),
    "prev_per_1000": Column("Previous period", "per_1000"),
    "per_1000_low": Column(_CI + "low", "per_1000"),
    "per_1000_high": Column(_CI + "high", "per_1000"),
    "mean_handoffs": Column("Handoffs (mean)", "score"),
    "theme_score": Column("Score among them", "score"),
    "score": Column("Score", "score"),
    "score_without": Column("Score without them", "score"),
    "impact": Column("Impact", "points"),
    "lift": Column("Churn lift", "ratio", "Churn rate ÷ the churn rate of customers without a complaint"),
    "lift_low": Column("Lift, 95% low", "ratio"),
    "lift_high": Column("Lift, 95% high", "ratio"),
    "rate_ratio": Column("Rate ratio", "ratio"),
    "correlation": Column("Correlation", "score"),
    # --- values whose unit the table gives
    "value": Column("Value", "value"),
    "ci_low": Column(_CI + "low", "value"),
    "ci_high": Column(_CI + "high", "value"),
    "prev_value": Column("Previous period", "value"),
    "rest_value": Column("Everyone else", "value"),
    "difference": Column("Difference", "value"),
    "delta": Column("Change", "value"),
    "baseline": Column("Expected (median)", "value"),
    # --- tests
    "p_value": Column("p-value", "p", "Chance of a difference this large if nothing changed"),
    "vs_rest_p": Column("p-value vs the rest", "p"),
    "z": Column("Robust z", "z", "Distance from the baseline in robust standard deviations (flagged above 3.5)"),
    "statistic": Column("Statistic", "score"),
    "significant": Column("Significant", "flag"),
    "small_n": Column("Sample", "reliability"),
    "suppressed": Column("Suppressed", "hidden"),
    "partial": Column("Partial period", "flag"),
    "test": Column("Test", "text"),
    "effect_size": Column("Effect size", "text"),
    "effect_name": Column("Effect measure", "hidden"),
    "higher_is_better": Column("Higher is better", "hidden"),
    "observable": Column("Observed", "flag"),
    # --- text
    "change": Column("Change", "text"),
    "direction": Column("Direction", "text"),
    "verdict": Column("Verdict", "text"),
    "description": Column("Description", "text"),
    "detail": Column("Detail", "text"),
    "note": Column("Note", "text"),
    "text": Column("Text", "text"),
    "subject": Column("Subject", "text"),
    "status": Column("Status", "text"),
    "state": Column("State", "text"),
    "target": Column("Target", "text"),
    "age": Column("Open for", "text"),
    "experience": Column("Experience", "text"),
    "measure": Column("Measure", "text"),
    "kind": Column("Kind", "text"),
    "theme": Column("Theme", "text"),
    "top_terms": Column("Top terms", "text"),
    "example": Column("Example", "text"),
    "merged": Column("Merged into", "text"),
    "pinned": Column("Pinned", "flag"),
    "request": Column("Request", "text"),
    "reasons": Column("Reasons", "text"),
    "last_contact": Column("Last contact was", "text"),
    "reliability": Column("Reliability", "text"),
    "survey_name": Column("Survey", "text"),
    "scored_metrics": Column("Scores", "text"),
    "other_questions": Column("Other questions", "count"),
    "question_id": Column("Question id", "hidden"),
    "question": Column("Question", "text"),
    "answer": Column("Answer", "text"),
    "scale": Column("Scale", "text"),
    "score_group": Column("Score group", "text"),
    "comment": Column("Comment", "text"),
    "ticket_subject": Column("Ticket subject", "text"),
    "ticket_channel": Column("Ticket channel", "text"),
    "ticket_status": Column("Ticket status", "text"),
    "metric": Column("Score type", "text"),
    "ticket_type": Column("Type", "text"),
    "group_name": Column("Group", "text"),
    "file_name": Column("File", "text"),
    "vendor": Column("Vendor", "text"),
    "actor": Column("By", "text"),
    "table_name": Column("Table", "text"),
    "field": Column("Field", "text"),
    "reason": Column("Reason", "text"),
    "raw": Column("The line as read", "text"),
    "raw_text": Column("The line as read", "text"),
    "clock": Column("Clock", "text"),
    "fastest": Column("Fastest group", "text"),
    "slowest": Column("Slowest group", "text"),
    "email": Column("E-mail", "text"),
    "role": Column("Role", "text"),
    "action": Column("Action", "text"),
    "updated_by": Column("Changed by", "text"),
    # --- times
    "created_at": Column("Created", "datetime"),
    "first_response_at": Column("First reply", "datetime"),
    "solved_at": Column("Solved", "datetime"),
    "responded_at": Column("Answered", "datetime"),
    "occurred_at": Column("Date", "datetime"),
    "signup_at": Column("Signed up", "datetime"),
    "last_contact_at": Column("Last contact", "datetime"),
    "last_response_at": Column("Last answer", "datetime"),
    "first_seen": Column("First seen", "datetime"),
    # --- the canonical tables' own columns (the upload page's parsed sample)
    "first_solved_at": Column("First solved", "datetime"),
    "closed_at": Column("Closed", "datetime"),
    "churned_at": Column("Churned on", "datetime"),
    "status_raw": Column("Status as exported", "text"),
    "channel_raw": Column("Channel as exported", "text"),
    "tags": Column("Tags", "text"),
    "assignee": Column("Assignee", "text"),
    "replies": Column("Agent replies", "count"),
    "assignee_stations": Column("Assignees handled by", "count"),
    "satisfaction_score": Column("Satisfaction rating", "score"),
    "satisfaction_scale": Column("Rating scale", "text"),
    "is_complaint": Column("Complaint", "flag"),
    "vendor_first_reply_minutes": Column("Vendor's first reply", "minutes"),
    "vendor_first_reply_minutes_business": Column("Vendor's first reply, business", "minutes"),
    "vendor_full_resolution_minutes": Column("Vendor's full resolution", "minutes"),
    "vendor_full_resolution_minutes_business": Column("Vendor's full resolution, business", "minutes"),
    "attributes": Column("Other columns", "text"),
    "event_filled": Column("Times from the status history", "flag"),
    "scale_min": Column("Scale from", "count"),
    "scale_max": Column("Scale to", "count"),
    "touchpoint": Column("Touchpoint", "text"),
    "country": Column("Country", "text"),
    "acquisition_channel": Column("Acquisition channel", "text"),
    "email_hash": Column("E-mail (hashed)", "hidden"),
    "amount": Column("Amount", "score"),
    "vendor_first_resolution_minutes": Column("Vendor's first resolution", "minutes"),
    "first_response_hours": Column("First reply time", "hours"),
    "resolution_hours": Column("Resolution time", "hours"),
    "sla_first_response": Column("First-reply SLA met", "flag"),
    "sla_resolution": Column("Resolution SLA met", "flag"),
    "birth_date": Column("Birth date", "date"),
    "customer_email": Column("Customer e-mail", "text"),
    "customer_name": Column("Customer name", "text"),
    "name": Column("Name", "text"),
    "last_seen": Column("Last seen", "datetime"),
    "started_at": Column("Started", "datetime"),
    "finished_at": Column("Finished", "datetime"),
    "undone_at": Column("Undone", "datetime"),
    "updated_at": Column("Changed", "datetime"),
    # --- follow-ups (cx_metrics.followups)
    "item_key": Column("Item", "text", "kind:source:id of the ticket or survey answer behind the item"),
    "kind_label": Column("Failure", "text"),
    "severity": Column("Severity", "text", "NPS 0-3, urgent/high priority, or reopened twice: severe"),
    "why": Column("Why", "text"),
    "verbatim": Column("What the customer wrote", "text"),
    "triggered_at": Column("Failed at", "datetime", "When the customer was failed (UTC)"),
    "due_at": Column("Due", "datetime", "Failed at + the policy's hours for the kind (UTC)"),
    "team": Column("Team", "text", "The group of the ticket behind the item (or of the customer's latest ticket)"),
    "claimed_by": Column("Claimed by", "text"),
    "claimed_at": Column("Claimed", "datetime"),
    "version": Column("Version", "hidden"),
    "source_id": Column("Ticket or response", "hidden"),
    "contacts_90d": Column("Tickets, 90 days before", "count"),
    "overdue": Column("Overdue", "flag", "Due before the latest data"),
    "contacted_on": Column("Contacted on", "date"),
    "outcome": Column("Outcome", "text"),
    "closed_by": Column("Closed by", "text"),
    "due": Column("Due", "count", "Items whose due date fell in the month (and before the latest data)"),
    "in_time": Column("Closed in time", "count", "Followed up on or before the due date"),
    "late": Column("Closed late", "count"),
    "not_closed": Column("Not closed", "count"),
    "coverage": Column("Coverage", "share", "Share of the items due that were closed in time"),
    "coverage_low": Column("Coverage, 95% low", "share"),
    "coverage_high": Column("Coverage, 95% high", "share"),
    "median_days": Column("Median to follow-up", "days", "Whole days from the failure to the follow-up"),
    "p90_days": Column("90th percentile to follow-up", "days"),
    "arm": Column("Customers", "text"),
    "units": Column("Failures", "count", "Customers failed (a customer failed twice counts twice)"),
    "churned_90d": Column("Churned within 90 days", "count"),
    "churn_90d": Column("90-day churn", "share"),
    "churn_90d_low": Column("90-day churn, 95% low", "share"),
    "churn_90d_high": Column("90-day churn, 95% high", "share"),
    "later_nps": Column("Later NPS", "points", "First NPS answer within 180 days after the landmark"),
    "later_nps_n": Column("NPS answers", "count"),
    "risk_ratio": Column("Churn risk ratio", "ratio", "Followed up / not, Mantel-Haenszel over the strata"),
    "rr_low": Column("Risk ratio, 95% low", "ratio"),
    "rr_high": Column("Risk ratio, 95% high", "ratio"),
}


#: what each choice a page offers is called: breakdowns ("by", "compare by"), end points, clocks, handling buckets.
#: "all" (no breakdown) is named by the page: all tickets, all complaints, all customers (see :func:`choice_label`).
CHOICES: dict[str, str] = {
    "category": "Category", "channel": "Channel", "priority": "Priority", "group": "Group",
    "ticket_type": "Ticket type", "plan": "Plan", "region": "Region", "segment": "Segment",
    "generation": "Generation", "signup_year": "Signup year", "acquisition_channel": "Acquisition channel",
    "handoffs": "Handoffs", "resolution_time": "Resolution time", "reopened": "Reopened",
    "first_response": "First response", "first_resolution": "First resolution", "full_resolution": "Full resolution",
    "calendar": "Calendar hours", "business": "Business hours",
}


def choice_label(name: str, everything: str = "All") -> str:
    """The label of a page's choice ``name`` (:data:`CHOICES`); ``everything`` for "all" (no breakdown)."""
    return everything if name == "all" else CHOICES[name]


def column(name: str) -> Column | None:
    """The registry entry of a column (None for a name that is not in it)."""
    return COLUMNS.get(name)


def display_name(name: str, unit: str = "", labels: dict[str, str] | None = None) -> str:
    """What a person reads as the header of column ``name``: its label with the unit in brackets ("Median (h)",
    "Breach rate (%)"); ``labels`` override a label (a breakdown column named after its dimension), ``unit`` is
    the unit of the "value" columns. Raises KeyError for a column the registry does not know."""
    spec = COLUMNS[name]
    label = (labels or {}).get(name, spec.label)
    suffix = KINDS[kind_of(name, unit)][0]
    return f"{label} ({suffix})" if suffix and f"({suffix})" not in label else label


def kind_of(name: str, unit: str = "") -> str:
    """The kind (:data:`KINDS`) of column ``name``; a "value" column takes the table's ``unit``."""
    kind = COLUMNS[name].kind
    if kind == "value":
        return VALUE_UNITS.get(unit, "score")
    return kind


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _number_text(value: Any, kind: str) -> str:
    """A number as text in its kind's format (used where a column also holds missing values)."""
    if _missing(value):
        return MISSING
    v = float(value)
    if kind == "share":
        return f"{100 * v:.1f}%"
    if kind == "pct":
        return f"{v:.1f}%"
    if kind == "count":
        return f"{v:,.0f}"
    if kind == "p":
        return f"{v:.2g}"
    if kind == "points":
        return f"{v:+.1f}"
    if kind in ("hours", "per_1000", "z"):
        return f"{v:,.1f}"
    if kind in ("minutes", "days"):
        return f"{v:,.0f}"
    return f"{v:,.2f}"


@dataclass(frozen=True)
class Shown:
    """How one displayed column is drawn: its header, kind (:data:`KINDS`), help, and whether its values were
    turned into text (a number column holding missing values is shown as text, right-aligned)."""

    name: str  # the frame's column
    label: str
    kind: str
    help: str
    as_text: bool


def display_frame(frame: pd.DataFrame, *, unit: str = "", labels: dict[str, str] | None = None,
                  min_n: int | None = None, hours_unit: str = "h") -> tuple[pd.DataFrame, dict[str, Shown]]:
    """``frame`` as a person reads it: columns renamed to :func:`display_name`, identifiers a person does not need
    dropped, flags as yes/no, ``small_n`` as "n < 30", an effect size with its measure ("Cohen's h 0.21"), and no
    empty cell (a missing value is :data:`MISSING`); hours are ``hours_unit`` ("business h" on the business clock).
    Returns the frame and, per displayed header, how to draw it.
    Raises KeyError naming a column that has no label (add it to :data:`COLUMNS`)."""
    unknown = [str(c) for c in frame.columns if str(c) not in COLUMNS and str(c) not in (labels or {})]
    if unknown:
        raise KeyError(f"no label for the column(s) {unknown}: add them to cx_metrics.columns.COLUMNS")
    out: dict[str, Any] = {}
    shown: dict[str, Shown] = {}
    for name in map(str, frame.columns):
        spec = COLUMNS.get(name, Column(name, "text"))
        kind = kind_of(name, unit) if name in COLUMNS else "text"
        if kind == "hidden":
            if name not in (labels or {}):
                continue
            kind = "text"  # a page that names an identifier wants it shown
        values = frame[name]
        header = display_name(name, unit, labels) if name in COLUMNS else (labels or {})[name]
        if kind == "hours" and hours_unit != "h":
            header = header.replace("(h)", f"({hours_unit})")
        as_text = False
        if name == "effect_size" and "effect_name" in frame.columns:
            values = pd.Series([MISSING if pd.isna(v) or not n else f"{n} {float(v):.2f}"
                                for v, n in zip(values, frame["effect_name"], strict=True)], index=frame.index)
            kind, as_text = "text", True
        elif kind == "reliability":
            values = values.map(lambda v: f"n < {min_n}" if bool(v) and min_n else ("too few" if bool(v) else ""))
            as_text = True
        elif kind == "flag":
            values = values.map(lambda v: MISSING if _missing(v) else ("yes" if bool(v) else "no"))
            as_text = True
        elif kind in ("date", "datetime"):
            stamps = pd.to_datetime(values, errors="coerce")
            if stamps.isna().any():
                fmt = "%d %b %Y" if kind == "date" else "%d %b %Y, %H:%M"
                values = stamps.map(lambda v, f=fmt: MISSING if pd.isna(v) else v.strftime(f))
                as_text = True
            else:
                values = stamps
        elif kind == "text":
            values = values.map(lambda v: MISSING if _missing(v) else str(v))
            as_text = True
        else:
            numbers = pd.to_numeric(values, errors="coerce")
            if numbers.isna().any():
                values = numbers.map(lambda v, k=kind: _number_text(v, k))
                as_text = True
            else:
                values = numbers
        if header in out:
            raise KeyError(f"two columns would both read {header!r}: give one of them a label")
        out[header] = values.to_numpy()
        shown[header] = Shown(name, header, kind, spec.help, as_text)
    return pd.DataFrame(out, index=range(len(frame))), shown


#: the tables whose rows a sentence counts, in words, in the order they are named
TABLE_NOUNS = {"tickets": "tickets", "customers": "customers", "survey_responses": "survey responses",
               "survey_answers": "survey answers", "ticket_events": "ticket events",
               "customer_activity": "activity events", "theme_fits": "theme models"}


def describe_rows(rows: dict[str, int]) -> str:
    """"104,041 tickets, 20,000 customers and 32,993 survey responses" (tables with rows only)."""
    parts = [f"{rows[t]:,} {noun}" for t, noun in TABLE_NOUNS.items() if rows.get(t)]
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else "no rows"
