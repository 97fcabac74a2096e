"""Which kind of data a file holds, from which vendor, and which column feeds which canonical field."""

from __future__ import annotations

from dataclasses import dataclass, field

from cx_metrics.ingest.reader import RawTable
from cx_metrics.ingest.specs import FIELDS, KINDS, SURVEY_VENDOR_HINTS, VENDORS, Field, Vendor, norm

DETECT_SAMPLE_ROWS = 2_000


@dataclass
class Detection:
    kind: str
    vendor: str
    confidence: float  # 0..1
    mapping: dict[str, str]  # canonical field -> source column
    reasons: list[str] = field(default_factory=list)
    alternatives: list[tuple[str, str, float]] = field(default_factory=list)  # (kind, vendor, confidence)


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


def _required(kind: str) -> list[Field]:
    return [f for f in FIELDS[kind] if f.required]


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
    from cx_metrics.ingest.surveys import find_score_columns

    scores = find_score_columns(raw.head(DETECT_SAMPLE_ROWS))  # a sample decides
    if scores:
        return ("Survey (generic)", 0.7, [f"score column(s): {', '.join(s.column for s in scores)}"])
    return ("Survey (generic)", 0.0, reasons)


def detect(raw: RawTable) -> Detection:
    """Score every kind and vendor; return the best with the alternatives for the user to override."""
    names = {norm(c) for c in raw.columns}
    candidates: list[Detection] = []
    for vendor in VENDORS:
        share = len(names & set(vendor.signature)) / len(vendor.signature)
        if share >= 0.5:
            mapping = map_columns(raw.columns, vendor.kind, vendor)
            if all(f.name in mapping or _derivable(f.name, mapping) for f in _required(vendor.kind)):
                candidates.append(Detection(vendor.kind, vendor.name, round(0.5 + share / 2, 2), mapping,
                                            [f"{share:.0%} of {vendor.name}'s columns present"]))
    for kind in ("tickets", "ticket_events", "customers", "activity"):
        mapping = map_columns(raw.columns, kind)
        required = _required(kind)
        found = [f for f in required if f.name in mapping or _derivable(f.name, mapping)]
        if len(found) == len(required):
            # evidence, not coverage: each recognised column counts, required ones more
            optional = sum(f.name in mapping for f in FIELDS[kind] if not f.required)
            score = min(0.35 + 0.1 * len(required) + 0.04 * optional, 0.8)
            present = ", ".join(mapping[f.name] for f in required if f.name in mapping)
            candidates.append(Detection(kind, "generic", round(score, 2), mapping,
                                        [f"required columns found: {present}"]))
    strong = any(c.confidence >= 0.9 for c in candidates)
    survey_vendor, confidence, reasons = ("", 0.0, []) if strong else _survey_score(raw)
    if confidence > 0:
        candidates.append(Detection("surveys", survey_vendor, confidence, {}, reasons))
    if not candidates:
        return Detection("unknown", "unknown", 0.0, {}, ["no kind of data matched the column names"])
    candidates.sort(key=lambda d: d.confidence, reverse=True)
    best = candidates[0]
    best.alternatives = [(c.kind, c.vendor, c.confidence) for c in candidates[1:]]
    return best


def _derivable(name: str, mapping: dict[str, str]) -> bool:
    """Required fields that can be derived from others when the export lacks them."""
    if name == "created_at":
        return "first_response_at" in mapping  # documented fallback, with a warning
    return False


def detection_for(raw: RawTable, kind: str, vendor: str | None = None) -> Detection:
    """The mapping for a kind (and vendor) the user chose instead of the detected one."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "surveys":
        name, confidence, reasons = _survey_score(raw)
        return Detection(kind, vendor or name, confidence, {}, reasons)
    chosen = next((v for v in VENDORS if v.kind == kind and v.name == vendor), None)
    return Detection(kind, chosen.name if chosen else "generic", 1.0, map_columns(raw.columns, kind, chosen),
                     ["chosen by the user"])
