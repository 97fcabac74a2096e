"""Raw cells -> canonical rows for tickets, ticket events, customers and activity.

Every row that cannot be used is kept as a reject with the column and the reason; no row disappears
without a trace. Values vendors use for "never" (Zendesk's 1900-01-01) become missing, not errors.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx_metrics.ingest import parse
from cx_metrics.ingest.detect import Detection
from cx_metrics.ingest.reader import RawTable, clean
from cx_metrics.ingest.specs import FIELDS

PII_HINTS = re.compile(
    r"^(?:.*[\s_.-])?(?:e-?mail(?:[\s_]?address)?|phone(?:[\s_]?number)?|mobile(?:[\s_]?number)?|address|"
    r"ip[\s_]?address|ssn|passport(?:[\s_]?number)?)$"
    r"|^(?:(?:.*[\s_.-])?(?:first|last|full|customer|contact|requester|recipient|user|to|from)[\s_]?)?name$",
    re.IGNORECASE,
)


@dataclass
class Options:
    source: str | None = None  # the system the file came from; ids are unique per source
    day_first: bool | None = None  # None: infer from the data
    keep_pii: bool = False  # store emails/names in clear (default: hashed or dropped)
    reference_date: pd.Timestamp | None = None  # for ages -> birth years (default: today)


@dataclass
class Prepared:
    """What a file would load, before anything is written."""

    kind: str
    vendor: str
    source: str
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame  # row (0-based data row), field, reason, raw
    warnings: list[str]
    rows_read: int
    date_range: tuple[pd.Timestamp, pd.Timestamp] | None
    date_formats: dict[str, str] = field(default_factory=dict)
    ambiguous_dates: list[str] = field(default_factory=list)
    rows_ok: int = -1  # records that load (responses for surveys); -1 = rows of the main table

    @property
    def rows_loadable(self) -> int:
        if self.rows_ok >= 0:
            return self.rows_ok
        main = self.tables.get(_MAIN_TABLE[self.kind])
        return 0 if main is None else len(main)


_MAIN_TABLE = {"tickets": "tickets", "ticket_events": "ticket_events", "customers": "customers",
               "activity": "customer_activity", "surveys": "survey_responses"}


def main_table(kind: str) -> str:
    return _MAIN_TABLE[kind]


class RejectLog:
    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, field_name: str | None, reason: str | pd.Series, raw: pd.Series | None) -> None:
        if not bool(mask.any()):
            return
        idx = mask[mask].index
        reasons = reason[idx] if isinstance(reason, pd.Series) else pd.Series(reason, index=idx)
        self._parts.append(pd.DataFrame({
            "row": idx.to_numpy(),
            "field": field_name,
            "reason": reasons.astype("string").to_numpy(),
            "raw": (raw[idx].astype("string") if raw is not None else pd.Series(pd.NA, index=idx)).to_numpy(),
        }))

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({"row": pd.Series(dtype="int64"), "field": pd.Series(dtype="string"),
                                 "reason": pd.Series(dtype="string"), "raw": pd.Series(dtype="string")})
        return pd.concat(self._parts, ignore_index=True).drop_duplicates("row", keep="first")


def without_rejects(frame: pd.DataFrame, rejects: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[~frame.index.isin(rejects["row"])]


def hash_value(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()


def hash_series(values: pd.Series) -> pd.Series:
    text = clean(values)
    return text.map(hash_value, na_action="ignore").astype("string")


def email_customer_key(values: pd.Series) -> pd.Series:
    """A stable customer id for a file that identifies customers only by email (never the email itself)."""
    return ("email:" + hash_series(values).str.slice(0, 20)).astype("string")


class Columns:
    """Typed access to the mapped columns of a raw table, logging what cannot be read."""

    def __init__(self, raw: RawTable, det: Detection, opts: Options, rejects: RejectLog, warnings: list[str]):
        self.raw, self.det, self.opts, self.rejects, self.warnings = raw, det, opts, rejects, warnings
        self.formats: dict[str, str] = {}
        self.ambiguous: list[str] = []
        self._day_first = opts.day_first if opts.day_first is not None else self._file_day_first()

    def has(self, name: str) -> bool:
        return name in self.det.mapping and self.det.mapping[name] in self.raw.data.columns

    def cells(self, name: str) -> pd.Series:
        return self.raw.data[self.det.mapping[name]]

    def text(self, name: str) -> pd.Series:
        if not self.has(name):
            return pd.Series(pd.NA, index=self.raw.data.index, dtype="string")
        return clean(self.cells(name))

    def _file_day_first(self) -> bool | None:
        """One day order per file: DD/MM if any date column can only be read that way."""
        kinds = {f.name: f.type for fields in FIELDS.values() for f in fields}
        seen: set[bool] = set()
        for name, col in self.det.mapping.items():
            if kinds.get(name) == "timestamp" and col in self.raw.data.columns:
                fmt = parse.infer_date_format(self.raw.data[col])
                if fmt is not None and fmt.day_first is not None and not fmt.ambiguous:
                    seen.add(fmt.day_first)
        return True if seen == {True} else (False if seen == {False} else None)

    def timestamp(self, name: str, *, required: bool = False) -> pd.Series:
        index = self.raw.data.index
        if not self.has(name):
            return pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
        cells = self.cells(name)
        fmt = parse.infer_date_format(cells, prefer_day_first=self._day_first)
        column = self.det.mapping[name]
        if fmt is None:
            present = clean(cells).notna()
            if present.any():
                example = clean(cells).dropna().iloc[0]
                raise_or_reject = f"{column!r} does not hold dates in a format we read (e.g. {example!r})"
                if required:
                    from cx_metrics.ingest.errors import ImportRefused

                    raise ImportRefused(raise_or_reject + "; map another column or fix the export.")
                self.warnings.append(raise_or_reject + "; the column was ignored.")
            return pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
        if fmt.ambiguous and self._day_first is None:
            self.ambiguous.append(column)
        self.formats[column] = fmt.fmt
        values, bad = parse.parse_dates(cells, fmt)
        self.rejects.add(bad, column, f"{column!r} is not a date in the column's format ({fmt.fmt})", cells)
        return values

    def number(self, name: str) -> pd.Series:
        if not self.has(name):
            return pd.Series(np.nan, index=self.raw.data.index, dtype="float64")
        cells = self.cells(name)
        values, bad = parse.parse_numbers(cells, decimal_comma=self.raw.delimiter == ";")
        column = self.det.mapping[name]
        self.rejects.add(bad, column, f"{column!r} is not a number", cells)
        return values

    def duration(self, name: str) -> pd.Series:
        if not self.has(name):
            return pd.Series(np.nan, index=self.raw.data.index, dtype="float64")
        values, bad = parse.parse_duration_minutes(self.cells(name))
        column = self.det.mapping[name]
        self.rejects.add(bad, column, f"{column!r} is not a duration (H:MM)", self.cells(name))
        return values

    def attributes(self, exclude_pii: bool = True) -> pd.Series:
        """Every unmapped column, as a JSON object per row (PII-looking columns left out unless kept)."""
        # SLA clocks have no canonical column yet: keep their raw values with the ticket
        mapped = {col for name, col in self.det.mapping.items() if not name.startswith("sla_")}
        extra = [c for c in self.raw.columns if c not in mapped and not c.startswith("column_")]
        if exclude_pii and not self.opts.keep_pii:
            dropped = [c for c in extra if PII_HINTS.search(c)]
            if dropped:
                self.warnings.append(f"Not stored (personal data): {', '.join(dropped)}.")
            extra = [c for c in extra if c not in dropped]
        if not extra:
            return pd.Series(pd.NA, index=self.raw.data.index, dtype="string")
        frame = self.raw.data[extra].apply(clean)
        lines = frame.to_json(orient="records", lines=True, force_ascii=False).splitlines()
        return pd.Series(lines, index=self.raw.data.index, dtype="string")


_STATUS = [
    (r"^(?:new|unassigned|to do|todo)$", "new"),
    (r"(?:hold|snooz|on hold|paused)", "hold"),
    (r"(?:pending|waiting|awaiting)", "pending"),
    (r"^(?:solved|resolved|done|fixed|completed?)$", "solved"),
    (r"(?:closed|archived)", "closed"),
    (r"(?:open|progress|active|escalat|assigned|reopen|work)", "open"),
]
_CHANNEL = [
    (r"(?:e-?mail|mail)", "email"),
    (r"(?:chat|live ?chat)", "chat"),
    (r"(?:phone|voice|call|telephon)", "phone"),
    (r"(?:twitter|facebook|instagram|social|x\.com)", "social"),
    (r"(?:whatsapp|sms|messag|line|wechat|telegram|native_messaging|any_channel)", "messaging"),
    (r"(?:web|portal|form|widget|help ?cent|api|mobile|app|in-app)", "web"),
]
_PRIORITY = [
    (r"(?:urgent|critical|highest|blocker|p1|emergency)", "urgent"),
    (r"(?:high|major|p2)", "high"),
    (r"(?:low|minor|lowest|trivial|p4|p5)", "low"),
    (r"(?:normal|medium|moderate|p3|standard)", "normal"),
]
#: default complaint rule (configurable in the complaint-trends issue): the type/category says something broke
COMPLAINT_RE = r"(?:incident|problem|complaint|issue|bug|defect|refund|outage|broken|error|fault)"


def _classify(values: pd.Series, rules: list[tuple[str, str]], fallback: str | None) -> pd.Series:
    text = values.str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    for pattern, label in rules:
        hit = out.isna() & text.str.contains(pattern, regex=True, na=False)
        out = out.mask(hit, label)
    if fallback is not None:
        out = out.mask(out.isna() & values.notna(), fallback)
    return out


def _split_tags(values: pd.Series) -> pd.Series:
    """'a b', 'a, b', 'a;b' or a JSON list '["a","b"]' -> lists of tags (vectorised)."""
    text = values.str.replace(r"[\[\]\"']", " ", regex=True).str.strip()
    parts = text.str.split(r"[,;\s]+", regex=True)
    return parts.where(text.fillna("") != "", None)


_SMILEY = {"extremely happy": 5.0, "happy": 4.0, "neutral": 3.0, "unhappy": 2.0, "extremely unhappy": 1.0}


def _satisfaction(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Zendesk Offered/Not Offered/Good/Bad, Freshdesk's smiley scale, numeric ratings -> (score, scale)."""
    text = values.str.lower().str.strip()
    score = pd.Series(np.nan, index=values.index, dtype="float64")
    scale = pd.Series(pd.NA, index=values.index, dtype="string")
    smiley = text.map(_SMILEY).astype("float64")  # Freshdesk: extremely happy .. extremely unhappy
    five = smiley.notna()
    good = text.str.match(r"^(?:good|satisfied|happy|positive|awesome|great)", na=False) & ~five
    bad = text.str.match(r"^(?:bad|unsatisfied|dissatisfied|unhappy|negative|not good)", na=False) & ~five
    offered = text.str.match(r"^(?:offered|unoffered|not offered|sent|pending)", na=False)
    score = score.mask(good, 1.0).mask(bad, 0.0).mask(five, smiley)
    scale = scale.mask(good | bad, "good_bad").mask(offered, "offered").mask(five, "1-5")
    nums = pd.to_numeric(text.str.extract(r"^(\d+(?:\.\d+)?)")[0], errors="coerce")
    numeric = nums.notna() & ~(good | bad | offered | five)
    top = float(nums[numeric].max()) if numeric.any() else 5.0
    top = 5.0 if top <= 5 else (7.0 if top <= 7 else 10.0)
    score = score.mask(numeric, nums)
    scale = scale.mask(numeric, f"1-{top:g}")
    return score, scale


def source_name(det: Detection, opts: Options) -> str:
    if opts.source:
        return opts.source
    slug = re.sub(r"[^a-z0-9]+", "_", det.vendor.lower().split("(")[0]).strip("_")
    return slug or "import"


def _date_range(*series: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    values = pd.concat([s.dropna() for s in series]) if series else pd.Series(dtype="datetime64[us]")
    if values.empty:
        return None
    return pd.Timestamp(values.min()), pd.Timestamp(values.max())


def prepare_tickets(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    rejects, warnings = RejectLog(), list(raw.warnings)
    cols = Columns(raw, det, opts, rejects, warnings)
    index = raw.data.index
    ticket_id = cols.text("ticket_id")
    rejects.add(ticket_id.isna(), det.mapping.get("ticket_id"), "no ticket id", None)
    created = cols.timestamp("created_at", required="created_at" in det.mapping)
    first_response = cols.timestamp("first_response_at")
    if "created_at" not in det.mapping:
        created = first_response
        first_response = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
        warnings.append(
            f"The file has no creation time; {det.mapping['first_response_at']!r} (the earliest time it holds) is "
            "used as the creation time, so first-response times are unknown for these tickets."
        )
    undated = created.isna() & ticket_id.notna()
    if bool(undated.any()):
        warnings.append(f"{int(undated.sum()):,} tickets carry no time at all (for example open tickets never "
                        "answered): they are stored and count in the backlog, but appear in no time-based chart.")
    minutes = {name: cols.number(name) for name in (
        "vendor_first_reply_minutes", "vendor_first_reply_minutes_business", "vendor_full_resolution_minutes",
        "vendor_full_resolution_minutes_business", "vendor_first_resolution_minutes",
        "first_response_hours", "resolution_hours")}
    if not cols.has("first_response_at") or "created_at" not in det.mapping:
        from_minutes = created + pd.to_timedelta(minutes["vendor_first_reply_minutes"], unit="m")
        from_hours = created + pd.to_timedelta(minutes["first_response_hours"], unit="h")
        if "created_at" in det.mapping:
            first_response = first_response.fillna(from_minutes).fillna(from_hours)
    solved = cols.timestamp("solved_at")
    first_solved = cols.timestamp("first_solved_at")
    first_solved = first_solved.fillna(created + pd.to_timedelta(minutes["vendor_first_resolution_minutes"], unit="m"))
    closed = cols.timestamp("closed_at")
    updated = cols.timestamp("updated_at")
    status_raw = cols.text("status")
    status = _classify(status_raw, _STATUS, "open")
    status = status.mask(status.isna() & solved.notna(), "solved").fillna("open")
    deleted = status_raw.str.lower().isin(["deleted", "spam", "merged"])
    rejects.add(deleted, det.mapping.get("status"), "the ticket is deleted/spam/merged in the source", status_raw)
    solved = solved.fillna(closed.where(status == "closed"))
    first_solved = first_solved.fillna(solved)
    backwards = (first_response < created) | (solved < created)
    if bool(backwards.any()):
        warnings.append(f"{int(backwards.sum()):,} tickets have a reply or solve time before their creation time; "
                        "those durations are left out of the time metrics.")
    channel_raw = cols.text("channel")
    category = cols.text("category")
    ticket_type = cols.text("ticket_type")
    tags = _split_tags(cols.text("tags"))
    tag_text = tags.map(lambda t: " ".join(t) if isinstance(t, list) else "", na_action="ignore").astype("string")
    score, scale = _satisfaction(cols.text("satisfaction"))
    bad_rating = ((scale == "good_bad") & (score == 0)) | (scale.fillna("").str.startswith("1-") & (score <= 2))
    complaint = (ticket_type.str.contains(COMPLAINT_RE, case=False, regex=True, na=False)
                 | category.str.contains(COMPLAINT_RE, case=False, regex=True, na=False)
                 | tag_text.str.contains("complaint", case=False, na=False) | bad_rating.fillna(False))
    customer = cols.text("customer_id")
    if cols.has("customer_email"):
        customer = customer.fillna(email_customer_key(cols.cells("customer_email")))
    source = source_name(det, opts)
    tickets = pd.DataFrame({
        "source": source,
        "ticket_id": ticket_id,
        "customer_id": customer,
        "created_at": created,
        "first_response_at": first_response,
        "first_solved_at": first_solved,
        "solved_at": solved,
        "closed_at": closed,
        "updated_at": updated,
        "status": status,
        "status_raw": status_raw,
        "channel": _classify(channel_raw, _CHANNEL, "other"),
        "channel_raw": channel_raw,
        "category": category,
        "ticket_type": ticket_type,
        "priority": _classify(cols.text("priority"), _PRIORITY, None),
        "subject": cols.text("subject"),
        "description": cols.text("description"),
        "tags": tags,
        "group_name": cols.text("group_name"),
        "assignee": cols.text("assignee"),
        "reopens": cols.number("reopens"),
        "replies": cols.number("replies"),
        "group_stations": cols.number("group_stations"),
        "assignee_stations": cols.number("assignee_stations"),
        "satisfaction_score": score,
        "satisfaction_scale": scale,
        "is_complaint": complaint.astype(bool),
        "vendor_first_reply_minutes": minutes["vendor_first_reply_minutes"],
        "vendor_first_reply_minutes_business": minutes["vendor_first_reply_minutes_business"],
        "vendor_full_resolution_minutes": minutes["vendor_full_resolution_minutes"],
        "vendor_full_resolution_minutes_business": minutes["vendor_full_resolution_minutes_business"],
        "attributes": cols.attributes(),
    }, index=index)
    for sla in ("sla_first_response", "sla_resolution"):
        if cols.has(sla):
            remaining = cols.duration(sla)
            warnings.append(f"{det.mapping[sla]!r}: {int((remaining < 0).sum()):,} tickets breached this SLA "
                            "(negative remaining time); the values are kept in the ticket attributes.")
    rej = rejects.frame()
    good = without_rejects(tickets, rej)
    tables = {"tickets": good}
    rated = good[good["satisfaction_score"].notna()]
    if len(rated):
        top = rated["satisfaction_scale"].str.extract(r"1-(\d+)")[0].astype("float64")
        tables["survey_responses"] = pd.DataFrame({
            "source": source,
            "response_id": "ticket:" + rated["ticket_id"],
            "survey_name": "Ticket satisfaction rating",
            "question": det.mapping.get("satisfaction"),
            "customer_id": rated["customer_id"],
            "ticket_id": rated["ticket_id"],
            "responded_at": rated["solved_at"].fillna(rated["updated_at"]).fillna(rated["created_at"]),
            "metric": "csat",
            "score": rated["satisfaction_score"],
            "scale_min": np.where(rated["satisfaction_scale"] == "good_bad", 0.0, 1.0),
            "scale_max": np.where(rated["satisfaction_scale"] == "good_bad", 1.0, top),
            "higher_is_better": True,
            "comment": pd.Series(pd.NA, index=rated.index, dtype="string"),
            "touchpoint": "ticket",
            "channel": rated["channel"],
        })
        offered = int((good["satisfaction_scale"] == "offered").sum())
        if offered:
            warnings.append(f"{offered:,} tickets were offered a satisfaction survey without an answer: they count "
                            "for the response rate, not as responses.")
    return Prepared("tickets", det.vendor, source, tables, rej, warnings, len(raw.data),
                    _date_range(good["created_at"]), cols.formats, cols.ambiguous)


def prepare_events(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    rejects, warnings = RejectLog(), list(raw.warnings)
    cols = Columns(raw, det, opts, rejects, warnings)
    ticket_id, field_name = cols.text("ticket_id"), cols.text("field")
    occurred = cols.timestamp("occurred_at", required=True)
    rejects.add(ticket_id.isna(), det.mapping.get("ticket_id"), "no ticket id", None)
    rejects.add(field_name.isna(), det.mapping.get("field"), "no field name", None)
    rejects.add(occurred.isna(), det.mapping.get("occurred_at"), "no change time", None)
    source = opts.source or "zendesk"
    events = pd.DataFrame({"source": source, "ticket_id": ticket_id, "occurred_at": occurred,
                           "field": field_name, "value": cols.text("value"), "actor": cols.text("actor")})
    rej = rejects.frame()
    good = without_rejects(events, rej)
    return Prepared("ticket_events", det.vendor, source, {"ticket_events": good}, rej, warnings, len(raw.data),
                    _date_range(good["occurred_at"]), cols.formats, cols.ambiguous)


def prepare_customers(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    rejects, warnings = RejectLog(), list(raw.warnings)
    cols = Columns(raw, det, opts, rejects, warnings)
    customer_id = cols.text("customer_id")
    rejects.add(customer_id.isna(), det.mapping.get("customer_id"), "no customer id", None)
    birth_year = cols.number("birth_year")
    birth_date = cols.timestamp("birth_date")
    birth_year = birth_year.fillna(birth_date.dt.year.astype("float64"))
    if cols.has("age"):
        ref = opts.reference_date or pd.Timestamp.now()
        from_age = ref.year - cols.number("age")
        if bool(from_age.notna().any()):
            warnings.append(f"Birth years were estimated from ages as of {ref.year} (± 1 year).")
        birth_year = birth_year.fillna(from_age)
    implausible = (birth_year < 1900) | (birth_year > pd.Timestamp.now().year)
    rejects.add(implausible.fillna(False), det.mapping.get("birth_year", det.mapping.get("age")),
                "birth year outside 1900..this year", None)
    churned_at = cols.timestamp("churned_at")
    flag = parse.parse_bool(cols.text("churned")) if cols.has("churned") else pd.Series(pd.NA, index=raw.data.index)
    status_raw = cols.text("status")
    status = pd.Series("active", index=raw.data.index, dtype="string")
    status = status.mask(parse.parse_bool(status_raw).eq(True).fillna(False) | flag.eq(True).fillna(False)
                         | churned_at.notna(), "churned")
    if bool((status == "churned").any()) and not cols.has("churned_at"):
        warnings.append("Churned customers have no churn date in this file: they count as churned but not in any "
                        "period's churn rate.")
    email = cols.text("email")
    source = source_name(det, opts)
    customers = pd.DataFrame({
        "customer_id": customer_id,
        "signup_at": cols.timestamp("signup_at"),
        "birth_year": birth_year.round().astype("Int64"),
        "plan": cols.text("plan"),
        "segment": cols.text("segment"),
        "region": cols.text("region"),
        "country": cols.text("country"),
        "acquisition_channel": cols.text("acquisition_channel"),
        "status": status,
        "churned_at": churned_at,
        "email_hash": hash_series(email) if cols.has("email") else pd.Series(pd.NA, index=raw.data.index,
                                                                                dtype="string"),
        "attributes": cols.attributes(),
    }, index=raw.data.index)
    rej = rejects.frame()
    good = without_rejects(customers, rej)
    return Prepared("customers", det.vendor, source, {"customers": good}, rej, warnings, len(raw.data),
                    _date_range(good["signup_at"], good["churned_at"]), cols.formats, cols.ambiguous)


def prepare_activity(raw: RawTable, det: Detection, opts: Options) -> Prepared:
    rejects, warnings = RejectLog(), list(raw.warnings)
    cols = Columns(raw, det, opts, rejects, warnings)
    customer_id = cols.text("customer_id")
    occurred = cols.timestamp("occurred_at", required=True)
    rejects.add(customer_id.isna(), det.mapping.get("customer_id"), "no customer id", None)
    rejects.add(occurred.isna(), det.mapping.get("occurred_at"), "no event time", None)
    activity = pd.DataFrame({"customer_id": customer_id, "occurred_at": occurred,
                             "kind": cols.text("kind").fillna("activity"), "amount": cols.number("amount")})
    rej = rejects.frame()
    good = without_rejects(activity, rej)
    return Prepared("activity", det.vendor, source_name(det, opts), {"customer_activity": good}, rej, warnings,
                    len(raw.data), _date_range(good["occurred_at"]), cols.formats, cols.ambiguous)
