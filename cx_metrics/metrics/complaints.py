"""Complaint volume, rates per 1,000 active customers, movers, anomalies, repeats and drill-through rows.

What counts as a complaint follows :func:`complaint_rule_params` (the settings' rule, or the flag set at
import). Every function returns a tidy DataFrame with the columns listed in its docstring.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics import stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics.coverage import comparison_note, observed, observed_span, partial_buckets, with_notes
from cx_metrics.text.redact import redact

GRAINS = ("day", "week", "month")
#: breakdowns offered everywhere; customer dimensions also get their own denominators
DIMENSIONS = ("category", "channel", "priority", "group", "ticket_type", "plan", "region", "segment",
              "generation", "all")
CUSTOMER_DIMENSIONS = ("plan", "region", "segment", "generation")
#: baseline length of the anomaly detector per grain: 28 days, 4 weeks, 6 months
BASELINE_PERIODS = {"day": 28, "week": 4, "month": 6}
ANOMALY_Z = 3.5
MAD_SCALE = 1.4826


def complaint_rule_params(settings: Settings | None = None) -> dict[str, Any]:
    s = settings or Settings()
    custom = bool(s.complaint_types or s.complaint_categories or s.complaint_tags or s.complaint_low_csat)
    return {
        "custom_rule": custom,
        "rule_types": [x.lower() for x in s.complaint_types],
        "rule_categories": [x.lower() for x in s.complaint_categories],
        "rule_tags": [x.lower() for x in s.complaint_tags],
        "rule_low_csat": s.complaint_low_csat,
    }


def describe_complaint_rule(settings: Settings | None = None) -> str:
    s = settings or Settings()
    parts = []
    if s.complaint_types:
        parts.append("type is " + ", ".join(s.complaint_types))
    if s.complaint_categories:
        parts.append("category is " + ", ".join(s.complaint_categories))
    if s.complaint_tags:
        parts.append("tagged " + ", ".join(s.complaint_tags))
    if s.complaint_low_csat:
        parts.append("rated bad (good/bad 'bad', or 1-2 on a 1-5 scale)")
    if not parts:
        return ("a ticket flagged at import: type incident, problem or complaint; complaint words (issue, bug, "
                "refund, outage...) in its type, category or tags; or a bad satisfaction rating. Change it with "
                "[complaints] types / categories / tags / low_csat in cx.toml.")
    return "a ticket whose " + "; or whose ".join(parts) + " (configured in cx.toml)."


def _check(grain: str, by: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {DIMENSIONS}, got {by!r}")


def _period_end(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "day":
        return start + pd.Timedelta(days=1)
    if grain == "week":
        return start + pd.Timedelta(days=7)
    return start + pd.offsets.MonthBegin(1)


def buckets(start: Any, end: Any, grain: str) -> list[pd.Timestamp]:
    """Starts of every ``grain`` bucket touched by [start, end) (weeks start on Monday)."""
    trunc = {"day": "D", "week": "W-SUN", "month": "M"}[grain]
    cursor = pd.Timestamp(start).to_period(trunc).start_time
    out = []
    while cursor < pd.Timestamp(end):
        out.append(cursor)
        cursor = _period_end(cursor, grain)
    return out



def _base_params(filters: Filters | None, settings: Settings | None) -> dict[str, Any]:
    return {**(filters or Filters()).params(), **complaint_rule_params(settings)}


def complaint_volume(
    conn: Connection,
    *,
    period: Period,
    grain: str = "week",
    by: str = "category",
    filters: Filters | None = None,
    settings: Settings | None = None,
    per_active: bool = True,
) -> pd.DataFrame:
    """Complaints per bucket and dimension value, zero-filled, with rates per 1,000 active customers.

    Columns: ``period_start``, ``dimension``, ``complaints`` (int), ``active_customers`` (customers active in
    the bucket: the whole filtered base, or the cohort itself for plan/region/segment/generation),
    ``per_1000`` (complaints per 1,000 active customers; NaN without customers), ``per_1000_low`` /
    ``per_1000_high`` (exact Poisson 95% interval), ``partial`` (bucket cut by the range or by the data's start
    or end: :func:`cx_metrics.metrics.coverage.partial_buckets`), ``days_covered``.
    """
    _check(grain, by)
    starts = buckets(period.start_ts, period.end_ts, grain)
    params = {**_base_params(filters, settings), "grain": grain, "by": by, "start": period.start_ts,
              "end": period.end_ts}
    raw = query(conn, "complaint_volume", params)
    columns = ["period_start", "dimension", "complaints", "active_customers", "per_1000", "per_1000_low",
               "per_1000_high", "partial", "days_covered"]
    dims = sorted(raw["dimension"].unique()) if len(raw) else []
    if not dims:
        return pd.DataFrame(columns=columns)
    grid = pd.MultiIndex.from_product([pd.DatetimeIndex(starts), dims], names=["period_start", "dimension"])
    raw["period_start"] = pd.to_datetime(raw["period_start"])
    out = (raw.set_index(["period_start", "dimension"])["complaints"].reindex(grid, fill_value=0)
           .astype("int64").reset_index())
    lo, hi = pd.Timestamp(period.start_ts), pd.Timestamp(period.end_ts)
    ends = out["period_start"].map(lambda s: _period_end(s, grain))
    out["days_covered"] = (ends.where(ends < hi, hi) - out["period_start"].where(out["period_start"] > lo, lo)
                           ).dt.days.astype("int64")
    out["partial"] = partial_buckets(out["period_start"], ends, period, observed_span(conn, "tickets"))
    if per_active:
        active = query(conn, "active_customers", {
            **params, "starts": [s.to_pydatetime() for s in starts],
            "ends": [_period_end(s, grain).to_pydatetime() for s in starts]})
        active["period_start"] = pd.to_datetime(active["period_start"])
        if by in CUSTOMER_DIMENSIONS:
            out = out.merge(active, on=["period_start", "dimension"], how="left")
        else:
            out = out.merge(active.drop(columns="dimension"), on="period_start", how="left")
    else:
        out["active_customers"] = np.nan
    out["active_customers"] = out["active_customers"].fillna(0).astype("int64")
    customers = out["active_customers"].to_numpy(dtype=float)
    count = out["complaints"].to_numpy(dtype=float)
    low, high = stats.poisson_ci_arrays(count)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(customers > 0, 1000 / customers, np.nan)
    out["per_1000"], out["per_1000_low"], out["per_1000_high"] = count * scale, low * scale, high * scale
    return out[columns]


def complaint_trend(
    conn: Connection, *, period: Period, grain: str = "week", filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Complaints per bucket and category (the overview's chart).

    Columns: ``period_start``, ``category``, ``complaints``, ``partial``, ``days_covered``.
    """
    frame = complaint_volume(conn, period=period, grain=grain, by="category", filters=filters, settings=settings,
                             per_active=False)
    return frame.rename(columns={"dimension": "category"})[
        ["period_start", "category", "complaints", "partial", "days_covered"]]


def top_movers(
    conn: Connection, *, period: Period, by: str = "category", filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Which dimension values' complaint rates rose or fell most vs the previous period of equal length.

    Exposure is customer-days (the days each customer was active in the period; the cohort's own for customer
    dimensions); the change is tested with the exact conditional Poisson test on the counts with that
    exposure, and rates are shown per 1,000 customers active on average. Columns: ``dimension``,
    ``complaints``, ``prev_complaints``, ``per_1000``,
    ``prev_per_1000``, ``change`` (relative; NaN for a value with none before), ``p_value``, ``significant``,
    ``direction`` (new/up/down/flat). Sorted: significant first, then by the size of the relative change (new
    first). When the previous period is not inside the data the frame is empty and ``attrs['notes']`` says why.
    Without customers (no customer file) a ticket dimension's counts are compared over the two equal periods
    (exposure: days; no per-1,000 rates), a customer dimension has nothing to compare; a note says which.
    """
    _check("day", by)
    s = settings or Settings()
    columns = ["dimension", "complaints", "prev_complaints", "per_1000", "prev_per_1000", "change", "p_value",
               "significant", "direction"]
    why = comparison_note(conn, period, "tickets", counts=True)
    if why:
        return with_notes(pd.DataFrame(columns=columns), why)
    prev = period.previous()
    both = Period(prev.start, period.end)
    frame = complaint_volume(conn, period=both, grain="day", by=by, filters=filters, settings=s, per_active=False)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["period"] = np.where(frame["period_start"] >= pd.Timestamp(period.start_ts), "current", "previous")
    counts = frame.groupby(["dimension", "period"])["complaints"].sum()
    exposure = query(conn, "active_customer_days", {**(filters or Filters()).params(), "by": by,
                                                    **period.comparison_params()})
    days = {(str(d) if by in CUSTOMER_DIMENSIONS else None, str(p)): float(v)
            for d, p, v in zip(exposure["dimension"], exposure["period"], exposure["customer_days"], strict=True)}
    note = ""
    if not any(v > 0 for v in days.values()):  # no customers to divide by
        if by in CUSTOMER_DIMENSIONS:
            return with_notes(pd.DataFrame(columns=columns), f"No customers in this data, so complaints cannot be "
                                                              f"broken down by {by}.")
        note = ("No customer file in this data: movers compare complaint counts over the two equal periods, "
                "without rates per 1,000 customers.")
        days = {(None, "current"): float(period.days), (None, "previous"): float(prev.days)}
    rows = []
    for dim in sorted(frame["dimension"].unique()):
        key = str(dim) if by in CUSTOMER_DIMENSIONS else None
        k1, k0 = int(counts.get((dim, "current"), 0)), int(counts.get((dim, "previous"), 0))
        e1, e0 = days.get((key, "current"), 0.0), days.get((key, "previous"), 0.0)
        if e1 <= 0 or e0 <= 0:
            continue
        cmp = stats.poisson_rate_test(k1, e1, k0, e0)
        rows.append({
            "dimension": dim, "complaints": k1, "prev_complaints": k0,
            # per 1,000 customers active on average over the period (none without customers)
            "per_1000": math.nan if note else 1000 * k1 / (e1 / period.days),
            "prev_per_1000": math.nan if note else 1000 * k0 / (e0 / prev.days),
            "change": cmp.delta, "p_value": cmp.p_value, "significant": cmp.p_value < s.alpha,
        })
    out = pd.DataFrame(rows, columns=columns[:-1])
    if out.empty:
        return pd.DataFrame(columns=columns)
    new = (out["prev_complaints"] == 0) & (out["complaints"] > 0)
    out["direction"] = np.where(new, "new", np.where(out["change"] > 0, "up", np.where(out["change"] < 0, "down",
                                                                                        "flat")))
    size = out["change"].abs().where(~new, np.inf).fillna(0)
    ranked = out.assign(_size=size).sort_values(["significant", "_size"], ascending=[False, False])
    return with_notes(ranked.drop(columns="_size").reset_index(drop=True)[columns], note)


def robust_z(counts: pd.Series, k: int) -> pd.DataFrame:
    """Robust z of each value of an ordered count series against the median of the ``k`` values before it.

    z = (count - rolling median) / (1.4826 x MAD), the MAD floored at sqrt(median)/1.4826 (Poisson noise).
    Columns (same index as ``counts``): ``baseline``, ``scale``, ``z``, ``expected_low``, ``expected_high`` (the
    band where z stays within +-3.5); NaN while fewer than ``k`` values precede.
    """
    values = counts.astype(float)
    prior = values.shift(1)
    median = prior.rolling(k, min_periods=k).median()
    mad = prior.rolling(k, min_periods=k).apply(lambda w: float(np.median(np.abs(w - np.median(w)))), raw=True)
    scale = np.maximum(MAD_SCALE * mad, np.sqrt(median.clip(lower=1)))
    return pd.DataFrame({"baseline": median, "scale": scale, "z": (values - median) / scale,
                         "expected_low": (median - ANOMALY_Z * scale).clip(lower=0),
                         "expected_high": median + ANOMALY_Z * scale}, index=counts.index)


def history_start(period: Period, grain: str) -> pd.Timestamp:
    """Where an anomaly baseline's history starts: ``BASELINE_PERIODS[grain]`` buckets before the period's first."""
    k = BASELINE_PERIODS[grain]
    first = buckets(period.start_ts, period.start_ts + pd.Timedelta(days=1), grain)[0]
    return pd.Timestamp(first - (pd.Timedelta(days=k) if grain == "day" else pd.Timedelta(weeks=k) if grain == "week"
                                 else pd.DateOffset(months=k)))


def flag_anomalies(frame: pd.DataFrame, *, count: str, by: str, grain: str, period: Period,
                   span: tuple[dt.date | None, dt.date | None]) -> pd.DataFrame:
    """Robust z of each bucket's ``count`` against the median of the ``BASELINE_PERIODS[grain]`` buckets before it,
    series by series (column ``by``), for the buckets of ``period``.

    Only buckets wholly inside the data's ``span`` are observed: a bucket before the first record or after the last
    is unknown, not zero, so it is in no baseline (the baseline starts once enough observed buckets precede) and is
    never flagged; a bucket the data's start or end cuts is ``partial``. Adds ``baseline``, ``scale``,
    ``expected_low``, ``expected_high``, ``z``, ``is_anomaly``, ``description`` to ``frame``'s columns.
    """
    k = BASELINE_PERIODS[grain]
    unit = {"day": "28-day", "week": "4-week", "month": "6-month"}[grain]
    first_bucket = buckets(period.start_ts, period.start_ts + pd.Timedelta(days=1), grain)[0]
    parts = []
    for _value, series in frame.groupby(by, sort=True):
        series = series.sort_values("period_start").reset_index(drop=True)
        seen = observed(series["period_start"], series["period_start"].map(lambda s: _period_end(s, grain)), span)
        out = pd.concat([series, robust_z(series[count].where(seen), k)], axis=1)
        out["partial"] = out["partial"].astype(bool) | ~seen
        out["is_anomaly"] = (out["z"] > ANOMALY_Z) & ~out["partial"]
        out["description"] = [
            f"{zz:.1f} MADs {'above' if zz >= 0 else 'below'} the {unit} median ({base:,.0f})"
            if not math.isnan(zz) else ("outside the data" if not ok else "not enough observed history")
            for zz, base, ok in zip(out["z"], out["baseline"], seen, strict=True)]
        parts.append(out[out["period_start"] >= first_bucket])
    return pd.concat(parts, ignore_index=True)


def anomalies(
    conn: Connection, *, period: Period, grain: str = "week", by: str = "all", filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Robust z-score of each bucket against the median of the previous buckets (28 days / 4 weeks / 6 months).

    z = (count - rolling median) / (1.4826 x MAD), flagged above 3.5. The MAD has a floor of
    sqrt(median)/1.4826 (Poisson noise), so a flat baseline does not turn every wobble into an anomaly. Baselines
    use observed buckets only (:func:`flag_anomalies`): the weeks before the first ticket are not zero complaints.
    Columns: ``period_start``, ``dimension``, ``complaints``, ``baseline``, ``scale`` (1.4826 x MAD),
    ``expected_low``, ``expected_high`` (the band z within +-3.5), ``z``, ``is_anomaly``, ``partial``,
    ``description``.
    """
    _check(grain, by)
    span = Period(history_start(period, grain).date(), period.end)
    frame = complaint_volume(conn, period=span, grain=grain, by=by, filters=filters, settings=settings,
                             per_active=False)
    columns = ["period_start", "dimension", "complaints", "baseline", "scale", "expected_low", "expected_high", "z",
               "is_anomaly", "partial", "description"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    flagged = flag_anomalies(frame, count="complaints", by="dimension", grain=grain, period=period,
                             span=observed_span(conn, "tickets"))
    return flagged[columns]


def repeat_complaints(
    conn: Connection, *, period: Period, filters: Filters | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """Share of complaints followed by another from the same customer in the same category within 30 days.

    Only complaints whose 30 days are fully observed (before the last ticket in the data) count; the others
    are reported in ``not_yet_observable``. Columns: ``category``, ``complaints``, ``repeated``, ``repeat_rate``
    (0..1), ``ci_low``, ``ci_high`` (Wilson), ``not_yet_observable``, ``small_n``. Sorted by repeat rate.
    """
    s = settings or Settings()
    last = conn.cursor().execute("SELECT max(created_at) FROM tickets").fetchall()[0][0]
    columns = ["category", "complaints", "repeated", "repeat_rate", "ci_low", "ci_high", "not_yet_observable",
               "small_n"]
    if last is None:
        return pd.DataFrame(columns=columns)
    params = {**_base_params(filters, s), "start": period.start_ts, "end": period.end_ts, "observed_until": last}
    frame = query(conn, "repeat_complaints", params)
    frame = frame[(frame["complaints"] > 0) | (frame["not_yet_observable"] > 0)].copy()
    cis = [stats.wilson_ci(int(r), int(n), s.confidence) for r, n in zip(frame["repeated"], frame["complaints"],
                                                                         strict=True)]
    frame["repeat_rate"] = np.where(frame["complaints"] > 0, frame["repeated"] / frame["complaints"].clip(lower=1),
                                    np.nan)
    frame["ci_low"] = [c.low for c in cis]
    frame["ci_high"] = [c.high for c in cis]
    frame["small_n"] = frame["complaints"] < s.min_cell_n
    return frame.sort_values("repeat_rate", ascending=False, na_position="last").reset_index(drop=True)[columns]


def complaint_rows(
    conn: Connection, *, start: pd.Timestamp, end: pd.Timestamp, by: str = "all", value: str | None = None,
    filters: Filters | None = None, settings: Settings | None = None, limit: int = 5_000,
) -> pd.DataFrame:
    """The complaint tickets behind a bar or point: created in [start, end), dimension ``by`` == ``value``.

    Subjects are redacted (:func:`cx_metrics.text.redact.redact`) since they are shown and exported."""
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {DIMENSIONS}, got {by!r}")
    params = {**_base_params(filters, settings), "by": by, "value": value, "start": pd.Timestamp(start).to_pydatetime(),
              "end": pd.Timestamp(end).to_pydatetime(), "limit": int(limit)}
    rows = query(conn, "complaint_rows", params)
    # subjects are shown and exported: personal data (e-mails, phone and card numbers, IBANs) redacted first
    rows["subject"] = [redact(v) if isinstance(v, str) else v for v in rows["subject"]]
    return rows
