"""Which kind of data a file holds, from which vendor, and which column feeds which canonical field."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cx_metrics.ingest import infer
from cx_metrics.ingest.reader import RawTable
from cx_metrics.ingest.specs import FIELDS, KINDS, SURVEY_VENDOR_HINTS, VENDORS, Vendor, norm


@dataclass
class Detection:
    kind: str
    vendor: str
    confidence: float  # 0..1
    mapping: dict[str, str]  # canonical field -> source column
    reasons: list[str] = field(default_factory=list)
    alternatives: list[tuple[str, str, float]] = field(default_factory=list)  # (kind, vendor, confidence)
    field_confidence: dict[str, float] = field(default_factory=dict)  # canonical field -> 0..1
    needs_confirmation: bool = False  # a proposal: the user confirms it (page checkbox, `cx import --accept`)
    event_log: bool = False  # one row per update of a ticket: collapse into tickets + ticket_events
    flags: set[str] = field(default_factory=set)  # fields fed by a yes/no column (e.g. a "Resolved" flag)
    sentinels: dict[str, list[str]] = field(default_factory=dict)  # column -> values meaning "missing"
    numbers: set[str] = field(default_factory=set)  # columns of numbers: kept as numbers where stored as attributes
    why: dict[str, str] = field(default_factory=dict)  # canonical field -> why its column was chosen, in words
    candidates: dict[str, list[tuple[str, float, str]]] = field(default_factory=dict)  # field -> (column, score, why)
    user_fields: set[str] = field(default_factory=set)  # fields whose column the user chose (blank: none)
    columns: list[str] = field(default_factory=list)  # the file's columns, for a person to pick from

    def reading(self) -> pd.DataFrame:
        """How the file is read, one row per field a file of this kind can hold: ``field``, ``label`` (words),
        ``column`` ('' when none), ``confidence`` (0..1, 0 when none), ``why``, ``required``."""
        rows = []
        for name in field_names(self.kind):
            column = self.mapping.get(name, "")
            chosen_by_user = name in self.user_fields
            why = ("chosen by you" if chosen_by_user else self.why.get(name, "its usual name" if column else ""))
            rows.append({"field": name, "label": FIELD_LABELS.get(name, name.replace("_", " ")), "column": column,
                         "confidence": (1.0 if chosen_by_user else self.field_confidence.get(name, 1.0)) if column
                         else 0.0, "why": why or "no column found", "required": name in REQUIRED_FIELDS.get(
                             self.kind, ())})
        frame = pd.DataFrame(rows, columns=["field", "label", "column", "confidence", "why", "required"])
        found = (frame["column"] != "") | frame["required"]  # fields read (and the required ones) first
        return pd.concat([frame[found], frame[~found]], ignore_index=True)


#: fields of a survey file a user can map (the score questions are found from their question texts)
SURVEY_FIELDS = ("response_id", "responded_at", "customer_id", "email", "ticket_id")
#: fields a file of the kind cannot load without (tickets can derive the creation time from the first response)
REQUIRED_FIELDS = {k: tuple(f.name for f in fields if f.required) for k, fields in FIELDS.items()}
#: canonical fields in words, for the page that shows how a file is read
FIELD_LABELS = {
    "ticket_id": "Ticket id", "created_at": "Created (date)", "created_at_time": "Created (time of day)",
    "customer_id": "Customer id", "customer_email": "Customer e-mail", "customer_name": "Customer name",
    "first_response_at": "First response", "first_solved_at": "First solved", "solved_at": "Solved",
    "closed_at": "Closed", "updated_at": "Last updated", "status": "Status", "channel": "Channel",
    "category": "Category", "ticket_type": "Type", "priority": "Priority", "subject": "Subject",
    "description": "Description", "tags": "Tags", "group_name": "Group / queue", "assignee": "Assignee",
    "reopens": "Reopens", "replies": "Replies", "satisfaction": "Satisfaction rating",
    "response_id": "Response id", "responded_at": "Response date", "email": "E-mail", "signup_at": "Signup date",
    "churned": "Churned (yes/no)", "churned_at": "Churn date", "age": "Age", "birth_year": "Birth year",
    "birth_date": "Birth date", "tenure_months": "Tenure in months", "tenure_years": "Tenure in years",
    "plan": "Plan", "segment": "Segment", "region": "Region", "country": "Country",
    "acquisition_channel": "Acquisition channel", "occurred_at": "When", "kind": "Kind of event",
    "amount": "Amount", "field": "Field changed", "value": "New value", "actor": "Changed by",
}


def field_names(kind: str) -> list[str]:
    """The fields a file of this kind can hold, in the order a person reads them."""
    return list(SURVEY_FIELDS) if kind == "surveys" else [f.name for f in FIELDS.get(kind, [])]


def map_columns(columns: list[str], kind: str, vendor: Vendor | None = None) -> dict[str, str]:
    """Canonical field -> column, by exact normalised names; vendor-specific names win; a column is used once,
    except that a vendor may feed one column to two fields (e.g. a subject that is also the category)."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(norm(col), col)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    extras = vendor.extra if vendor else {}
    for f in FIELDS[kind]:
        for syn in extras.get(f.name, ()):
            if syn in by_norm:
                mapping[f.name] = by_norm[syn]
                used.add(by_norm[syn])
                break
    for f in FIELDS[kind]:
        if f.name in mapping:
            continue
        for syn in f.synonyms:
            found = by_norm.get(syn)
            if found is not None and found not in used:
                mapping[f.name] = found
                used.add(found)
                break
    return mapping


def _survey_score(raw: RawTable) -> tuple[str, float, list[str]]:
    names = {norm(c) for c in raw.columns}
    best, best_share = "Survey (generic)", 0.0
    for vendor, hints in SURVEY_VENDOR_HINTS.items():
        share = len(names & set(hints)) / len(hints)
        if share > best_share:
            best, best_share = vendor, share
    reasons = []
    depth = len(raw.header_rows)
    if depth == 3 and any("ImportId" in c for c in raw.header_rows[2]):
        return ("Qualtrics", 0.98, ["three header rows with ImportId objects (Qualtrics export)"])
    if depth == 2 and raw.header_rows[0] and raw.header_rows[0][0].lstrip("\ufeff") == "V1":
        return ("Qualtrics (legacy)", 0.95, ["two header rows V1..Vn + labels (legacy Qualtrics export)"])
    if depth == 2:
        return ("SurveyMonkey", 0.95, ["two header rows with 'Response' sub-labels (SurveyMonkey export)"])
    if best_share >= 0.4:
        reasons.append(f"{best_share:.0%} of {best}'s usual columns present")
        return (best, 0.5 + best_share / 2, reasons)
    return ("Survey (generic)", 0.0, reasons)


def _vendor_of(raw: RawTable) -> Vendor | None:
    """The known export whose signature columns are mostly present (a label and name hints, not a gate)."""
    names = {norm(c) for c in raw.columns}
    best, best_share = None, 0.5
    for vendor in VENDORS:
        share = len(names & set(vendor.signature)) / len(vendor.signature)
        if share >= best_share:
            best, best_share = vendor, share
    return best


def _from_inference(raw: RawTable, kind: str | None = None) -> Detection:
    vendor = _vendor_of(raw)
    hints = dict(vendor.extra) if vendor else None
    found = infer.infer(raw, kind=kind, hints=hints, prefer=vendor.kind if vendor else None)
    scores = dict(found.scores)
    survey_vendor, survey_conf, survey_reasons = _survey_score(raw) if kind in (None, "surveys") else ("", 0.0, [])
    if survey_conf >= 0.9 or (kind is None and survey_conf > max(scores.values(), default=0.0)):
        scores["surveys"] = max(scores.get("surveys", 0.0), survey_conf)
        if kind is None:
            found = infer.infer(raw, kind="surveys")
    chosen = kind or found.kind
    confidence = scores.get(chosen, 0.0) if kind is None else max(scores.get(chosen, 0.0), 0.0)
    if kind is None and confidence == 0.0:
        return Detection("unknown", "unknown", 0.0, {}, [_nothing_found(raw, found)])
    if chosen == "surveys":
        label = survey_vendor or "Survey (generic)"
        reasons = survey_reasons or ["questions answered on scales or in words"]
    else:
        label = vendor.name if vendor and vendor.kind == chosen else "generic"
        reasons = [f"{label}'s usual columns are present"] if label != "generic" else []
    reasons += [c.reason for c in found.choices.values()]
    mapping = found.mapping
    if chosen != "surveys":  # the usual names of the fields inference does not score (vendor minutes, stations...)
        used = set(mapping.values())
        for name, col in map_columns(raw.columns, chosen, vendor if label != "generic" else None).items():
            if name not in mapping and col not in used:
                mapping[name] = col
                used.add(col)
    det = Detection(chosen, label, round(confidence, 2), mapping, reasons)
    det.field_confidence = {f: c.confidence for f, c in found.choices.items()}
    det.event_log = found.event_log
    det.flags = {f for f, c in found.choices.items() if found.profiles[c.column].bool_share >= 1.0}
    det.sentinels = {c.column: found.profiles[c.column].sentinels for c in found.choices.values()
                     if found.profiles[c.column].sentinels}
    det.numbers = {c for c, p in found.profiles.items() if p.is_number and not p.is_date}
    det.why = {f: c.why for f, c in found.choices.items()}
    det.columns = list(raw.columns)
    det.candidates = {f: [(c.column, c.confidence, c.why) for c in others]
                      for f, others in (found.candidates or {}).items() if others}
    det.alternatives = [(k, "generic", v) for k, v in sorted(scores.items(), key=lambda kv: -kv[1])
                        if k != chosen and v > 0]
    required = [f for f in infer.REQUIRED.get(chosen, ()) if f in det.field_confidence]
    weakest = min((det.field_confidence[f] for f in required), default=confidence)
    det.needs_confirmation = kind is None and (confidence < infer.CONFIRM_BELOW or weakest < infer.CONFIRM_BELOW)
    return det


def _nothing_found(raw: RawTable, found: infer.Inference) -> str:
    dates = [c for c, p in found.profiles.items() if p.is_date]
    keys = [c for c, p in found.profiles.items() if p.is_identifier]
    parts = [f"{len(raw.columns)} columns"]
    if dates:
        parts.append(f"date columns {', '.join(map(repr, dates[:3]))}")
    if keys:
        parts.append(f"identifier-like columns {', '.join(map(repr, keys[:3]))}")
    return "found " + "; ".join(parts) + ", but no set of them makes tickets, survey answers, customers or activity"


def detect(raw: RawTable) -> Detection:
    """Infer the kind and mapping from the columns' names and values; alternatives for the user to override."""
    return _from_inference(raw)


def _derivable(name: str, mapping: dict[str, str]) -> bool:
    """Required fields that can be derived from others when the export lacks them."""
    if name == "created_at":
        return "first_response_at" in mapping  # documented fallback, with a warning
    return False


def detection_for(raw: RawTable, kind: str, vendor: str | None = None) -> Detection:
    """The mapping for a kind (and vendor) the user chose instead of the detected one: proposed by inference."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    det = _from_inference(raw, kind)
    chosen = next((v for v in VENDORS if v.kind == kind and v.name == vendor), None)
    if chosen is not None:
        det.vendor = chosen.name
        det.mapping = {**det.mapping, **map_columns(raw.columns, kind, chosen)}
    elif vendor:
        det.vendor = vendor
    det.confidence = 1.0
    det.reasons.insert(0, "kind chosen by the user")
    return det
