"""Churn: the definition in force, churn rates with intervals, Kaplan-Meier retention, complaint-to-churn lift and
the service-recovery view (does a failure fixed fast keep customers as well as no failure at all?).

Churn definition (``[churn]`` in cx.toml, see :func:`definition`):

* contractual: a customer churns at ``customers.churned_at``;
* activity (non-contractual): a customer churns at their last activity when nothing followed for N days
  (``inactivity_days``; 0 = the value suggested from the data: the 95th percentile of the gaps between a
  customer's consecutive activities, rounded up to a week). Churn is only observable up to N days before the
  latest data, so every analysis ends there (``obs_end``).

Every comparison of customers with and without a bad experience uses a landmark (a fixed time origin after
which the experience is known), so customers are never credited with time they had to survive to be classified.
Survival curves run on (group, days, event) counts aggregated in DuckDB.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics import stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics.complaints import buckets, complaint_rule_params

COHORTS = ("all", "plan", "region", "segment", "generation", "signup_year", "acquisition_channel")
GRAINS = ("month", "quarter", "week")
EXPERIENCES = ("no failure", "failure, resolved fast", "failure, resolved slow", "failure, unresolved")
#: a failure not solved within this many days counts as unresolved; it is also the landmark delay
UNRESOLVED_DAYS = 14
#: the window of complaints (exposure) before the lift landmark
EXPOSURE_DAYS = 90


@dataclass(frozen=True)
class ChurnDefinition:
    """The churn definition in force and the data's time frame."""

    mode: str  # "contractual" or "activity"
    inactivity_days: int  # N for the activity mode (0 in contractual mode)
    suggested_days: int | None  # N suggested from the inter-activity gaps (None without activity data)
    gap_quantiles: dict[str, float]  # p50/p90/p95/p99 of the gaps in days
    as_of: dt.datetime | None  # latest time in the data
    obs_end: dt.datetime | None  # churn observable up to here (as_of, minus N in activity mode)
    horizon_days: int
    timed: bool  # churn can be placed in time (churn dates or activity); False = customers-only data
    customers: int
    note: str
    undated_churned: int = 0  # customers flagged churned without a churn date (a snapshot): see snapshot_churn

    def params(self) -> dict[str, Any]:
        return {"mode": self.mode, "obs_end": self.obs_end or dt.datetime(1970, 1, 1)}

    def describe(self) -> str:
        if self.mode == "activity":
            how = "suggested from the data" if self.inactivity_days == self.suggested_days else "configured"
            text = (f"Non-contractual churn: a customer is lost at their last activity when nothing followed for "
                    f"{self.inactivity_days} days ({how}). Churn is observable up to "
                    f"{self.obs_end:%d %b %Y}, {self.inactivity_days} days before the latest data.")
            if self.suggested_days:
                text += (f" The gaps between a customer's consecutive activities suggest N = {self.suggested_days} "
                         f"days (95th percentile {self.gap_quantiles.get('p95', math.nan):.0f} days, rounded up to "
                         "a week).")
        else:
            # the activity gaps say nothing about a cancellation date: not mentioned here
            text = "Contractual churn: a customer is lost at their cancellation date (`churned_at`)."
        return text + (" " + self.note if self.note else "")


def suggested_inactivity_days(gaps: dict[str, float]) -> int | None:
    """The 95th percentile of inter-activity gaps rounded up to whole weeks (at least 7 days)."""
    p95 = gaps.get("p95", math.nan)
    if p95 is None or not math.isfinite(p95):
        return None
    return int(max(7, math.ceil(p95 / 7.0) * 7))


def definition(conn: Connection, settings: Settings | None = None, *, suggest: bool = True) -> ChurnDefinition:
    """The churn definition from the settings, N suggested from the data, and the observation end.

    ``suggest`` False: the gaps between activities (the costliest part) are read only when N comes from them (activity
    mode with no configured N); ``suggested_days`` and ``gap_quantiles`` are then empty (for callers, such as the
    Overview's tile, that show the rate and not the suggestion)."""
    s = settings or Settings()
    info = query(conn, "churn_as_of").iloc[0]
    gaps: dict[str, float] = {}
    if suggest or (s.churn_mode == "activity" and not s.churn_inactivity_days):
        gaps_row = query(conn, "activity_gaps").iloc[0]
        gaps = {k: float(gaps_row[k]) for k in ("p50", "p90", "p95", "p99") if pd.notna(gaps_row[k])}
    suggested = suggested_inactivity_days(gaps)
    as_of = None if pd.isna(info["as_of"]) else pd.Timestamp(info["as_of"]).to_pydatetime()
    note = ""
    undated = int(info["flagged_churned"]) - int(info["with_churn_date"])
    if s.churn_mode == "activity":
        if int(info["activity_events"]) == 0:
            raise ValueError("The churn definition is 'activity' (no activity for N days) but the database holds no "
                             "activity events. Import an order/login/renewal file, or set [churn] mode = "
                             "\"contractual\" in cx.toml.")
        days = s.churn_inactivity_days or suggested or 90
        obs_end = as_of - dt.timedelta(days=days) if as_of else None
        timed = True
    else:
        days = 0
        obs_end = as_of
        timed = int(info["with_churn_date"]) > 0 and int(info["with_signup"]) > 0
        if undated > 0:
            note = (f"{undated:,} customers are marked churned without a churn date: they count in the snapshot "
                    "churn share and the risk model's customers-only mode, but in no period's churn rate.")
    return ChurnDefinition(mode=s.churn_mode, inactivity_days=days, suggested_days=suggested, gap_quantiles=gaps,
                           as_of=as_of, obs_end=obs_end, horizon_days=s.churn_horizon_days, timed=timed,
                           customers=int(info["customers"]), note=note, undated_churned=max(undated, 0))


def _base_params(d: ChurnDefinition, filters: Filters | None) -> dict[str, Any]:
    return {**(filters or Filters()).params(), **d.params()}


def _rate_columns(frame: pd.DataFrame, k: str, n: str, s: Settings, prefix: str = "churn") -> pd.DataFrame:
    cis = [stats.wilson_ci(int(a), int(b), s.confidence) for a, b in zip(frame[k], frame[n], strict=True)]
    frame[f"{prefix}_rate"] = np.where(frame[n] > 0, frame[k] / frame[n].clip(lower=1), np.nan)
    frame[f"{prefix}_low"] = [c.low for c in cis]
    frame[f"{prefix}_high"] = [c.high for c in cis]
    return frame


def snapshot_churn(
    conn: Connection, *, by: str = "all", filters: Filters | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """Churn share of the customer table as it stands: customers flagged churned / customers, per cohort.

    The most common churn table in the wild is a snapshot: one row per customer with a churn flag and no dates,
    so churn cannot be placed in a period. This share has no time frame: it is the state of the table, not a rate
    per month. Columns: ``cohort``, ``customers``, ``churned``, ``undated`` (flagged churned without a churn date),
    ``churn_share`` (0..1), ``churn_low``, ``churn_high`` (Wilson), ``small_n``.
    """
    if by not in COHORTS:
        raise ValueError(f"by must be one of {COHORTS}, got {by!r}")
    s = settings or Settings()
    frame = query(conn, "churn_snapshot", {**(filters or Filters()).params(), "by": by})
    frame = _rate_columns(frame, "churned", "customers", s).rename(columns={"churn_rate": "churn_share"})
    frame["small_n"] = frame["customers"] < s.min_cell_n
    return frame[["cohort", "customers", "churned", "undated", "churn_share", "churn_low", "churn_high",
                  "small_n"]].reset_index(drop=True)


def churn_counts(
    conn: Connection, *, starts: Sequence[Any], ends: Sequence[Any], by: str = "all", filters: Filters | None = None,
    definition_: ChurnDefinition,
) -> pd.DataFrame:
    """The counts behind every churn rate (the Churn page's table and chart, its cohorts, the Overview's tile): per
    bucket [``starts[i]``, ``ends[i]``) and cohort, customers there at its start (``at_start``) and those of them
    lost in it (``lost``), under the churn definition in force. Columns ``period_start``, ``period_end``,
    ``cohort``, ``at_start``, ``lost``."""
    return query(conn, "churn_rates", {**_base_params(definition_, filters), "by": by,
                                       "starts": [pd.Timestamp(x).to_pydatetime() for x in starts],
                                       "ends": [pd.Timestamp(x).to_pydatetime() for x in ends]})


def churn_rates(
    conn: Connection, *, period: Period, grain: str = "month", by: str = "all", filters: Filters | None = None,
    settings: Settings | None = None, definition_: ChurnDefinition | None = None,
) -> pd.DataFrame:
    """Churn rate per ``grain`` bucket touched by the period, per cohort.

    churn rate = customers lost in the bucket / customers at its start (started before it, not churned before it).
    Columns: ``period_start``, ``period_end``, ``cohort``, ``at_start``, ``lost``, ``churn_rate`` (0..1),
    ``churn_low``, ``churn_high`` (Wilson), ``partial`` (the bucket is cut by the period or runs past the point
    where churn is observable: its rate leans low), ``small_n``.
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")
    if by not in COHORTS:
        raise ValueError(f"by must be one of {COHORTS}, got {by!r}")
    s = settings or Settings()
    d = definition_ or definition(conn, s)
    if grain == "quarter":
        starts = list(pd.date_range(pd.Timestamp(period.start_ts).to_period("Q").start_time, period.end_ts,
                                    freq="QS"))
        ends = [x + pd.offsets.QuarterBegin(1, startingMonth=1) for x in starts]
    else:
        starts = buckets(period.start_ts, period.end_ts, grain)
        ends = [x + (pd.Timedelta(days=7) if grain == "week" else pd.offsets.MonthBegin(1)) for x in starts]
    frame = churn_counts(conn, starts=starts, ends=ends, by=by, filters=filters, definition_=d)
    frame = _rate_columns(frame, "lost", "at_start", s)
    obs_end = pd.Timestamp(d.obs_end) if d.obs_end else pd.Timestamp(period.end_ts)
    frame["partial"] = ((frame["period_start"] < pd.Timestamp(period.start_ts))
                        | (frame["period_end"] > pd.Timestamp(period.end_ts)) | (frame["period_end"] > obs_end))
    frame["small_n"] = frame["at_start"] < s.min_cell_n
    return frame.reset_index(drop=True)


def churn_by_cohort(
    conn: Connection, *, period: Period, by: str = "plan", filters: Filters | None = None,
    settings: Settings | None = None, definition_: ChurnDefinition | None = None,
) -> pd.DataFrame:
    """Churn over the whole period per cohort: lost in [start, end] / customers at the period's start.

    Columns: ``cohort``, ``at_start``, ``lost``, ``churn_rate``, ``churn_low``, ``churn_high`` (Wilson), ``vs_rest_p``
    (two-proportion z-test of the cohort against all other customers), ``small_n``.
    """
    if by not in COHORTS:
        raise ValueError(f"by must be one of {COHORTS}, got {by!r}")
    s = settings or Settings()
    d = definition_ or definition(conn, s)
    frame = churn_counts(conn, starts=[period.start_ts], ends=[period.end_ts], by=by, filters=filters, definition_=d)
    frame = frame[["cohort", "at_start", "lost"]].copy()
    frame = _rate_columns(frame, "lost", "at_start", s)
    total_k, total_n = int(frame["lost"].sum()), int(frame["at_start"].sum())
    frame["vs_rest_p"] = [stats.two_proportion_test(int(k), int(n), total_k - int(k), total_n - int(n)).p_value
                          for k, n in zip(frame["lost"], frame["at_start"], strict=True)]
    frame["small_n"] = frame["at_start"] < s.min_cell_n
    return frame.sort_values("churn_rate", ascending=False, na_position="last").reset_index(drop=True)


def _km(frame: pd.DataFrame, s: Settings, max_days: float | None) -> pd.DataFrame:
    parts = []
    for group, part in frame.groupby("grp", sort=True):
        part = part[part["customers"] > 0]
        if part.empty:
            continue
        curve = stats.kaplan_meier(part["days"], part["event"].astype(bool), part["customers"], s.confidence).frame()
        curve.columns = ["days", "retained", "ci_low", "ci_high", "at_risk"]
        curve.insert(0, "group", str(group))
        curve["customers"] = int(part["customers"].sum())
        if max_days is not None:
            curve = curve[curve["days"] <= max_days]
        parts.append(curve)
    if not parts:
        return pd.DataFrame(columns=["group", "days", "retained", "ci_low", "ci_high", "at_risk", "customers"])
    out: pd.DataFrame = pd.concat(parts, ignore_index=True)
    return out


def retention_curves(
    conn: Connection, *, by: str = "signup_year", filters: Filters | None = None, settings: Settings | None = None,
    definition_: ChurnDefinition | None = None, max_days: float | None = None,
) -> pd.DataFrame:
    """Kaplan-Meier retention from each customer's start, per cohort; customers still there are censored at the
    end of observation. Columns: ``group``, ``days``, ``retained`` (0..1), ``ci_low``, ``ci_high``, ``at_risk``,
    ``customers``.
    """
    if by not in COHORTS:
        raise ValueError(f"by must be one of {COHORTS}, got {by!r}")
    s = settings or Settings()
    d = definition_ or definition(conn, s)
    frame = query(conn, "churn_survival", {**_base_params(d, filters), "by": by})
    return _km(frame, s, max_days)


def recovery_window(d: ChurnDefinition, days: int = 365) -> Period:
    """Default window of index tickets: the ``days`` before the latest one whose landmark has a full follow-up."""
    end = (d.obs_end or dt.datetime.now(dt.UTC).replace(tzinfo=None)) - dt.timedelta(
        days=d.horizon_days + UNRESOLVED_DAYS + 1)
    return Period(end.date() - dt.timedelta(days=days - 1), end.date())


def recovery_period(d: ChurnDefinition, period: Period) -> tuple[Period, str]:
    """The window of index tickets the service-recovery view uses for the header's ``period``, and what to tell the
    reader: the period itself when every customer in it can be followed for the horizon; otherwise the latest
    window of the same length that can (:func:`recovery_window`), said in the note."""
    latest = recovery_window(d)
    if period.end <= latest.end:
        return period, ""
    days = min(period.days, 366)
    window = Period(latest.end - dt.timedelta(days=days - 1), latest.end)
    return window, (f"The service-recovery view follows each customer for {d.horizon_days + UNRESOLVED_DAYS} days "
                    f"after their first ticket (the landmark plus the churn horizon), so it cannot use "
                    f"{period.label()}: tickets after {latest.end:%d %b %Y} have no complete follow-up yet. It uses "
                    f"the latest {days} days that do, {window.label()}.")


def _recovery_params(d: ChurnDefinition, window: Period, filters: Filters | None, s: Settings) -> dict[str, Any]:
    return {**_base_params(d, filters), **complaint_rule_params(s), "start": window.start_ts, "end": window.end_ts,
            "targets": {str(k): float(v) for k, v in s.sla_resolution_hours.items()},
            "unresolved_days": UNRESOLVED_DAYS, "horizon_days": d.horizon_days, "top_boxes": s.csat_top_boxes}


def service_recovery(
    conn: Connection, *, window: Period | None = None, filters: Filters | None = None,
    settings: Settings | None = None, definition_: ChurnDefinition | None = None,
) -> pd.DataFrame:
    """Satisfaction and retention by how a customer's first contact in the window was handled, per priority.

    Each customer with a ticket created in the window is placed by their index ticket, their first ticket in the
    window (one contact per customer, so frequent contacters are not more likely to land in a failure group):
    ``no failure``, ``failure, resolved fast`` (within the priority's resolution SLA target),
    ``failure, resolved slow``, ``failure, unresolved`` (not solved within 14 days). A failure is a complaint, a
    resolution SLA breach or a reopen. Retention is measured from the landmark (index ticket + 14 days).
    Columns: ``priority`` (index ticket's; ``All priorities`` rows added), ``experience``, ``customers``,
    ``left_before_landmark``, ``followed`` (there at the landmark and followed for the horizon), ``churned``,
    ``churn_rate``/``churn_low``/``churn_high`` (Wilson, 0..1), ``csat_responses``, ``csat_satisfied``,
    ``csat``/``csat_low``/``csat_high`` (top-box share of the index ticket's CSAT responses, 0..1), ``nps_responses``,
    ``nps`` (first NPS answer within 180 days of the landmark), ``nps_low``, ``nps_high``, ``small_n``.
    """
    s = settings or Settings()
    d = definition_ or definition(conn, s)
    window = window or recovery_window(d)
    frame = query(conn, "recovery_outcomes", _recovery_params(d, window, filters, s))
    counts = ["customers", "left_before_landmark", "followed", "churned", "csat_responses", "csat_satisfied",
              "nps_responses", "promoters", "detractors"]
    total = frame.groupby("experience", as_index=False)[counts].sum()
    total.insert(0, "priority", "All priorities")
    frame = pd.concat([total, frame], ignore_index=True) if not frame.empty else frame
    frame = _rate_columns(frame, "churned", "followed", s)
    frame = _rate_columns(frame, "csat_satisfied", "csat_responses", s, prefix="csat")
    frame = frame.rename(columns={"csat_rate": "csat"})
    ncis = [stats.nps_ci(int(p), int(q), int(n), s.confidence) for p, q, n in
            zip(frame["promoters"], frame["detractors"], frame["nps_responses"], strict=True)]
    frame["nps"] = [stats.nps_value(int(p), int(q), int(n)) for p, q, n in
                    zip(frame["promoters"], frame["detractors"], frame["nps_responses"], strict=True)]
    frame["nps_low"] = [c.low for c in ncis]
    frame["nps_high"] = [c.high for c in ncis]
    frame["small_n"] = frame["followed"] < s.min_cell_n
    order = {e: i for i, e in enumerate(EXPERIENCES)}
    frame["_p"] = (frame["priority"] != "All priorities").astype(int)
    frame["_e"] = frame["experience"].map(order)
    return frame.sort_values(["_p", "priority", "_e"]).drop(columns=["_p", "_e"]).reset_index(drop=True)


def recovery_verdict(frame: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """Is there a service-recovery paradox? Per priority: failure resolved fast vs no failure.

    A paradox means customers whose failure was fixed fast do *better* than customers without any failure.
    Columns: ``priority``, ``measure`` (retention / CSAT), ``recovered``, ``no_failure`` (rates, 0..1),
    ``difference`` (recovered - no failure, in retention or CSAT points of 0..1), ``p_value`` (two-proportion
    z-test), ``paradox`` (recovered significantly better), ``text``.
    """
    s = settings or Settings()
    rows = []
    for priority, part in frame.groupby("priority", sort=False):
        by_exp = part.set_index("experience")
        if "no failure" not in by_exp.index or "failure, resolved fast" not in by_exp.index:
            continue
        base = {str(key): v for key, v in by_exp.loc["no failure"].to_dict().items()}
        fixed = {str(key): v for key, v in by_exp.loc["failure, resolved fast"].to_dict().items()}
        for measure, k, n, good_is_k in (("retention", "churned", "followed", False),
                                         ("CSAT", "csat_satisfied", "csat_responses", True)):
            n1, n0 = int(fixed[n]), int(base[n])
            if n1 == 0 or n0 == 0:
                continue
            k1, k0 = int(fixed[k]), int(base[k])
            if not good_is_k:  # retention = not churned
                k1, k0 = n1 - k1, n0 - k0
            cmp = stats.two_proportion_test(k1, n1, k0, n0)
            paradox = bool(cmp.delta > 0 and cmp.p_value < s.alpha)
            worse = bool(cmp.delta < 0 and cmp.p_value < s.alpha)
            verdict = ("recovery paradox: a failure fixed fast leaves customers better off than no failure"
                       if paradox else
                       "no recovery paradox: a failure fixed fast still leaves customers worse off than no failure"
                       if worse else "no recovery paradox: a failure fixed fast is indistinguishable from no failure")
            rows.append({"priority": str(priority), "measure": measure, "recovered": k1 / n1, "no_failure": k0 / n0,
                         "recovered_n": n1, "no_failure_n": n0, "difference": cmp.delta, "p_value": cmp.p_value,
                         "paradox": paradox,
                         "text": f"{measure} {100 * k1 / n1:.1f}% after a failure fixed fast vs {100 * k0 / n0:.1f}% "
                                 f"with no failure (n = {n1:,} / {n0:,}, p = {cmp.p_value:.2g}): {verdict}."})
    return pd.DataFrame(rows, columns=["priority", "measure", "recovered", "no_failure", "recovered_n",
                                       "no_failure_n", "difference", "p_value", "paradox", "text"])


def experience_curves(
    conn: Connection, *, window: Period | None = None, filters: Filters | None = None,
    settings: Settings | None = None, definition_: ChurnDefinition | None = None, max_days: float | None = None,
) -> pd.DataFrame:
    """Kaplan-Meier retention from the landmark by support experience (see :func:`service_recovery`).

    Columns as :func:`retention_curves`; ``days`` count from the landmark.
    """
    s = settings or Settings()
    d = definition_ or definition(conn, s)
    window = window or recovery_window(d)
    frame = query(conn, "recovery_survival", _recovery_params(d, window, filters, s))
    return _km(frame, s, max_days)


def relative_risk(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Risk ratio (k1/n1) / (k0/n0) with the Katz log interval; a 0.5 continuity correction when a count is 0."""
    if n1 <= 0 or n0 <= 0:
        return math.nan, math.nan, math.nan
    a, b = float(k1), float(k0)
    if a == 0 or b == 0:
        a, b, n1f, n0f = a + 0.5, b + 0.5, n1 + 0.5, n0 + 0.5
    else:
        n1f, n0f = float(n1), float(n0)
    rr = (a / n1f) / (b / n0f)
    se = math.sqrt(max(1 / a - 1 / n1f + 1 / b - 1 / n0f, 0.0))
    z = stats.z_for(confidence)
    return rr, rr * math.exp(-z * se), rr * math.exp(z * se)


def lift_landmark(d: ChurnDefinition) -> dt.datetime:
    """The latest landmark whose churn outcome window (horizon) is fully observed."""
    end = d.obs_end or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    day = (end - dt.timedelta(days=d.horizon_days)).date()
    return dt.datetime.combine(day, dt.time())


def complaint_lift(
    conn: Connection, *, landmark: dt.datetime | None = None, exposure_days: int = EXPOSURE_DAYS,
    filters: Filters | None = None, settings: Settings | None = None, definition_: ChurnDefinition | None = None,
) -> pd.DataFrame:
    """Churn of customers with complaints vs without, by category and by handling, with intervals.

    Landmark design: customers there at ``landmark``; exposure = complaints created in the ``exposure_days``
    before it; outcome = churned within the horizon after it. Columns: ``kind`` (group / handling / category),
    ``group``, ``customers``, ``churned``, ``churn_rate``, ``churn_low``, ``churn_high`` (Wilson, 0..1), ``lift``
    (churn rate / churn rate of customers without a complaint), ``lift_low``, ``lift_high`` (Katz), ``p_value``
    (two-proportion z-test against no complaint), ``significant``, ``small_n``.
    """
    s = settings or Settings()
    d = definition_ or definition(conn, s)
    landmark = landmark or lift_landmark(d)
    params = {**_base_params(d, filters), **complaint_rule_params(s), "landmark": landmark,
              "exposure_start": landmark - dt.timedelta(days=exposure_days),
              "outcome_end": landmark + dt.timedelta(days=d.horizon_days),
              "targets": {str(k): float(v) for k, v in s.sla_resolution_hours.items()}}
    frame = query(conn, "complaint_lift", params).rename(columns={"grp": "group"})
    frame = frame[frame["customers"] > 0].copy()
    frame = _rate_columns(frame, "churned", "customers", s)
    base = frame[frame["group"] == "no complaint"]
    k0, n0 = (int(base["churned"].iloc[0]), int(base["customers"].iloc[0])) if len(base) else (0, 0)
    lifts = [relative_risk(int(k), int(n), k0, n0, s.confidence) for k, n in
             zip(frame["churned"], frame["customers"], strict=True)]
    frame["lift"] = [x[0] for x in lifts]
    frame["lift_low"] = [x[1] for x in lifts]
    frame["lift_high"] = [x[2] for x in lifts]
    frame["p_value"] = [stats.two_proportion_test(int(k), int(n), k0, n0).p_value for k, n in
                        zip(frame["churned"], frame["customers"], strict=True)]
    frame.loc[frame["group"] == "no complaint", ["lift", "lift_low", "lift_high", "p_value"]] = [1.0, 1.0, 1.0,
                                                                                                   math.nan]
    frame["significant"] = frame["p_value"] < s.alpha
    frame["small_n"] = frame["customers"] < s.min_cell_n
    kind_order = {"group": 0, "handling": 1, "category": 2}
    frame["_k"] = frame["kind"].map(kind_order)
    frame = frame.sort_values(["_k", "lift"], ascending=[True, False]).drop(columns="_k")
    return frame.reset_index(drop=True)
