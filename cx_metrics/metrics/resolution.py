"""Resolution and follow-through: time to first response / resolution with open tickets censored, SLA breach
rates, backlog ageing, and what slow or bounced handling costs in satisfaction.

One name for one concept: the **time to event** of a ticket, from its creation to an end point (:data:`METRICS`:
``first_response``, ``first_resolution``, ``full_resolution``), open tickets censored at the data's latest time.
``time_to_event.sql`` counts them in DuckDB (group x minute x event), :func:`time_to_event_counts` reads those
counts, :func:`summarise` gives the Kaplan-Meier median with its interval and :func:`time_to_event` the table per
group; the Kaplan-Meier estimator and log-rank test (:mod:`cx_metrics.stats`, tested equal to lifelines with counts
as weights) run on those thousands of rows, never on the raw tickets. The Overview's ``first_response`` and
``resolution`` tiles are the medians of ``first_response`` and ``full_resolution``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics import business_hours, stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics.coverage import Coverage, coverage, observed_span, partial_buckets, with_notes

METRICS = ("first_response", "first_resolution", "full_resolution")
METRIC_NAMES = {"first_response": "Time to first response", "first_resolution": "Time to first resolution",
                "full_resolution": "Time to full resolution"}
GROUPS = ("all", "channel", "priority", "group", "category", "plan", "region", "segment", "handoffs")
OUTCOME_BUCKETS = ("resolution_time", "handoffs", "reopened")
CLOCKS = ("calendar", "business")
SLA_TARGETS = ("first_response", "resolution")
AGE_ORDER = ["< 1 day", "1-3 days", "3-7 days", "7-30 days", "> 30 days", "unknown age"]
#: output columns of :func:`time_to_event`
TIME_COLUMNS = ["group", "tickets", "completed", "censored", "median_hours", "median_low", "median_high", "p90_hours",
                "small_n"]


def data_as_of(conn: Connection) -> dt.datetime | None:
    """The latest time the tickets know about: open tickets are censored here."""
    row = conn.cursor().execute(
        "SELECT greatest(max(created_at), max(first_response_at), max(solved_at), max(closed_at), "
        "max(updated_at)) FROM tickets").fetchall()
    return row[0][0] if row and row[0][0] is not None else None


@lru_cache(maxsize=32)
def _hour_table(schedule: business_hours.Schedule, start: dt.datetime, end: dt.datetime) -> business_hours.HourTable:
    return business_hours.hour_table(schedule, start, end)


def clock_params(conn: Connection, settings: Settings, clock: str, start: dt.datetime,
                 as_of: dt.datetime) -> dict[str, Any]:
    """Bound parameters of the ``elapsed_minutes`` SQL fragment for durations that start at or after ``start``.

    ``calendar`` counts wall time; ``business`` counts only the configured opening hours (time zone, weekly
    schedule, holidays) through an hour table spanning ``start`` to the data's latest time.
    """
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {CLOCKS}, got {clock!r}")
    if clock == "calendar":
        return business_hours.CALENDAR_ONLY.params(clock)
    latest = max(as_of, data_as_of(conn) or as_of)
    first = min(start, latest)
    # whole days keep the cache key stable across calls with slightly different instants
    day = dt.timedelta(days=1)
    lo = dt.datetime.combine(first.date(), dt.time()) - day
    hi = dt.datetime.combine(latest.date(), dt.time()) + 2 * day
    return _hour_table(settings.business_hours, lo, hi).params(clock)


def time_to_event_counts(conn: Connection, period: Period, metric: str, by: str, filters: Filters | None,
                         as_of: dt.datetime | None, clock: str = "calendar", settings: Settings | None = None,
                         split: dt.datetime | None = None) -> pd.DataFrame:
    """Time-to-event counts (``grp``, ``minutes``, ``hours``, ``event``, ``tickets``) of the tickets created in the
    period; ``by='period'`` groups them into 'previous' and 'current' at ``split``."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if by not in GROUPS and by not in ("created_week", "created_month", "period"):
        raise ValueError(f"by must be one of {GROUPS}, got {by!r}")
    as_of = as_of or data_as_of(conn) or period.end_ts
    frame = query(conn, "time_to_event", {**(filters or Filters()).params(), "by": by, "metric": metric,
                                            "start": period.start_ts, "end": period.end_ts, "as_of": as_of,
                                            "split": split or period.start_ts,
                                            **clock_params(conn, settings or Settings(), clock, period.start_ts,
                                                           as_of)})
    frame["hours"] = frame["minutes"].astype(float) / 60.0
    if not frame["event"].any():  # nothing reached the end point: say whether the data can show it at all
        why = coverage(conn, period=period, filters=filters).unavailable(metric)
        with_notes(frame, f"{METRIC_NAMES[metric]}: {why}." if why else "")
    return frame


def _carry(frame: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    return with_notes(frame, *source.attrs.get("notes", ()))


@dataclass(frozen=True)
class Summary:
    """The time-to-event figures of one group of tickets: Kaplan-Meier median with its interval, p90, counts."""

    tickets: int
    completed: int
    censored: int
    median: float
    median_low: float
    median_high: float
    p90: float


def summarise(hours: np.ndarray, event: np.ndarray, tickets: np.ndarray, confidence: float) -> Summary:
    """The one median of a time to an event: Kaplan-Meier, tickets still waiting censored (NaN while fewer than half
    have reached it), with its interval (:meth:`stats.KaplanMeier.median_ci`), and the p90 the same way."""
    km = stats.kaplan_meier(hours, event, tickets, confidence)
    ci = km.median_ci()
    return Summary(tickets=int(tickets.sum()), completed=int(tickets[event].sum()),
                   censored=int(tickets[~event].sum()), median=km.median(), median_low=ci.low, median_high=ci.high,
                   p90=km.quantile(0.9))


def by_group(frame: pd.DataFrame) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(group, hours, event, tickets) of the time-to-event counts, group by group in name order, each group's rows
    ascending by hours: numpy slices of one sort, not a pandas group-by (most of a warm query's Python time)."""
    codes, labels = pd.factorize(frame["grp"], sort=True)
    hours = frame["hours"].to_numpy(dtype=float)
    order = np.lexsort((hours, codes))
    codes, hours = codes[order], hours[order]
    event = frame["event"].to_numpy(dtype=bool)[order]
    tickets = frame["tickets"].to_numpy(dtype=float)[order]
    bounds = np.searchsorted(codes, np.arange(len(labels) + 1))
    for i, label in enumerate(labels):
        part = slice(bounds[i], bounds[i + 1])
        yield str(label), hours[part], event[part], tickets[part]


def time_to_event(
    conn: Connection, *, period: Period, metric: str = "full_resolution", by: str = "all",
    filters: Filters | None = None, as_of: dt.datetime | None = None, settings: Settings | None = None,
    clock: str = "calendar",
) -> pd.DataFrame:
    """Per group: how long tickets created in the period took, open ones censored.

    ``clock`` = ``calendar`` (wall time) or ``business`` (hours of the configured schedule).
    Columns :data:`TIME_COLUMNS`: ``group``, ``tickets``, ``completed``, ``censored`` (still waiting at
    ``as_of``), ``median_hours`` (Kaplan-Meier: the one median everywhere, open tickets censored; NaN while fewer
    than half have completed) with its interval ``median_low``/``median_high``, ``p90_hours`` (Kaplan-Meier too:
    NaN while fewer than 90% have completed), ``small_n``. Durations are rounded to the minute. The median of the
    completed tickets alone is not given: it leans short while slow tickets are still open.
    """
    s = settings or Settings()
    frame = time_to_event_counts(conn, period, metric, by, filters, as_of, clock, s)
    rows = []
    for group, hours, event, tickets in by_group(frame):
        got = summarise(hours, event, tickets, s.confidence)
        rows.append({
            "group": group, "tickets": got.tickets, "completed": got.completed, "censored": got.censored,
            "median_hours": got.median, "median_low": got.median_low, "median_high": got.median_high,
            "p90_hours": got.p90, "small_n": got.tickets < s.min_cell_n,
        })
    return _carry(pd.DataFrame(rows, columns=TIME_COLUMNS), frame)


def resolution_trend(
    conn: Connection, *, period: Period, grain: str = "week", metric: str = "full_resolution",
    filters: Filters | None = None, as_of: dt.datetime | None = None, settings: Settings | None = None,
    clock: str = "calendar",
) -> pd.DataFrame:
    """Time to ``metric`` of the tickets created in each week or month, open tickets censored.

    The columns of :func:`time_to_event` with ``period_start`` (a Timestamp) instead of ``group``, and ``partial``
    (the period or the data's start or end cuts the bucket). The Kaplan-Meier
    median is the honest figure for recent periods, whose slow tickets are still open.
    """
    if grain not in ("week", "month"):
        raise ValueError(f"grain must be week or month, got {grain!r}")
    frame = time_to_event(conn, period=period, metric=metric, by=f"created_{grain}", filters=filters, as_of=as_of,
                          settings=settings, clock=clock)
    frame.insert(0, "period_start", pd.to_datetime(frame.pop("group")))
    return _with_partial(conn, frame.sort_values("period_start", ignore_index=True), period, grain)


def _with_partial(conn: Connection, frame: pd.DataFrame, period: Period, grain: str) -> pd.DataFrame:
    """``partial``: the creation bucket is cut by the period or by the data's start or end."""
    starts = pd.to_datetime(frame["period_start"])
    step: Any = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7), "month": pd.offsets.MonthBegin(1)}[grain]
    ends = pd.Series([start + step for start in starts], index=frame.index)
    frame["partial"] = partial_buckets(starts, ends, period, observed_span(conn, "tickets"))
    return frame


def km_curves(
    conn: Connection, *, period: Period, metric: str = "full_resolution", by: str = "all",
    filters: Filters | None = None, as_of: dt.datetime | None = None, settings: Settings | None = None,
    max_hours: float | None = None, clock: str = "calendar",
) -> pd.DataFrame:
    """Kaplan-Meier curves: share of tickets still waiting after t hours, with 95% bands, per group.

    Columns: ``group``, ``hours``, ``still_waiting`` (0..1), ``ci_low``, ``ci_high``, ``at_risk``.
    """
    s = settings or Settings()
    frame = time_to_event_counts(conn, period, metric, by, filters, as_of, clock, s)
    parts = []
    for group, hours, event, tickets in by_group(frame):
        curve = stats.kaplan_meier(hours, event, tickets, s.confidence).frame()
        curve.columns = ["hours", "still_waiting", "ci_low", "ci_high", "at_risk"]
        curve.insert(0, "group", group)
        if max_hours is not None:
            curve = curve[curve["hours"] <= max_hours]
        parts.append(curve)
    if not parts:
        return _carry(pd.DataFrame(columns=["group", "hours", "still_waiting", "ci_low", "ci_high", "at_risk"]), frame)
    curves: pd.DataFrame = pd.concat(parts, ignore_index=True)
    return _carry(curves, frame)


def logrank(
    conn: Connection, *, period: Period, metric: str = "full_resolution", by: str = "channel",
    filters: Filters | None = None, as_of: dt.datetime | None = None, settings: Settings | None = None,
    clock: str = "calendar",
) -> pd.DataFrame:
    """Do the groups' time-to-event curves differ, and by how much? Multivariate log-rank test (open tickets
    censored) with its effect size.

    One row: ``groups``, ``statistic``, ``degrees_of_freedom``, ``p_value``, and the effect: ``fastest`` and
    ``slowest`` group (highest and lowest observed / expected events) and ``rate_ratio``, the ratio of their
    observed / expected events (a hazard-ratio estimate: 1.5 = the fastest group's tickets reach the end point at
    1.5 times the slowest's rate).
    """
    frame = time_to_event_counts(conn, period, metric, by, filters, as_of, clock, settings)
    result = stats.logrank(frame["hours"], frame["grp"], frame["event"], frame["tickets"])
    fastest, slowest, ratio = result.rate_ratio()
    return _carry(pd.DataFrame([{"groups": result.groups, "statistic": result.statistic,
                                 "degrees_of_freedom": result.degrees_of_freedom, "p_value": result.p_value,
                                 "fastest": fastest, "slowest": slowest, "rate_ratio": ratio}]), frame)


_SLA_NAMES = {"first_response": "First-response SLA", "resolution": "Resolution SLA"}


def logrank_sentence(row: dict[str, Any], alpha: float, summary: pd.DataFrame | None = None) -> str:
    """The log-rank result (:func:`logrank`) as a sentence with its effect size: whether the groups differ and by
    how much (the fastest group's rate of reaching the end point against the slowest's, and their medians)."""
    groups, p_value = int(row["groups"]), float(row["p_value"])
    head = (f"Log-rank test across {groups} groups: χ² = {float(row['statistic']):,.1f} "
            f"(df {int(row['degrees_of_freedom'])}), p = {p_value:.2g}")
    if math.isnan(p_value):
        return head + " — not tested."
    if p_value >= alpha:
        return head + " — **no evidence the groups differ**."
    ratio = float(row.get("rate_ratio", math.nan))
    if math.isnan(ratio):
        return head + " — **the groups differ** (no effect size: a group has no completed ticket)."
    medians = ""
    if summary is not None and not summary.empty:
        known = summary.set_index("group")["median_hours"].to_dict()
        fast, slow = known.get(row["fastest"], math.nan), known.get(row["slowest"], math.nan)
        shown = [f"{v:,.1f} h" if not math.isnan(v) else "not reached" for v in (fast, slow)]
        medians = f"; medians {shown[0]} vs {shown[1]}"
    return (f"{head} — **the groups differ**: {row['fastest']} tickets get there {ratio:.2f}× as fast as "
            f"{row['slowest']} tickets (ratio of observed to expected events, a hazard-ratio estimate{medians}).")


def sla_counts(conn: Connection, period: Period, filters: Filters | None, s: Settings, as_of: dt.datetime | None,
               clock: str | None, grain: str, which: tuple[str, ...] = SLA_TARGETS,
               cov: Coverage | None = None) -> pd.DataFrame:
    """Counts per target (and grain, priority); a target the data cannot support (no first-reply times, no solve
    times, no priorities) is left out and its reason is in ``attrs['notes']`` (``cov``: the selection's coverage,
    when the caller has it already)."""
    as_of = as_of or data_as_of(conn) or period.end_ts
    timing = clock_params(conn, s, clock or s.sla_clock, period.start_ts, as_of)
    cov = cov or coverage(conn, period=period, filters=filters)
    parts, notes = [], []
    for target, targets in (("first_response", s.sla_first_response_hours), ("resolution", s.sla_resolution_hours)):
        if target not in which:
            continue
        why = cov.unavailable(f"sla_{target}")
        if why:
            notes.append(f"{_SLA_NAMES[target]}: {why}.")
            continue
        frame = query(conn, "sla_breaches", {**(filters or Filters()).params(), "metric": target, "grain": grain,
                                             "targets": {str(k): float(v) for k, v in targets.items()},
                                             "start": period.start_ts, "end": period.end_ts, "as_of": as_of,
                                             **timing})
        frame.insert(0, "target", target)
        parts.append(frame)
    columns = ["target", "period_start", "priority", "target_hours", "achieved", "breached", "pending",
               "open_breached"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return with_notes(out, *notes)


def _with_breach_rate(out: pd.DataFrame, s: Settings) -> pd.DataFrame:
    n = out["achieved"] + out["breached"]
    cis = [stats.wilson_ci(int(b), int(k), s.confidence) for b, k in zip(out["breached"], n, strict=True)]
    out["breach_rate"] = np.where(n > 0, out["breached"] / n.clip(lower=1), np.nan)
    out["ci_low"] = [c.low for c in cis]
    out["ci_high"] = [c.high for c in cis]
    out["small_n"] = n < s.min_cell_n
    return out


def sla_breaches(
    conn: Connection, *, period: Period, filters: Filters | None = None, settings: Settings | None = None,
    as_of: dt.datetime | None = None, clock: str | None = None, targets: tuple[str, ...] = SLA_TARGETS,
) -> pd.DataFrame:
    """Breach rate per target (first response / resolution) and priority.

    Target hours are counted on ``clock`` (default: the configured ``sla_clock``, calendar or business hours).
    breach rate = breached / (achieved + breached); open tickets already past their target count as breached,
    open tickets not yet past it are pending and in neither count. Columns: ``target``, ``priority``,
    ``target_hours``, ``achieved``, ``breached``, ``pending``, ``open_breached``, ``breach_rate``, ``ci_low``,
    ``ci_high`` (Wilson), ``small_n``.
    """
    s = settings or Settings()
    counts = sla_counts(conn, period, filters, s, as_of, clock, "all", targets)
    return with_notes(_with_breach_rate(counts.drop(columns="period_start"), s), *counts.attrs.get("notes", ()))


def sla_breach_trend(
    conn: Connection, *, period: Period, grain: str = "week", filters: Filters | None = None,
    settings: Settings | None = None, as_of: dt.datetime | None = None, clock: str | None = None,
    targets: tuple[str, ...] = SLA_TARGETS,
) -> pd.DataFrame:
    """Breaches over time: the breach rate of the tickets created in each day/week/month, per target, all
    priorities together (each ticket against its own priority's target).

    Columns: ``target``, ``period_start``, ``achieved``, ``breached``, ``pending``, ``breach_rate``, ``ci_low``,
    ``ci_high`` (Wilson), ``small_n``, ``partial`` (the period or the data's start or end cuts the bucket).
    Recent periods have more tickets still pending, so their rate is less settled.
    """
    if grain not in ("day", "week", "month"):
        raise ValueError(f"grain must be day, week or month, got {grain!r}")
    s = settings or Settings()
    counts = sla_counts(conn, period, filters, s, as_of, clock, grain, targets)
    out = (counts.groupby(["target", "period_start"], as_index=False)[["achieved", "breached", "pending"]].sum()
           .sort_values(["target", "period_start"], ignore_index=True))
    out = _with_partial(conn, _with_breach_rate(out, s), period, grain)
    return with_notes(out, *counts.attrs.get("notes", ()))


def vendor_agreement(
    conn: Connection, *, period: Period, filters: Filters | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """How our durations agree with the vendor's own minutes (Zendesk's ``... in minutes`` columns).

    One row per metric (first_response, full_resolution) x clock (calendar, business): ``tickets`` that carry the
    vendor's figure and both stored times, ``our_median_minutes``, ``vendor_median_minutes``,
    ``median_difference_minutes`` (ours - vendor), ``agree_rate`` (share within one minute or 1%, with 95% Wilson
    ``agree_low``/``agree_high``) and ``correlation``. Business-hours disagreement usually means the schedule in
    cx.toml is not the one the vendor used.
    """
    s = settings or Settings()
    rows = []
    as_of = data_as_of(conn) or period.end_ts
    timing = {clock: clock_params(conn, s, clock, period.start_ts, as_of) for clock in CLOCKS}
    for metric in ("first_response", "full_resolution"):
        for clock in CLOCKS:
            frame = query(conn, "vendor_agreement", {**(filters or Filters()).params(), "metric": metric,
                                                      "start": period.start_ts, "end": period.end_ts,
                                                      **timing[clock]})
            row = frame.iloc[0].to_dict()
            n, k = int(row["tickets"]), int(row["agreeing"] or 0)
            ci = stats.wilson_ci(k, n, s.confidence)
            rows.append({"metric": metric, "clock": clock, "tickets": n,
                         "our_median_minutes": _num(row["our_median_minutes"]),
                         "vendor_median_minutes": _num(row["vendor_median_minutes"]),
                         "median_difference_minutes": _num(row["median_difference_minutes"]),
                         "agree_rate": k / n if n else math.nan, "agree_low": ci.low, "agree_high": ci.high,
                         "correlation": _num(row["correlation"])})
    return pd.DataFrame(rows)


def _num(value: Any) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def resolution_rows(
    conn: Connection, *, period: Period, metric: str = "full_resolution", by: str = "all", value: str | None = None,
    filters: Filters | None = None, settings: Settings | None = None, as_of: dt.datetime | None = None,
    clock: str = "calendar", limit: int = 5_000,
) -> pd.DataFrame:
    """The tickets behind a resolution figure: created in the period, group ``by`` == ``value`` (all when None).

    Longest first. ``hours`` to ``metric`` on ``clock`` (to ``as_of`` for tickets still waiting), ``state``
    (done / still waiting / done, time unknown), ``target_hours`` (the priority's resolution target) and
    ``breached`` (hours on ``clock`` past the target, waiting or not; None when the priority has no target).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if by not in GROUPS:
        raise ValueError(f"by must be one of {GROUPS}, got {by!r}")
    s = settings or Settings()
    as_of = as_of or data_as_of(conn) or period.end_ts
    frame = query(conn, "resolution_rows", {
        **(filters or Filters()).params(), "by": by, "value": value, "metric": metric, "start": period.start_ts,
        "end": period.end_ts, "as_of": as_of, "limit": int(limit),
        "targets": {str(k): float(v) for k, v in s.sla_resolution_hours.items()},
        **clock_params(conn, s, clock, period.start_ts, as_of)})
    unknown = frame["target_hours"].isna() | frame["hours"].isna()
    frame["breached"] = (frame["hours"] > frame["target_hours"]).astype("boolean").mask(unknown)
    return frame


def backlog_history(
    conn: Connection, *, period: Period, filters: Filters | None = None,
) -> pd.DataFrame:
    """Backlog over time: tickets not solved or closed at the end of each day of the period.

    Follows the status history (ticket_events) where a ticket has one, so reopens re-enter the backlog when they
    happened; other tickets are open from creation to their solved or closed time. Columns: ``day``,
    ``backlog``, ``opened`` (created or reopened that day), ``left_backlog`` (solved or closed that day).
    """
    frame = query(conn, "backlog_history", {**(filters or Filters()).params(), "start": period.start_ts,
                                            "end": period.end_ts})
    return frame.astype({"backlog": "int64", "opened": "int64", "left_backlog": "int64"})


def backlog(conn: Connection, *, as_of: dt.datetime | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """Tickets not solved or closed at ``as_of`` (default: the data's latest time), by age bucket.

    Columns: ``age`` (<1 day, 1-3, 3-7, 7-30, >30 days, unknown age), ``tickets``.
    """
    as_of = as_of or data_as_of(conn) or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    frame = query(conn, "backlog_ageing", {**(filters or Filters()).params(), "as_of": as_of})
    out = pd.DataFrame({"age": AGE_ORDER}).merge(frame, on="age", how="left")
    out["tickets"] = out["tickets"].fillna(0).astype("int64")
    return out


def experience_vs_outcome(
    conn: Connection, *, period: Period, by: str = "resolution_time", filters: Filters | None = None,
    settings: Settings | None = None, metric: str = "csat",
) -> pd.DataFrame:
    """CSAT or NPS of the responses linked to tickets, by how the ticket was handled (resolution time, handoffs,
    reopened).

    Columns: ``bucket``, ``responses``, ``satisfied``, ``promoters``, ``detractors``, ``value`` (CSAT % or NPS
    points), ``ci_low``, ``ci_high`` (Wilson for CSAT, the NPS variance formula for NPS), ``small_n``; for CSAT
    also ``csat`` (= value).
    """
    if by not in OUTCOME_BUCKETS:
        raise ValueError(f"by must be one of {OUTCOME_BUCKETS}, got {by!r}")
    if metric not in ("csat", "nps"):
        raise ValueError(f"metric must be csat or nps, got {metric!r}")
    s = settings or Settings()
    frame = query(conn, "experience_outcome", {**(filters or Filters()).params(), "by": by, "metric": metric,
                                               "start": period.start_ts, "end": period.end_ts,
                                               "top_boxes": s.csat_top_boxes})
    if metric == "csat":
        cis = [stats.wilson_ci(int(k), int(n), s.confidence)
               for k, n in zip(frame["satisfied"], frame["responses"], strict=True)]
        frame["value"] = 100 * frame["satisfied"] / frame["responses"].clip(lower=1)
        frame["ci_low"] = [100 * c.low for c in cis]
        frame["ci_high"] = [100 * c.high for c in cis]
        frame["csat"] = frame["value"]
    else:
        rows = list(zip(frame["promoters"], frame["detractors"], frame["responses"], strict=True))
        nps_cis = [stats.nps_ci(int(p), int(d), int(n), s.confidence) for p, d, n in rows]
        frame["value"] = [stats.nps_value(int(p), int(d), int(n)) for p, d, n in rows]
        frame["ci_low"] = [c.low for c in nps_cis]
        frame["ci_high"] = [c.high for c in nps_cis]
    frame["small_n"] = frame["responses"] < s.min_cell_n
    frame["bucket"] = frame["bucket"].str.replace(r"^[a-e]: ", "", regex=True)
    return frame


def follow_through(
    conn: Connection, *, period: Period, by: str = "all", filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Reopens, one-touch resolution and handoffs of the solved tickets created in the period, per group.

    reopen rate = solved tickets reopened at least once / solved tickets with a reopen count; one-touch = solved
    with fewer than 2 agent replies / solved tickets with a reply count; handoffs = group stations - 1. A figure
    whose counts the data lacks entirely is NaN and ``attrs['notes']`` says so (never 0%). Columns: ``group``,
    ``solved``, ``reopen_rate``, ``reopen_low``, ``reopen_high``, ``one_touch_rate``, ``one_touch_low``,
    ``one_touch_high``, ``mean_handoffs``, ``handed_off_rate`` (share with 1+ handoff), ``small_n``.
    Rates in 0..1 with 95% Wilson intervals.
    """
    if by not in GROUPS:
        raise ValueError(f"by must be one of {GROUPS}, got {by!r}")
    s = settings or Settings()
    frame = query(conn, "follow_through", {**(filters or Filters()).params(), "by": by, "start": period.start_ts,
                                           "end": period.end_ts})
    out = pd.DataFrame({"group": frame["grp"].astype(str), "solved": frame["solved"]})
    for name, k, n in (("reopen", frame["reopened"], frame["with_reopens"]),
                       ("one_touch", frame["one_touch"], frame["with_replies"])):
        cis = [stats.wilson_ci(int(a), int(b), s.confidence) for a, b in zip(k, n, strict=True)]
        out[f"{name}_rate"] = np.where(n > 0, k / n.clip(lower=1), np.nan)
        out[f"{name}_low"] = [c.low for c in cis]
        out[f"{name}_high"] = [c.high for c in cis]
    out["mean_handoffs"] = frame["mean_handoffs"]
    out["handed_off_rate"] = np.where(frame["with_stations"] > 0,
                                      frame["handed_off"] / frame["with_stations"].clip(lower=1), np.nan)
    out["small_n"] = out["solved"] < s.min_cell_n
    solved = int(frame["solved"].sum())
    missing = [what for what, column in (("Reopen rate: no reopen counts", "with_reopens"),
                                          ("One-touch rate: no reply counts", "with_replies"),
                                          ("Handoffs: no group station counts", "with_stations"))
               if solved and int(frame[column].sum()) == 0]
    return with_notes(out, *(f"{what} for the solved tickets of this selection (an export with them, or a status "
                             "history, gives them)." for what in missing))


def handoff_distribution(
    conn: Connection, *, period: Period, filters: Filters | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """How many handoffs (group stations - 1) the solved tickets created in the period went through.

    Columns: ``handoffs`` (0 handoffs, 1 handoff, 2+ handoffs, (unknown)), ``solved``, ``share`` of the solved
    tickets with a known station count (NaN for unknown), ``ci_low``/``ci_high`` (95% Wilson).
    """
    s = settings or Settings()
    frame = follow_through(conn, period=period, by="handoffs", filters=filters, settings=s)
    out = pd.DataFrame({"handoffs": frame["group"], "solved": frame["solved"].astype("int64")})
    known = out["handoffs"] != "(unknown)"
    total = int(out.loc[known, "solved"].sum())
    cis = [stats.wilson_ci(int(k), total, s.confidence) for k in out["solved"]]
    out["share"] = np.where(known & (total > 0), out["solved"] / max(total, 1), np.nan)
    out["ci_low"] = np.where(known, [c.low for c in cis], np.nan)
    out["ci_high"] = np.where(known, [c.high for c in cis], np.nan)
    return out.sort_values("handoffs", ignore_index=True)
