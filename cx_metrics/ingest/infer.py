"""Infer what a file holds from its column names AND its values.

Every column is profiled (:mod:`cx_metrics.ingest.profile`); every canonical field is scored against every
column by the concepts its name speaks of, in any of the languages :mod:`cx_metrics.ingest.vocab` knows, and
by whether the values fit (a creation time must parse as dates, a ticket id is unique and looks like a key, a
status column holds status words...). Columns are assigned to fields best score first, each column once. The
kind of file is the one whose fields were found with the most confidence. Each field carries a confidence and
a reason a person can check; a low confidence makes the mapping a proposal the user confirms.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from cx_metrics.ingest import vocab
from cx_metrics.ingest.profile import ColumnProfile, profile_table, sample
from cx_metrics.ingest.reader import RawTable
from cx_metrics.ingest.specs import FIELDS, norm

#: below this, a detection is a proposal the user confirms (page checkbox, ``cx import --accept``)
CONFIRM_BELOW = 0.75

Check = Callable[[ColumnProfile], float]  # how well the values fit a field, 0..1 (0 = impossible)


def _date(p: ColumnProfile) -> float:
    return 1.0 if p.is_date else 0.0


def _time_of_day(p: ColumnProfile) -> float:
    return 1.0 if p.time_share >= 0.8 and not p.is_date else 0.0


def _number(p: ColumnProfile) -> float:
    return 1.0 if p.is_number else 0.0


def _key(p: ColumnProfile) -> float:
    if p.is_date or p.present == 0 or p.mean_length > 40:
        return 0.0
    return 0.5 + 0.3 * min(p.unique_share, 1.0) + 0.2 * p.keylike_share


def _unique_key(p: ColumnProfile) -> float:
    return _key(p) if p.unique_share >= 0.9 else 0.4 * _key(p)


def _label(p: ColumnProfile) -> float:
    """A short label with few distinct values (status, channel, priority, category, group...); the fewer
    distinct values, the better."""
    if not p.is_text or p.mean_length > 100:
        return 0.0
    return 1.0 - 0.2 * p.unique_share if p.unique_share <= 0.5 or p.distinct <= 20 else 0.4


def _status(p: ColumnProfile) -> float:
    """Status words in some language, or a yes/no "resolved" flag."""
    if p.bool_share >= 1.0:
        return 0.8
    return _label(p) * p.status_share if p.status_share >= 0.2 else 0.0


def _channel(p: ColumnProfile) -> float:
    return _label(p) * (0.5 + 0.5 * p.channel_share)


def _kind_label(p: ColumnProfile) -> float:
    """A type or category: a label that is not a channel, a status or a yes/no flag."""
    if p.bool_share or p.channel_share >= 0.8 or p.status_share >= 0.8:
        return 0.0
    return _label(p)


def _customer_key(p: ColumnProfile) -> float:
    return _key(p) if p.keylike_share >= 0.6 or p.email_share >= 0.6 else 0.0


def _text(p: ColumnProfile) -> float:
    return 1.0 if p.is_text else 0.0


def _long_text(p: ColumnProfile) -> float:
    return 1.0 if p.is_text and p.mean_length >= 25 else (0.5 if p.is_text else 0.0)


def _email(p: ColumnProfile) -> float:
    # values that are neither addresses nor their hashes (a name and a phone number typed into "Please enter your
    # email") are no e-mail key, whatever the column says: the column stays a question (kept out as personal data)
    if p.email_share >= 0.6:
        return 1.0
    return 0.8 if p.hash_share >= 0.6 else (0.3 if p.is_text and p.email_share > 0 else 0.0)


def _flag(p: ColumnProfile) -> float:
    return 1.0 if p.bool_share >= 1.0 or (p.distinct <= 3 and p.status_share >= 0.8) else 0.0


def _tenure_in(*, months: bool) -> Check:
    """Whole numbers from 0 up: months when some exceed 24 (two years), else years; the name's unit, when it says
    one, is stronger (a "Tenure (months)" column is months whatever its range)."""
    def check(p: ColumnProfile) -> float:
        if not p.is_number or p.number_min is None or p.number_max is None or p.number_min < 0:
            return 0.0
        looks_months = p.number_max > 24
        return 1.0 if looks_months == months else 0.45
    return check


def _any(p: ColumnProfile) -> float:
    return 1.0 if p.present else 0.0


@dataclass(frozen=True)
class Rule:
    """How a canonical field is recognised: concept sets its name may use (with weights), concepts that rule a
    column out, and what its values must look like."""

    names: tuple[tuple[frozenset[str], float], ...]
    check: Check
    exclude: frozenset[str] = frozenset()
    by_content: float = 0.0  # score when the values alone say it (no name evidence)


def _r(check: Check, *names: tuple[str, float], exclude: str = "", by_content: float = 0.0) -> Rule:
    return Rule(tuple((frozenset(n.split()), w) for n, w in names), check, frozenset(exclude.split()), by_content)


_TIMES = "solve close update first response birth signup churn"
RULES: dict[str, dict[str, Rule]] = {
    "tickets": {
        "ticket_id": _r(_unique_key, ("ticket id", 1.0), ("ticket number", 1.0), ("ticket", 0.6), ("id", 0.75),
                        ("number", 0.7), ("ticket key", 1.0), exclude="customer group assignee type date row "
                        "email name first count reopen question"),
        "created_at": _r(_date, ("create", 0.9), ("create date", 1.0), ("ticket date", 0.8), ("date", 0.45),
                         exclude=_TIMES + " due"),
        "created_at_time": _r(_time_of_day, ("date", 0.5), ("create", 0.6), exclude=_TIMES + " due minutes"),
        "first_response_at": _r(_date, ("first response", 1.0), ("first response date", 1.0),
                                exclude="minutes hours escalation"),
        "solved_at": _r(_date, ("solve", 0.85), ("solve date", 1.0), exclude="first minutes hours due"),
        "closed_at": _r(_date, ("close", 0.85), ("close date", 1.0), exclude="first minutes hours due escalation"),
        "updated_at": _r(_date, ("update", 0.85), ("update date", 1.0), exclude="escalation minutes"),
        "status": _r(_status, ("status", 1.0), ("ticket status", 1.0), ("solve", 0.6), exclude="date",
                     by_content=0.55),
        "channel": _r(_channel, ("channel", 1.0), ("create channel", 1.0), exclude="date",
                      by_content=0.5),
        "category": _r(_kind_label, ("category", 0.9), ("ticket category", 1.0), exclude="date sub type"),
        "ticket_type": _r(_kind_label, ("type", 0.8), ("ticket type", 1.0), exclude="date channel customer"),
        "priority": _r(_label, ("priority", 1.0), exclude="date"),
        "subject": _r(_text, ("subject", 1.0), ("ticket subject", 1.0), ("ticket name", 0.9), exclude="date"),
        "description": _r(_long_text, ("description", 1.0), exclude="date"),
        "customer_id": _r(_customer_key, ("customer id", 1.0), ("customer", 0.7), ("customer number", 0.9),
                          exclude="email name date type age birth count"),
        "customer_email": _r(_email, ("email", 0.9), ("customer email", 1.0), by_content=0.6),
        "group_name": _r(_label, ("group", 0.9), exclude="date id"),
        "assignee": _r(_label, ("assignee", 0.9), exclude="date id group"),
        "tags": _r(_text, ("tags", 1.0)),
        "satisfaction": _r(_any, ("satisfaction", 0.9), exclude="date"),
        "reopens": _r(_number, ("reopen", 0.9), ("reopen count", 1.0)),
        "replies": _r(_number, ("replies", 0.8), ("replies count", 0.9)),
    },
    "customers": {
        "customer_id": _r(_unique_key, ("customer id", 1.0), ("customer", 0.6), ("id", 0.7),
                          ("customer number", 0.9), exclude="row name email date"),
        "signup_at": _r(_date, ("signup", 0.9), ("create", 0.6), ("signup date", 1.0), exclude="churn close birth"),
        "churned": _r(_flag, ("churn", 1.0)),
        "churned_at": _r(_date, ("churn", 0.8), ("churn date", 1.0), ("close date", 0.6)),
        "age": _r(_number, ("age", 1.0), exclude="date"),
        "tenure_months": _r(_tenure_in(months=True), ("tenure", 0.85), ("tenure months_unit", 1.0),
                            exclude="date years_unit signup"),
        "tenure_years": _r(_tenure_in(months=False), ("tenure", 0.85), ("tenure years_unit", 1.0),
                           exclude="date months_unit signup"),
        "birth_year": _r(_number, ("birth", 0.8), exclude="date"),
        "birth_date": _r(_date, ("birth", 0.9)),
        "plan": _r(_label, ("plan", 0.9)),
        "segment": _r(_label, ("segment", 1.0)),
        "region": _r(_label, ("region", 0.8)),
        "country": _r(_label, ("country", 1.0)),
        "status": _r(_label, ("status", 0.6)),
        "email": _r(_email, ("email", 1.0), by_content=0.6),
    },
    "activity": {
        "customer_id": _r(_customer_key, ("customer id", 1.0), ("customer", 0.7), exclude="name email"),
        "occurred_at": _r(_date, ("order date", 1.0), ("date", 0.6), ("order", 0.6)),
        "kind": _r(_label, ("type", 0.6), ("order type", 0.8)),
        "amount": _r(_number, ("amount", 0.9)),
    },
    "ticket_events": {
        "ticket_id": _r(_key, ("ticket id", 1.0), ("ticket", 0.7)),
        "occurred_at": _r(_date, ("update", 0.8), ("date", 0.5)),
        "field": _r(_label, ("field", 1.0)),
        "value": _r(_any, ("value", 0.8)),
        "actor": _r(_any, ("actor", 0.6)),
    },
    "surveys": {
        "response_id": _r(_unique_key, ("survey id", 1.0), ("id", 0.7), ("response id", 1.0),
                          exclude="customer date email name"),
        "responded_at": _r(_date, ("survey date", 1.0), ("date", 0.6), ("create date", 0.8), ("update", 0.3),
                           exclude="birth"),
        "customer_id": _r(_key, ("customer id", 1.0), exclude="email name"),
        "email": _r(_email, ("email", 1.0), by_content=0.6),
    },
}

#: fields a kind cannot do without (tickets may derive the creation time from the first response)
REQUIRED = {"tickets": ("ticket_id", "created_at"), "customers": ("customer_id",),
            "activity": ("customer_id", "occurred_at"), "ticket_events": ("ticket_id", "occurred_at", "field"),
            "surveys": ()}
#: fields whose presence says "this is that kind" (beyond the required ones)
EVIDENCE = {
    "tickets": ("status", "priority", "channel", "category", "subject", "solved_at", "closed_at", "assignee",
                "group_name", "first_response_at", "ticket_type", "description", "satisfaction"),
    "customers": ("churned", "signup_at", "age", "birth_year", "birth_date", "plan", "segment", "churned_at"),
    "activity": ("amount", "kind"),
    "ticket_events": ("value", "actor"),
    "surveys": ("response_id", "responded_at"),
}


@dataclass
class FieldChoice:
    field: str
    column: str
    confidence: float
    reason: str  # "'N° de ticket' -> ticket_id: its name speaks of ticket + number; unique per row..."

    @property
    def why(self) -> str:
        """The reason without the "'column' -> field:" prefix, for a table that already shows both."""
        return self.reason.split(": ", 1)[1] if ": " in self.reason else self.reason


@dataclass
class Inference:
    kind: str
    confidence: float
    choices: dict[str, FieldChoice]
    scores: dict[str, float]  # kind -> score
    profiles: dict[str, ColumnProfile]
    event_log: bool = False
    reasons: list[str] | None = None
    candidates: dict[str, list[FieldChoice]] | None = None  # field -> other columns that could hold it, best first

    @property
    def mapping(self) -> dict[str, str]:
        return {f: c.column for f, c in self.choices.items()}


def _exact(field_name: str, kind: str) -> set[str]:
    spec = next((f for f in FIELDS.get(kind, []) if f.name == field_name), None)
    return set(spec.synonyms) if spec else set()


def _describe(p: ColumnProfile) -> str:
    bits = []
    if p.is_date and p.date_format is not None:
        bits.append(f"{p.date_share:.0%} read as dates ({p.date_format.fmt})")
    elif p.is_number:
        bits.append("numbers" + (f" {p.number_min:g}..{p.number_max:g}" if p.number_min is not None else ""))
    if p.unique_share >= 0.98 and p.present >= 5:
        bits.append("unique per row")
    elif p.is_text:
        examples = ", ".join(repr(v if len(v) <= 24 else v[:23] + "…") for v in p.top[:3])
        more = ", ..." if p.distinct > 3 else ""
        bits.append(f"{p.distinct} distinct values" + (f" ({examples}{more})" if p.distinct <= 50 and examples else ""))
    if p.keylike_share >= 0.8 and not p.is_date and (not p.is_number or p.unique_share >= 0.9):
        bits.append("values look like keys")
    if p.status_share >= 0.8:
        bits.append("status words")
    if p.bool_share:
        bits.append("yes/no values")
    if p.email_share >= 0.6:
        bits.append("e-mail addresses")
    if p.time_share >= 0.8 and not p.is_date:
        bits.append("times of day")
    return ", ".join(bits) or "text"


def score_field(kind: str, field_name: str, column: str, p: ColumnProfile, exact: set[str]) -> tuple[float, str]:
    rule = RULES[kind][field_name]
    fit = rule.check(p)
    # values in a vocabulary of their own (status words) that never appear: the name means something else
    # ("State" holding US states in a complaint log is no ticket state)
    foreign = rule.check is _status and p.status_share == 0 and p.bool_share == 0 and p.distinct > 3
    if norm(column) in exact and p.bool_share < 1.0 and not foreign:
        fit = max(fit, 0.5)  # a usual name for the field: mapped even when its values are bad (then rejected)
    if fit == 0.0:
        return 0.0, ""
    said = vocab.concepts(column)
    if norm(column) in exact:
        name_score, why = 1.1, f"its name is a usual name for {field_name}"
    else:
        if said & rule.exclude:
            return 0.0, ""
        per_token = vocab.token_concepts(column)
        name_score, why = 0.0, ""
        for needed, weight in rule.names:
            if needed == {"date"} and said - {"date", "ticket", "survey", "id"}:
                continue  # a bare "date" pattern: only for names that say nothing else ("Date", "Datum")
            if weight > name_score and _covers(needed, per_token):
                name_score, why = weight, f"its name speaks of {' + '.join(sorted(needed))}"
        if name_score == 0.0 and rule.by_content and fit >= 0.8:
            name_score, why = rule.by_content, "its values say so"
    if name_score == 0.0:
        return 0.0, ""
    score = name_score * (0.6 + 0.4 * fit)
    return score, f"{column!r} -> {field_name}: {why}; {_describe(p)}"


def _covers(needed: frozenset[str], per_token: list[set[str]]) -> bool:
    """Each needed concept comes from its own word ("Ticket ID": ticket + id; "Issue" alone is not two)."""
    pending = sorted(needed, key=lambda c: sum(c in t for t in per_token))
    free = list(range(len(per_token)))
    for concept in pending:
        pick = next((i for i in free if concept in per_token[i]), None)
        if pick is None:
            return False
        free.remove(pick)
    return True


def _assign(kind: str, profiles: dict[str, ColumnProfile], columns: list[str],
            hints: dict[str, tuple[str, ...]] | None = None
            ) -> tuple[dict[str, FieldChoice], dict[str, list[FieldChoice]]]:
    """(field -> the column chosen for it, field -> the other columns that could hold it, best first)."""
    candidates: list[tuple[float, int, str, str, str]] = []
    for f in RULES[kind]:
        exact = _exact(f, kind) | set((hints or {}).get(f, ()))
        for pos, col in enumerate(columns):
            score, reason = score_field(kind, f, col, profiles[col], exact)
            if score > 0:
                candidates.append((score, -pos, f, col, reason))
    candidates.sort(reverse=True)
    choices: dict[str, FieldChoice] = {}
    used: set[str] = set()
    for score, _, f, col, reason in candidates:
        if f in choices or col in used:
            continue
        choices[f] = FieldChoice(f, col, round(min(score, 1.0), 2), reason)
        used.add(col)
    _fallbacks(kind, profiles, columns, choices, used)
    for f, names in (hints or {}).items():  # a known export's own names win, even for a column used twice
        by_norm = {norm(c): c for c in reversed(columns)}
        hit = next((by_norm[n] for n in names if n in by_norm), None)
        if hit is not None and f in RULES[kind]:
            choices[f] = FieldChoice(f, hit, 1.0, f"{hit!r} -> {f}: the known export's name for it")
    others: dict[str, list[FieldChoice]] = {}
    for score, _, f, col, reason in candidates:
        if (f not in choices or choices[f].column != col) and len(others.setdefault(f, [])) < 4:
            others[f].append(FieldChoice(f, col, round(min(score, 1.0), 2), reason))
    return choices, others


def _fallbacks(kind: str, profiles: dict[str, ColumnProfile], columns: list[str],
               choices: dict[str, FieldChoice], used: set[str]) -> None:
    """Content-only guesses for a required field no name announced: the leftmost key-like unique column is
    the id, the leftmost date column the creation time. Low confidence: the user confirms."""
    id_field = {"tickets": "ticket_id", "customers": "customer_id", "surveys": "response_id"}.get(kind)
    if id_field and id_field not in choices:
        for col in columns:
            p = profiles[col]
            if col not in used and p.is_identifier and not p.monotone and not p.is_date and p.fill >= 0.95:
                choices[id_field] = FieldChoice(id_field, col, 0.45, f"{col!r} -> {id_field}: no column is named "
                                                f"as one, and {col!r} is {_describe(p)}")
                used.add(col)
                break
    time_field = {"tickets": "created_at", "activity": "occurred_at"}.get(kind)
    if time_field and time_field not in choices:
        for col in columns:
            p = profiles[col]
            plain = vocab.concepts(col) <= {"date", "create", "ticket", "id"}
            if col not in used and p.is_date and plain:
                choices[time_field] = FieldChoice(time_field, col, 0.45, f"{col!r} -> {time_field}: the first "
                                                  f"date column ({_describe(p)})")
                used.add(col)
                break


_MEASURES = {"minutes", "hours", "count", "solve", "close", "create", "update", "first", "date", "id"}


def _survey_evidence(profiles: dict[str, ColumnProfile], columns: list[str]) -> float:
    """Share of columns that read as questions: long names or '?', answers on a small numeric or word scale."""
    questions, named = 0, 0
    for col in columns:
        p = profiles[col]
        said = vocab.concepts(col)
        wordy = len(col) >= 30 and len(vocab.tokens(col)) >= 5 and not said & _MEASURES
        long_name = wordy or "?" in col or "question" in said or vocab.SCORE_QUESTION.search(col) is not None \
            or re.match(r"(?i)^(?:g\d+)?q(?:id)?\d+", col) is not None
        scale = p.is_number and p.number_min is not None and p.number_max is not None \
            and 0 <= p.number_min and p.number_max <= 10 and p.integer_share == 1.0 and p.distinct <= 11
        keyish = bool(vocab.concepts(col) & {"id", "number", "ticket", "customer", "row", "age", "count"})
        if long_name or (scale and not p.is_identifier and not keyish):
            questions += 1
            named += long_name
    if named == 0 and questions < 3:
        return 0.0  # two small numbers are not a questionnaire
    return questions / max(len(columns), 1)


def _kind_score(kind: str, choices: dict[str, FieldChoice], profiles: dict[str, ColumnProfile],
                columns: list[str]) -> float:
    if kind == "surveys":
        share = _survey_evidence(profiles, columns)
        bonus = 0.1 * ("responded_at" in choices) + 0.05 * ("response_id" in choices)
        return round(min(0.35 + share * 0.8 + bonus, 0.9), 2) if share >= 0.25 else 0.0
    required = REQUIRED[kind]
    # a complaint log may have no id column at all (its rows are then identified by their place in the file)
    optional = ("created_at", "ticket_id") if kind == "tickets" else ()
    if any(r not in choices for r in required if r not in optional):
        return 0.0
    if kind == "tickets" and "created_at" not in choices and "first_response_at" not in choices:
        return 0.0
    core = sum(choices[r].confidence for r in required if r in choices) / max(len(required), 1)
    evidence = [choices[f].confidence for f in EVIDENCE[kind] if f in choices]
    needed = {"tickets": 3, "customers": 2, "activity": 1, "ticket_events": 1}[kind]
    if kind == "tickets" and "ticket_id" not in choices and len(evidence) < needed:
        return 0.0  # a date and a label without an id are not yet a ticket log
    if kind == "customers" and not any(f in choices for f in EVIDENCE[kind] if f != "signup_at"):
        return 0.0  # an id and a date alone are not a customer table
    support = min(sum(evidence) / needed, 1.0)
    return round(0.55 * core + 0.45 * support, 2)


def infer(raw: RawTable, *, kind: str | None = None, hints: dict[str, tuple[str, ...]] | None = None,
          prefer: str | None = None) -> Inference:
    """Profile a sample of the file and infer its kind (or use ``kind``) and mapping."""
    frame = sample(raw)
    columns = [c for c in raw.columns if c in frame.columns]
    profiles = profile_table(frame[columns])
    results: dict[str, tuple[float, dict[str, FieldChoice], dict[str, list[FieldChoice]]]] = {}
    for k in ([kind] if kind else list(RULES)):
        choices, others = _assign(k, profiles, columns, hints if prefer in (None, k) else None)
        score = _kind_score(k, choices, profiles, columns)
        if prefer == k and score > 0:
            score = min(score + 0.2, 1.0)
        results[k] = (score, choices, others)
    best = kind or max(results, key=lambda k: results[k][0])
    score, choices, others = results[best]
    event_log = False
    if best == "tickets" and "ticket_id" in choices:
        p = profiles[choices["ticket_id"].column]
        # one row per update: many ids come back (not one stray duplicate), each time with a later update time
        event_log = p.repeated >= 2 and p.repeat_share >= 0.2 and "updated_at" in choices
    if best != "tickets":
        choices.pop("created_at_time", None)
    elif "created_at_time" in choices and ("created_at" not in choices or _has_clock(
            profiles[choices["created_at"].column])):
        choices.pop("created_at_time")  # the date already carries a time: no separate time column
    return Inference(best, score, choices, {k: v[0] for k, v in results.items()}, profiles, event_log,
                     candidates=others)


def _has_clock(p: ColumnProfile) -> bool:
    """The dates carry a time of day: some read value is not at midnight (a workbook's date cell at midnight
    next to a time column is a date without a clock, whatever format it is written in)."""
    return p.clock_share > 0


def identifier_columns(frame: pd.DataFrame) -> list[str]:
    """Columns that identify rows rather than describe them: unique per row, row counters, hashes, names and
    e-mail addresses. Never model inputs."""
    out = []
    for col in frame.columns:
        p = profile_table(frame[[col]].astype("string"))[str(col)]
        said = vocab.concepts(str(col))
        if p.is_identifier or p.email_share >= 0.5 or "name" in said or "email" in said or "row" in said \
                or ("id" in said and p.unique_share >= 0.5):
            out.append(str(col))
    return out
