"""Evaluating alert rules: period by period, each series of a rule is inside or outside its band; an episode
fires once when the series leaves it and clears when it returns. ``run`` follows the database's state and notifies
through the outbox; ``backtest`` replays the whole history to show how often each rule would have fired."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cx_metrics import audit
from cx_metrics.alerts.rules import Rule, all_rules
from cx_metrics.config import Settings
from cx_metrics.db import Connection, transaction
from cx_metrics.delivery import outbox
from cx_metrics.delivery.secrets import Secrets
from cx_metrics.delivery.transports import webhook_payload
from cx_metrics.digest import figures as figs
from cx_metrics.digest.links import view_link
from cx_metrics.filters import Period
from cx_metrics.metrics.complaints import BASELINE_PERIODS, buckets

#: at most this many periods are caught up when `cx alerts run` has not run for a while
CATCH_UP = 12
PAGES = {"complaints": "complaints", "first_response": "resolution", "resolution": "resolution",
         "sla": "resolution", "nps": "surveys", "csat": "surveys", "ces": "surveys", "churn": "churn"}
ACTOR = "alerts"


@dataclass(frozen=True)
class Observation:
    """One series of a rule in one period."""

    series: str
    period: Period
    value: float
    n: int
    outside: bool  # the condition holds: the series is outside its band
    message: str


def _end(start: pd.Timestamp, grain: str) -> dt.date:
    nxt = start + (pd.Timedelta(days=1) if grain == "day" else pd.Timedelta(days=7) if grain == "week"
                   else pd.offsets.MonthBegin(1))
    return (pd.Timestamp(nxt) - pd.Timedelta(days=1)).date()


def periods(start: dt.date, end: dt.date, grain: str) -> list[Period]:
    """The whole ``grain`` periods (weeks Monday-Sunday, calendar months) inside [start, end]."""
    out = []
    for s in buckets(dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1),
                                                                                   dt.time()), grain):
        p = Period(s.date(), _end(s, grain))
        if p.start >= start and p.end <= end:
            out.append(p)
    return out


def _history_start(period: Period, grain: str) -> dt.date:
    k = BASELINE_PERIODS[grain]
    if grain == "day":
        return period.start - dt.timedelta(days=k)
    if grain == "week":
        return period.start - dt.timedelta(weeks=k)
    return (pd.Timestamp(period.start) - pd.DateOffset(months=k)).date()


def _worse(delta: float, higher_is_better: bool, direction: str) -> bool:
    if math.isnan(delta) or delta == 0:
        return False
    if direction == "either":
        return True
    worse = (delta < 0) if higher_is_better else (delta > 0)
    return worse if direction == "worse" else not worse


def observe(conn: Connection, settings: Settings, rule: Rule, todo: list[Period],
            span: tuple[dt.date, dt.date]) -> list[Observation]:
    """The rule's series in each of ``todo`` (whole periods, in order). Periods whose comparison reaches before the
    data (an anomaly's baseline, a change's previous period) are not evaluated: no history is not zero."""
    out: list[Observation] = []
    if not todo:
        return out
    if rule.kind == "anomaly":
        frame = figs.complaint_anomalies(conn, settings, Period(todo[0].start, todo[-1].end), rule.grain, rule.by,
                                         rule.filters)
        by_start = {p.start: p for p in todo}
        for rec in frame.to_dict("records"):
            start = pd.Timestamp(rec["period_start"]).date()
            period = by_start.get(start)
            series = "all" if rule.by == "all" else str(rec["dimension"])
            if period is None or (rule.value is not None and series != rule.value):
                continue
            if _history_start(period, rule.grain) < span[0] or pd.isna(rec["z"]):
                continue
            count = int(rec["complaints"])
            out.append(Observation(series, period, float(count), count,
                                   bool(rec["is_anomaly"]) and count >= rule.min_count,
                                   f"{count:,} complaints, {rec['description']}"))
        return sorted(out, key=lambda o: o.period.start)
    for period in todo:
        if rule.kind == "change" and period.previous().start < span[0]:
            continue
        if rule.by != "all":
            movers = figs.complaint_movers(conn, settings, period, rule.by, rule.filters)
            for rec in movers.to_dict("records"):
                series = str(rec["dimension"])
                if rule.value is not None and series != rule.value:
                    continue
                k1, k0 = int(rec["complaints"]), int(rec["prev_complaints"])
                if rule.kind == "change":
                    new = rec["direction"] == "new"  # none the period before: a rise without a ratio
                    outside = (float(rec["p_value"]) < rule.alpha and k1 >= rule.min_count
                               and _worse(math.inf if new else float(rec["change"]), False, rule.direction))
                    change = "new" if new else f"{float(rec['change']):+.0%}"
                    message = (f"{k1:,} complaints vs {k0:,} the {rule.grain} before ({change} in rate per customer, "
                               f"exact Poisson test p = {float(rec['p_value']):.2g})")
                else:
                    outside = k1 >= rule.min_count and _beyond(float(k1), rule)
                    message = f"{k1:,} complaints (threshold {rule.direction} {rule.threshold:g})"
                out.append(Observation(series, period, float(k1), k1, outside, message))
            continue
        row = figs.metric_row(conn, settings, rule.metric, period, rule.filters)
        n, value = int(row["n"]), float(row["value"])
        shown = figs.format_value(value, str(row["unit"]), rule.metric)
        if rule.kind == "change":
            p = float(row["p_value"])
            outside = (not math.isnan(p) and p < rule.alpha and n >= rule.min_count
                       and int(row["prev_n"]) >= rule.min_count
                       and _worse(float(row["delta"]), bool(row["higher_is_better"]), rule.direction))
            message = (f"{shown} vs {figs.format_value(float(row['prev_value']), str(row['unit']), rule.metric)} the "
                       f"{rule.grain} before ({figs.describe_test(row, rule.alpha)}; n = {n:,})")
        else:
            outside = n >= rule.min_count and not math.isnan(value) and _beyond(value, rule)
            message = f"{shown} (threshold {rule.direction} {rule.threshold:g}; n = {n:,})"
        out.append(Observation("all", period, value, n, outside, message))
    return out


def _beyond(value: float, rule: Rule) -> bool:
    assert rule.threshold is not None
    return value > rule.threshold if rule.direction == "above" else value < rule.threshold


@dataclass
class Event:
    rule: Rule
    series: str
    event: str  # fired / cleared
    observation: Observation


def episodes(observations: list[Observation], rule: Rule,
             firing: dict[str, bool] | None = None) -> list[Event]:
    """Fire when a series goes outside its band, clear when it returns; nothing while it stays (``firing``: each
    series' state before the first observation, updated in place)."""
    state = firing if firing is not None else {}
    events = []
    for obs in sorted(observations, key=lambda o: (o.period.start, o.series)):
        was = state.get(obs.series, False)
        if obs.outside and not was:
            events.append(Event(rule, obs.series, "fired", obs))
        elif was and not obs.outside:
            events.append(Event(rule, obs.series, "cleared", obs))
        state[obs.series] = obs.outside
    return events


def periods_in(span: tuple[dt.date, dt.date] | None, grain: str) -> list[Period]:
    """The complete ``grain`` periods of the data's ``span`` (none for an empty database)."""
    return periods(span[0], span[1], grain) if span is not None else []


def backtest(conn: Connection, settings: Settings, rule: Rule) -> pd.DataFrame:
    """How often ``rule`` would have fired over the whole history: one row per episode with the period it fired,
    the period it cleared (None: still firing at the end), the series and the message when it fired."""
    return _backtest(conn, settings, rule, figs.data_span(conn))


def _backtest(conn: Connection, settings: Settings, rule: Rule, span: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    columns = ["series", "fired", "cleared", "periods", "message"]
    if span is None:
        return pd.DataFrame(columns=columns)
    todo = periods_in(span, rule.grain)
    rows: list[dict[str, Any]] = []
    open_: dict[str, dict[str, Any]] = {}
    evaluated = observe(conn, settings, rule, todo, span)
    for ev in episodes(evaluated, rule):
        if ev.event == "fired":
            open_[ev.series] = {"series": ev.series, "fired": ev.observation.period.start, "cleared": None,
                                "periods": 0, "message": ev.observation.message}
            rows.append(open_[ev.series])
        else:
            open_.pop(ev.series)["cleared"] = ev.observation.period.start
    for row in rows:
        row["periods"] = sum(1 for o in evaluated if o.series == row["series"] and o.outside
                             and o.period.start >= row["fired"]
                             and (row["cleared"] is None or o.period.start < row["cleared"]))
    return pd.DataFrame(rows, columns=columns)


def backtest_summary(conn: Connection, settings: Settings, rules: list[Rule]) -> pd.DataFrame:
    """Per rule: periods evaluated, episodes it would have fired, and when."""
    out = []
    span = figs.data_span(conn)  # once for every rule (on Spark, a query on the lake)
    for rule in rules:
        todo = periods_in(span, rule.grain)
        episodes_ = _backtest(conn, settings, rule, span)
        out.append({"id": rule.rule_id, "name": rule.name, "rule": rule.describe(), "periods": len(todo),
                    "fired": len(episodes_),
                    "when": "; ".join(f"{r['series']} from {r['fired']:%d %b %Y}" for r in
                                      episodes_.to_dict("records"))})
    return pd.DataFrame(out, columns=["id", "name", "fired", "when", "periods", "rule"])


def link(settings: Settings, rule: Rule, series: str, period: Period) -> str:
    page = PAGES[rule.metric]
    extra: dict[str, str] = {}
    shown = period
    if rule.metric == "complaints":
        extra = {"by": rule.by, "grain": rule.grain, "series": "" if series == "all" else series}
        if rule.kind == "anomaly":  # the band's context: 12 periods before the one that fired
            shown = Period({"day": period.start - dt.timedelta(days=27),
                            "week": period.start - dt.timedelta(weeks=12),
                            "month": (pd.Timestamp(period.start) - pd.DateOffset(months=11)).date()}[rule.grain],
                           period.end)
    return view_link(settings.dashboard_url, page, shown, rule.filters, extra)


def _title(ev: Event) -> str:
    what = "back to normal" if ev.event == "cleared" else {
        "anomaly": "anomalous", "change": "changed significantly", "threshold": "past its threshold"}[ev.rule.kind]
    return f"[CX alert] {ev.rule.series_label(ev.series)} {what}, {ev.rule.grain} of {ev.observation.period.label()}"


@dataclass
class RunReport:
    evaluated: int = 0
    events: list[str] = field(default_factory=list)
    delivery: outbox.DeliveryReport | None = None

    def lines(self) -> list[str]:
        out = [f"{self.evaluated} rule(s) evaluated, {len(self.events)} alert event(s)"]
        out += [f"  {e}" for e in self.events]
        return out + (self.delivery.lines() if self.delivery else [])


def _record(conn: Connection, settings: Settings, ev: Event, at: dt.datetime) -> str | None:
    """Write the event, its state and its notifications in one transaction; None when it was already recorded."""
    rule, obs = ev.rule, ev.observation
    assert rule.rule_id is not None
    snoozed = rule.snoozed_until is not None and rule.snoozed_until > at
    url = link(settings, rule, ev.series, obs.period)
    title = _title(ev)
    text = f"{title}\n{rule.name}: {obs.message}.\nRule: {rule.describe()}." + (f"\n{url}" if url else "")
    seen = conn.cursor().execute("SELECT 1 FROM alert_events WHERE rule_id = ? AND series = ? AND event = ? AND "
                                 "period_start = ?", [rule.rule_id, ev.series, ev.event, obs.period.start]).fetchall()
    if seen:
        return None
    with transaction(conn) as cur:
        event_id = int(cur.execute(
            "INSERT INTO alert_events (rule_id, series, event, period_start, value, message, link, snoozed, "
            "occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING event_id",
            [rule.rule_id, ev.series, ev.event, obs.period.start, obs.value, obs.message, url, snoozed, at]
        ).fetchall()[0][0])
        audit.record(cur, ACTOR, "alert", {"event_id": event_id, "rule_id": rule.rule_id, "series": ev.series,
                                           "event": ev.event, "period": obs.period.label(), "snoozed": snoozed})
        for recipient in () if snoozed else rule.recipients:
            kind = recipient.partition(":")[0]
            body: dict[str, Any]
            if kind in ("slack", "teams"):
                body = {"webhook": webhook_payload(kind, title, [f"{rule.name}: {obs.message}.",
                                                                 f"Rule: {rule.describe()}."], url)}
            else:
                body = {"text": text}
            outbox.enqueue(cur, dedupe_key=f"alert:{event_id}:{recipient}", kind="alert", recipient=recipient,
                           subject=title, body=body, now=at)
    return ("(snoozed) " if snoozed else "") + title + f": {obs.message}"


def _save_state(conn: Connection, rule: Rule, observations: list[Observation], firing: dict[str, bool],
                since: dict[str, dt.date | None], at: dt.datetime) -> None:
    last: dict[str, Observation] = {}
    for obs in observations:
        last[obs.series] = obs
    cur = conn.cursor()
    for series, obs in last.items():
        cur.execute("INSERT OR REPLACE INTO alert_state VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [rule.rule_id, series, firing.get(series, False), since.get(series), obs.period.start,
                     obs.value, at])
    cur.close()


def _todo(conn: Connection, rule: Rule, span: tuple[dt.date, dt.date] | None) -> tuple[list[Period], list[Any]]:
    """The periods ``rule`` has still to evaluate in the data's ``span`` (those completed since it last ran, at most
    :data:`CATCH_UP`; the latest one for a new rule) and its saved state rows."""
    todo = periods_in(span, rule.grain)
    if not todo:
        return [], []
    state = conn.cursor().execute("SELECT series, firing, since, last_period FROM alert_state WHERE rule_id = ?",
                                  [rule.rule_id]).fetchall()
    last = max((pd.Timestamp(lp).date() for *_, lp in state), default=None)
    return ([p for p in todo if p.start > last][-CATCH_UP:] if last else todo[-1:]), state


def pending(conn: Connection) -> tuple[tuple[int, dt.date], ...]:
    """(rule id, first period to evaluate) of every active rule :func:`run` would evaluate now; empty when a run
    would change nothing (read-only, so a scheduler can ask before it takes the write lock)."""
    out = []
    chosen = all_rules(conn, active_only=True)
    span = figs.data_span(conn) if chosen else None  # once for every rule (on Spark, a query on the lake)
    for rule in chosen:
        todo, _ = _todo(conn, rule, span)
        if todo and rule.rule_id is not None:
            out.append((rule.rule_id, todo[0].start))
    return tuple(out)


def run(conn: Connection, settings: Settings, secrets: Secrets | None, *, now: dt.datetime | None = None,
        deliver: bool = True) -> RunReport:
    """Evaluate every active rule on the periods completed since it last ran (the latest one for a new rule, at
    most :data:`CATCH_UP`), record fired and cleared episodes, queue their notifications, then deliver."""
    at = now or outbox.now_utc()
    report = RunReport()
    chosen = all_rules(conn, active_only=True)
    span = figs.data_span(conn) if chosen else None
    for rule in chosen:
        report.evaluated += 1
        todo, state = _todo(conn, rule, span)
        if span is None or not todo:
            continue
        firing = {str(s): bool(f) for s, f, _, _ in state}
        since = {str(s): (pd.Timestamp(x).date() if x is not None else None) for s, _, x, _ in state}
        observations = observe(conn, settings, rule, todo, span)
        for ev in episodes(observations, rule, firing):
            since[ev.series] = ev.observation.period.start if ev.event == "fired" else None
            line = _record(conn, settings, ev, at)
            if line:
                report.events.append(line)
        _save_state(conn, rule, observations, firing, since, at)
    if deliver and secrets is not None:
        report.delivery = outbox.deliver_due(conn, secrets, now=at)
    return report


def events(conn: Connection, limit: int = 200) -> pd.DataFrame:
    return conn.cursor().execute(
        "SELECT e.event_id, e.occurred_at, r.name AS rule, e.series, e.event, e.period_start, e.message, e.snoozed, "
        "e.link FROM alert_events e LEFT JOIN alert_rules r USING (rule_id) ORDER BY e.event_id DESC LIMIT ?",
        [limit]).df()


def firing_now(conn: Connection) -> pd.DataFrame:
    return conn.cursor().execute(
        "SELECT r.rule_id, r.name AS rule, s.series, s.since, s.last_period, s.last_value FROM alert_state s "
        "JOIN alert_rules r USING (rule_id) WHERE s.firing ORDER BY s.since").df()
