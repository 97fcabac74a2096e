"""Alert rules (table ``alert_rules``): which metric and segment, which test, how often, who is told.

* **anomaly** - complaints of a bucket above the robust-z band of the Complaint trends page (z > 3.5 against the
  median of the 4 weeks / 28 days / 6 months before; ``complaints.anomalies``);
* **change** - a significant change against the previous period of equal length, with the test the dashboard
  uses for that metric (exact Poisson for complaints, Mood's median test for durations, z-tests for rates and
  NPS, Welch's t for CES), at the rule's ``alpha``, in the rule's ``direction`` (worse / better / either);
* **threshold** - the metric's value above or below ``threshold``.

Every kind needs ``min_count`` observations in the bucket (complaints, tickets, responses, customers), so a quiet
series cannot fire on noise.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from cx_metrics import audit
from cx_metrics.db import Connection, transaction
from cx_metrics.delivery.transports import channel_of
from cx_metrics.digest.figures import COMPLAINT_DIMENSIONS, METRICS
from cx_metrics.filters import Filters

KINDS = ("anomaly", "change", "threshold")
GRAINS = ("day", "week", "month")
DIRECTIONS = {"change": ("worse", "better", "either"), "threshold": ("above", "below"), "anomaly": ("worse",)}


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    kind: str
    grain: str = "week"
    by: str = "all"
    value: str | None = None
    filters: Filters = field(default_factory=Filters)
    direction: str = "worse"
    threshold: float | None = None
    alpha: float = 0.001
    min_count: int = 30
    recipients: tuple[str, ...] = ()
    snoozed_until: dt.datetime | None = None
    active: bool = True
    rule_id: int | None = None

    def describe(self) -> str:
        segment = "" if self.by == "all" else (f" for {self.by} {self.value}" if self.value
                                              else f" for each {self.by}")
        label = METRICS[self.metric].label
        if self.kind == "anomaly":
            test = "above the robust-z band (z > 3.5)"
        elif self.kind == "change":
            test = {"worse": "significantly worse than", "better": "significantly better than",
                    "either": "significantly different from"}[self.direction] + f" the previous {self.grain} " \
                f"(p < {self.alpha:g})"
        else:
            test = f"{self.direction} {self.threshold:g}"
        where = "" if self.filters.is_empty() else f" ({self.filters.describe()})"
        return f"{label}{segment}{where}, each {self.grain}: {test}, when n ≥ {self.min_count}"

    def series_label(self, series: str) -> str:
        return METRICS[self.metric].label + ("" if series == "all" else f" · {self.by} {series}")


#: the default rule set: what the demo's two years show to fire on the planted double-charge spike and nothing else
DEFAULT_RULES = (
    Rule("Complaint anomaly by category", "complaints", "anomaly", grain="week", by="category", min_count=30),
    Rule("Complaint anomaly, all complaints", "complaints", "anomaly", grain="week", min_count=30),
    Rule("Complaint rate up by category", "complaints", "change", grain="week", by="category", alpha=0.001,
         min_count=30),
    Rule("Median resolution slower", "resolution", "change", grain="week", alpha=0.001, min_count=100),
    Rule("CSAT down", "csat", "change", grain="week", alpha=0.001, min_count=100),
)


def validate(rule: Rule) -> Rule:
    if rule.metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {rule.metric!r}")
    if rule.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {rule.kind!r}")
    if rule.grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, got {rule.grain!r}")
    if rule.kind == "anomaly" and rule.metric != "complaints":
        raise ValueError("anomaly rules watch complaint counts (the robust-z band); use a change or threshold rule "
                         f"for {rule.metric}")
    if rule.by != "all" and rule.metric != "complaints":
        raise ValueError(f"a breakdown (by {rule.by}) is for complaints; segment {rule.metric} with the filters "
                         "(plan, region, segment, channel)")
    if rule.by not in COMPLAINT_DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(COMPLAINT_DIMENSIONS)}, got {rule.by!r}")
    if rule.direction not in DIRECTIONS[rule.kind]:
        raise ValueError(f"a {rule.kind} rule's direction is one of {', '.join(DIRECTIONS[rule.kind])}, "
                         f"got {rule.direction!r}")
    if rule.kind == "threshold" and rule.threshold is None:
        raise ValueError("a threshold rule needs a threshold (in the metric's unit, e.g. 80 for 80% CSAT)")
    if not 0 < rule.alpha < 0.5:
        raise ValueError(f"alpha must be between 0 and 0.5, got {rule.alpha}")
    if rule.min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {rule.min_count}")
    for r in rule.recipients:
        channel_of(r)
    return replace(rule, name=rule.name.strip() or rule.describe())


def _from_row(row: dict[str, Any]) -> Rule:
    raw = json.loads(row["filters"]) if isinstance(row["filters"], str) else dict(row["filters"] or {})
    recipients = json.loads(row["recipients"]) if isinstance(row["recipients"], str) else list(row["recipients"])
    snoozed = row["snoozed_until"]
    return Rule(name=str(row["name"]), metric=str(row["metric"]), kind=str(row["kind"]), grain=str(row["grain"]),
                by=str(row["breakdown"]),
                value=None if row["value"] is None or pd.isna(row["value"]) else str(row["value"]),
                filters=Filters.of(**raw), direction=str(row["direction"]),
                threshold=None if row["threshold"] is None or pd.isna(row["threshold"]) else float(row["threshold"]),
                alpha=float(row["alpha"]), min_count=int(row["min_count"]), recipients=tuple(recipients),
                snoozed_until=None if snoozed is None or pd.isna(snoozed) else pd.Timestamp(snoozed).to_pydatetime(),
                active=bool(row["active"]), rule_id=int(row["rule_id"]))


def all_rules(conn: Connection, *, active_only: bool = False) -> list[Rule]:
    rows = conn.cursor().execute("SELECT * FROM alert_rules ORDER BY rule_id").df().to_dict("records")
    rules = [_from_row({str(k): v for k, v in r.items()}) for r in rows]
    return [r for r in rules if r.active or not active_only]


def get(conn: Connection, rule_id: int) -> Rule:
    for rule in all_rules(conn):
        if rule.rule_id == rule_id:
            return rule
    raise ValueError(f"There is no alert rule #{rule_id} (`cx alerts list` shows them).")


def table(conn: Connection) -> pd.DataFrame:
    rules = all_rules(conn)
    return pd.DataFrame([{"id": r.rule_id, "name": r.name, "rule": r.describe(), "kind": r.kind,
                          "recipients": ", ".join(r.recipients) or "(none: shown here only)",
                          "snoozed_until": r.snoozed_until, "active": r.active} for r in rules],
                        columns=["id", "name", "kind", "recipients", "snoozed_until", "active", "rule"])


def _write(conn: Connection, sql: str, params: list[Any], by: str, detail: dict[str, Any]) -> Any:
    with transaction(conn) as cur:
        result = cur.execute(sql, params).fetchall()
        audit.record(cur, by, "alert_rule_change", detail)
    return result


def add(conn: Connection, rule: Rule, *, by: str, now: dt.datetime | None = None) -> int:
    rule = validate(rule)
    at = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    filters = json.dumps({k: list(v) for k, v in asdict(rule.filters).items() if v})
    rows = _write(conn,
                  "INSERT INTO alert_rules (name, metric, kind, grain, breakdown, value, filters, direction, "
                  "threshold, alpha, min_count, recipients, snoozed_until, active, created_at, created_by) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?) RETURNING rule_id",
                  [rule.name, rule.metric, rule.kind, rule.grain, rule.by, rule.value, filters, rule.direction,
                   rule.threshold, rule.alpha, rule.min_count, json.dumps(list(rule.recipients)), rule.active, at, by],
                  by, {"action": "add", "name": rule.name, "rule": rule.describe()})
    return int(rows[0][0])


def install_defaults(conn: Connection, *, by: str, recipients: tuple[str, ...] = ()) -> list[int]:
    """Add the default rules not already present (by name); returns the new ids."""
    names = {r.name for r in all_rules(conn)}
    return [add(conn, replace(rule, recipients=recipients), by=by) for rule in DEFAULT_RULES if rule.name not in names]


def change(conn: Connection, rule_id: int, action: str, *, by: str, until: dt.datetime | None = None,
           recipients: tuple[str, ...] | None = None) -> None:
    """snooze (until a time) / unsnooze / pause / resume / remove / recipients, audited."""
    get(conn, rule_id)
    if action == "snooze":
        if until is None:
            raise ValueError("snooze needs the time until which the rule stays quiet")
        _write(conn, "UPDATE alert_rules SET snoozed_until = ? WHERE rule_id = ?", [until, rule_id], by,
               {"action": "snooze", "rule_id": rule_id, "until": until.isoformat()})
        return
    if action == "recipients":
        for r in recipients or ():
            channel_of(r)
        _write(conn, "UPDATE alert_rules SET recipients = ? WHERE rule_id = ?",
               [json.dumps(list(recipients or ())), rule_id], by,
               {"action": "recipients", "rule_id": rule_id, "recipients": list(recipients or ())})
        return
    statements = {"unsnooze": "UPDATE alert_rules SET snoozed_until = NULL WHERE rule_id = ?",
                  "pause": "UPDATE alert_rules SET active = false WHERE rule_id = ?",
                  "resume": "UPDATE alert_rules SET active = true WHERE rule_id = ?",
                  "remove": "DELETE FROM alert_rules WHERE rule_id = ?"}
    if action not in statements:
        raise ValueError(f"action must be one of snooze, recipients, {', '.join(statements)}; got {action!r}")
    _write(conn, statements[action], [rule_id], by, {"action": action, "rule_id": rule_id})
    if action == "remove":
        conn.cursor().execute("DELETE FROM alert_state WHERE rule_id = ?", [rule_id]).close()
