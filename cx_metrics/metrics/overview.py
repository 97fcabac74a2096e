"""Executive overview: KPI tiles with previous-period deltas that say whether a move is real."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cx_metrics import stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.definitions import DEFINITIONS
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics.complaints import complaint_rule_params

#: Output columns of :func:`kpis`, in order.
KPI_COLUMNS = [
    "metric",  # stable id: complaints, first_response, resolution, nps, csat, churn, sla
    "label",  # display name
    "unit",  # "count", "hours", "points", "%"
    "value",  # current period value (NaN when there is no data)
    "ci_low",  # lower bound of the CI of value (NaN where not applicable)
    "ci_high",
    "n",  # observations behind value (tickets, responses, customers at start)
    "prev_value",  # previous period of equal length
    "prev_ci_low",
    "prev_ci_high",
    "prev_n",
    "delta",  # value - prev_value (relative change for counts: rate ratio - 1)
    "delta_kind",  # "absolute" or "relative"
    "p_value",  # of the test named in `test`
    "test",
    "significant",  # p_value < alpha
    "higher_is_better",
    "small_n",  # n below the configured minimum: show greyed, not as a real number
    "note",  # context a reader needs (censored tickets, scale caveats)
    "definition",
]


def _row(**values: Any) -> dict[str, Any]:
    row = {col: values.get(col, math.nan) for col in KPI_COLUMNS}
    row["definition"] = DEFINITIONS[row["metric"]]
    row["note"] = values.get("note", "")
    return row


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in rec.items()} for rec in frame.to_dict("records")]


def _by_period(frame: pd.DataFrame, key: str = "period") -> dict[str, dict[str, Any]]:
    return {str(rec[key]): rec for rec in _records(frame)}


def _int(rec: dict[str, Any] | None, col: str) -> int:
    if not rec:
        return 0
    value = rec.get(col)
    return 0 if value is None or pd.isna(value) else int(value)


def _proportion_tile(
    metric: str, label: str, k1: int, n1: int, k0: int, n0: int, s: Settings, *, higher_is_better: bool,
    note: str = "",
) -> dict[str, Any]:
    """A percentage tile: k/n now and before, Wilson intervals, two-proportion z-test on the change."""
    w1, w0 = stats.wilson_ci(k1, n1, s.confidence), stats.wilson_ci(k0, n0, s.confidence)
    cmp = stats.two_proportion_test(k1, n1, k0, n0)
    return _row(
        metric=metric, label=label, unit="%",
        value=100 * k1 / n1 if n1 else math.nan, ci_low=100 * w1.low, ci_high=100 * w1.high, n=n1,
        prev_value=100 * k0 / n0 if n0 else math.nan, prev_ci_low=100 * w0.low, prev_ci_high=100 * w0.high,
        prev_n=n0, delta=100 * cmp.delta, delta_kind="absolute", p_value=cmp.p_value, test=cmp.test,
        higher_is_better=higher_is_better, small_n=n1 < s.min_cell_n, note=note,
    )


def _complaints(conn: Connection, params: dict[str, Any], period: Period, s: Settings) -> dict[str, Any]:
    rows = _by_period(query(conn, "overview_complaints", params))
    cur, prev = _int(rows.get("current"), "complaints"), _int(rows.get("previous"), "complaints")
    days = float(period.days)
    cmp = stats.poisson_rate_test(cur, days, prev, days)
    ci, pci = stats.poisson_ci(cur, s.confidence), stats.poisson_ci(prev, s.confidence)
    return _row(
        metric="complaints", label="Complaints", unit="count",
        value=float(cur), ci_low=ci.low, ci_high=ci.high, n=cur,
        prev_value=float(prev), prev_ci_low=pci.low, prev_ci_high=pci.high, prev_n=prev,
        delta=cmp.delta, delta_kind="relative", p_value=cmp.p_value, test=cmp.test,
        higher_is_better=False, small_n=cur < s.min_cell_n,
    )


_DURATIONS = (("first_response", "Median first response"), ("resolution", "Median resolution"))


def _durations(conn: Connection, params: dict[str, Any], s: Settings) -> list[dict[str, Any]]:
    """The median first response and median resolution tiles, both periods, in two scans.

    The median's CI bounds are the order statistics at ranks floor(n/2 - z sqrt(n)/2) and ceil(1 + n/2 + z sqrt(n)/2)
    (distribution-free, normal approximation of the binomial ranks). The ranks depend on each group's n, so the
    first query counts (and gives the medians), the second reads those ranks with quantile_disc.
    """
    counted = query(conn, "overview_duration_counts", params)
    counts = {(str(r["metric"]), str(r["period"])): r for r in _records(counted)}
    z = stats.z_for(s.confidence)
    positions: list[float] = []
    rank_at: dict[tuple[str, str], tuple[int, int]] = {}
    for key, rec in counts.items():
        n = _int(rec, "completed")
        if key[1] == "both" or n == 0:
            continue
        low = max(1, math.floor(n / 2 - z * math.sqrt(n) / 2))
        high = min(n, math.ceil(1 + n / 2 + z * math.sqrt(n) / 2))
        rank_at[key] = (len(positions), len(positions) + 1)
        # quantile_disc reads 0-based index round((n - 1) q): rank r is q = (r - 1) / (n - 1)
        positions += [(low - 1) / max(n - 1, 1), (high - 1) / max(n - 1, 1)]
    pooled = {m: float(rec["median_hours"]) for (m, period), rec in counts.items()
              if period == "both" and rec["median_hours"] is not None and not pd.isna(rec["median_hours"])}
    frame = query(conn, "overview_durations", {**params, "positions": positions or [0.0], "pooled_medians": pooled})
    recs = {(str(r["metric"]), str(r["period"])): r for r in _records(frame)}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for metric, _label in _DURATIONS:
        for period in ("current", "previous"):
            rec, count = recs.get((metric, period), {}), counts.get((metric, period), {})
            bounds = rec.get("ci_bounds")
            low_i, high_i = rank_at.get((metric, period), (None, None))
            rows[(metric, period)] = {
                **rec, "completed": _int(count, "completed"), "median_hours": count.get("median_hours"),
                "median_ci_low": None if low_i is None or bounds is None else bounds[low_i],
                "median_ci_high": None if high_i is None or bounds is None else bounds[high_i],
            }
    return [_duration(rows[(metric, "current")], rows[(metric, "previous")], metric, label, s)
            for metric, label in _DURATIONS]


def _duration(cur: dict[str, Any], prev: dict[str, Any], metric: str, label: str, s: Settings) -> dict[str, Any]:
    n1, n0 = _int(cur, "completed"), _int(prev, "completed")
    p_value = stats.median_test(_int(cur, "above_pooled"), n1, _int(prev, "above_pooled"), n0)
    value = float(cur["median_hours"]) if n1 else math.nan
    prev_value = float(prev["median_hours"]) if n0 else math.nan
    waiting, bad = _int(cur, "still_waiting"), _int(cur, "inconsistent")
    what = "awaiting a first reply" if metric == "first_response" else "still open"
    note = f"{waiting:,} tickets {what} are censored (not in the median)."
    if bad:
        note += f" {bad:,} tickets with the end before the creation time are left out."
    unknown = _int(cur, "end_unknown")
    if unknown:
        note += f" {unknown:,} solved or closed tickets without a recorded time are left out."
    return _row(
        metric=metric, label=label, unit="hours",
        value=value, ci_low=float(cur["median_ci_low"]) if n1 else math.nan,
        ci_high=float(cur["median_ci_high"]) if n1 else math.nan, n=n1,
        prev_value=prev_value, prev_ci_low=float(prev["median_ci_low"]) if n0 else math.nan,
        prev_ci_high=float(prev["median_ci_high"]) if n0 else math.nan, prev_n=n0,
        delta=value - prev_value, delta_kind="absolute", p_value=p_value, test="Mood's median test",
        higher_is_better=False, small_n=n1 < s.min_cell_n, note=note,
    )


def _surveys(conn: Connection, params: dict[str, Any], s: Settings) -> list[dict[str, Any]]:
    frame = query(conn, "overview_surveys", {**params, "top_boxes": s.csat_top_boxes})
    recs = {(str(r["period"]), str(r["metric"])): r for r in _records(frame)}
    out = []
    cur, prev = recs.get(("current", "nps")), recs.get(("previous", "nps"))
    c3 = (_int(cur, "promoters"), _int(cur, "detractors"), _int(cur, "responses"))
    p3 = (_int(prev, "promoters"), _int(prev, "detractors"), _int(prev, "responses"))
    ci, pci = stats.nps_ci(*c3, confidence=s.confidence), stats.nps_ci(*p3, confidence=s.confidence)
    cmp = stats.nps_difference(c3, p3)
    note = "Includes 1–10 scale responses (same cut-offs)." if cur and cur["has_one_to_ten"] else ""
    out.append(_row(
        metric="nps", label="NPS", unit="points",
        value=stats.nps_value(*c3), ci_low=ci.low, ci_high=ci.high, n=c3[2],
        prev_value=stats.nps_value(*p3), prev_ci_low=pci.low, prev_ci_high=pci.high, prev_n=p3[2],
        delta=cmp.delta, delta_kind="absolute", p_value=cmp.p_value, test=cmp.test,
        higher_is_better=True, small_n=c3[2] < s.min_cell_n, note=note,
    ))
    cur, prev = recs.get(("current", "csat")), recs.get(("previous", "csat"))
    k1, n1 = _int(cur, "satisfied"), _int(cur, "responses")
    k0, n0 = _int(prev, "satisfied"), _int(prev, "responses")
    out.append(_proportion_tile("csat", "CSAT", k1, n1, k0, n0, s, higher_is_better=True))
    return out


def _churn(conn: Connection, params: dict[str, Any], s: Settings) -> dict[str, Any]:
    rows = _by_period(query(conn, "overview_churn", params))
    k1, n1 = _int(rows.get("current"), "lost"), _int(rows.get("current"), "at_start")
    k0, n0 = _int(rows.get("previous"), "lost"), _int(rows.get("previous"), "at_start")
    return _proportion_tile("churn", "Churn rate", k1, n1, k0, n0, s, higher_is_better=False,
                            note=f"{k1:,} of {n1:,} customers active at the period start churned in it.")


def _sla(conn: Connection, period: Period, filters: Filters | None, s: Settings) -> dict[str, Any]:
    from cx_metrics.metrics.resolution import data_as_of, sla_breach_trend

    # both periods from one query: day by day over their joint span, then split at the current period's start
    span = Period(period.previous().start, period.end)
    daily = sla_breach_trend(conn, period=span, grain="day", filters=filters, settings=s, as_of=data_as_of(conn),
                             targets=("resolution",))
    current = daily["period_start"] >= pd.Timestamp(period.start_ts)
    counts = [(int(part["breached"].sum()), int((part["breached"] + part["achieved"]).sum()),
               int(part["pending"].sum())) for part in (daily[current], daily[~current])]
    (k1, n1, pending), (k0, n0, _) = counts
    return _proportion_tile(
        "sla", "SLA breach rate (resolution)", k1, n1, k0, n0, s, higher_is_better=False,
        note=f"{pending:,} open tickets not yet past their target are pending (in neither count).")


def kpis(
    conn: Connection,
    *,
    period: Period,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """KPI tiles for ``period`` vs the previous period of equal length.

    Returns one row per metric (complaints, first_response, resolution, nps, csat, churn, sla) with the columns
    in :data:`KPI_COLUMNS`.
    """
    s = settings or Settings()
    params = {**(filters or Filters()).params(), **period.comparison_params(), **complaint_rule_params(s)}
    rows = [
        _complaints(conn, params, period, s),
        *_durations(conn, params, s),
        *_surveys(conn, params, s),
        _churn(conn, params, s),
        _sla(conn, period, filters, s),
    ]
    frame = pd.DataFrame(rows, columns=KPI_COLUMNS)
    frame["significant"] = frame["p_value"].lt(s.alpha)
    return frame


def format_value(row: pd.Series | dict[str, Any]) -> str:
    """A tile's value as the dashboard, the CLI and the digest write it ('1,234', '5.2 h', '81.0%', '+32')."""
    value = float(row["value"])
    if pd.isna(value):
        return "no data"
    unit = row["unit"]
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "hours":
        return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"
    if unit == "%":
        return f"{value:.1f}%"
    return f"{value:+.0f}" if row["metric"] == "nps" else f"{value:.1f}"


def describe_delta(row: pd.Series | dict[str, Any], alpha: float) -> str:
    """Short delta for a KPI tile: '+12.3% · real change' or '-4 min · within noise'."""
    delta = float(row["delta"])
    if math.isnan(delta):
        return "no previous period to compare"
    if row["delta_kind"] == "relative":
        change = "new" if math.isinf(delta) else f"{delta:+.1%}"
    elif row["unit"] == "hours":
        change = f"{delta * 60:+.0f} min" if abs(delta) < 1 else f"{delta:+.1f} h"
    elif row["unit"] == "%":
        change = f"{delta:+.1f} pts"
    else:
        change = f"{delta:+.1f}"
    p_value = float(row["p_value"])
    verdict = "within noise" if math.isnan(p_value) or p_value >= alpha else "real change"
    return f"{change} · {verdict}"


def describe_test(row: pd.Series | dict[str, Any], alpha: float) -> str:
    """'exact Poisson rate test, p = 2.3e-14 < 0.05' for a KPI tile's caption."""
    p_value = float(row["p_value"])
    if math.isnan(p_value):
        return "no test: a period has no data"
    relation = "<" if p_value < alpha else "≥"
    return f"{row['test']}, p = {p_value:.2g} {relation} {alpha:g}"
