"""Executive overview: KPI tiles with previous-period deltas that say whether a move is real."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics import catalog, stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import churn, surveys
from cx_metrics.metrics.complaints import complaint_rule_params
from cx_metrics.metrics.coverage import Coverage, coverage
from cx_metrics.metrics.resolution import by_group, data_as_of, sla_counts, summarise, time_to_event_counts

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
    "unavailable",  # why the data cannot give this figure ('' when it can): shown instead of a number
    "comparison",  # why there is no comparison with the previous period ('' when there is)
    "definition",
]


def _row(**values: Any) -> dict[str, Any]:
    """A tile: ``values`` and, from the metric catalog, its label, unit, direction and definition."""
    row = {col: values.get(col, math.nan) for col in KPI_COLUMNS}
    entry = catalog.get(row["metric"])
    row.update(label=entry.label, unit=entry.unit, higher_is_better=entry.higher_is_better,
               definition=entry.definition)
    for text in ("note", "unavailable", "comparison"):
        row[text] = values.get(text, "")
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
    metric: str, k1: int, n1: int, k0: int, n0: int, s: Settings, *, note: str = "", unavailable: str = "",
) -> dict[str, Any]:
    """A percentage tile: k/n now and before, Wilson intervals, two-proportion z-test on the change."""
    w1, w0 = stats.wilson_ci(k1, n1, s.confidence), stats.wilson_ci(k0, n0, s.confidence)
    cmp = stats.two_proportion_test(k1, n1, k0, n0)
    return _row(
        metric=metric,
        value=100 * k1 / n1 if n1 else math.nan, ci_low=100 * w1.low, ci_high=100 * w1.high, n=n1,
        prev_value=100 * k0 / n0 if n0 else math.nan, prev_ci_low=100 * w0.low, prev_ci_high=100 * w0.high,
        prev_n=n0, delta=100 * cmp.delta, delta_kind="absolute", p_value=cmp.p_value, test=cmp.test,
        small_n=n1 < s.min_cell_n, note=note, unavailable=unavailable,
    )


def _complaints(conn: Connection, params: dict[str, Any], period: Period, s: Settings) -> dict[str, Any]:
    rows = _by_period(query(conn, "overview_complaints", params))
    cur, prev = _int(rows.get("current"), "complaints"), _int(rows.get("previous"), "complaints")
    days = float(period.days)
    cmp = stats.poisson_rate_test(cur, days, prev, days)
    ci, pci = stats.poisson_ci(cur, s.confidence), stats.poisson_ci(prev, s.confidence)
    return _row(
        metric="complaints",
        value=float(cur), ci_low=ci.low, ci_high=ci.high, n=cur,
        prev_value=float(prev), prev_ci_low=pci.low, prev_ci_high=pci.high, prev_n=prev,
        # none before: a relative change is not a number (the tile says "new"; never an infinite delta)
        delta=cmp.delta if math.isfinite(cmp.delta) else math.nan, delta_kind="relative", p_value=cmp.p_value,
        test=cmp.test, small_n=cur < s.min_cell_n,
    )


#: (tile, end point of :mod:`resolution`, what still waiting means, the tickets that count)
_TIME_TO_EVENT = (("first_response", "first_response", "awaiting a first reply", "replied"),
              ("resolution", "full_resolution", "still open", "solved"))


def _time_to_event_tiles(conn: Connection, period: Period, filters: Filters | None, s: Settings,
               as_of: dt.datetime | None) -> list[dict[str, Any]]:
    """The median first response and median resolution tiles: the Kaplan-Meier median of the tickets created in
    each period, tickets still waiting censored at the data's latest time (the one median of :mod:`resolution`,
    also on the Resolution page and its charts), with its interval; the change is tested with the log-rank test."""
    both = Period(period.previous().start, period.end)
    notes = {str(r["metric"]): r for r in _records(query(conn, "time_to_event_notes", {
        **(filters or Filters()).params(), "start": period.start_ts, "end": period.end_ts,
        "metrics": [end for _, end, *_ in _TIME_TO_EVENT]}))}
    rows = []
    for tile, end_point, waiting_text, done_text in _TIME_TO_EVENT:
        frame = time_to_event_counts(conn, both, end_point, "period", filters, as_of, "calendar", s,
                                     split=period.start_ts)
        groups = {g: (h, e, w) for g, h, e, w in by_group(frame)}
        empty = (np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0))
        cur = summarise(*groups.get("current", empty), s.confidence)
        old = summarise(*groups.get("previous", empty), s.confidence)
        test = stats.logrank(frame["hours"], frame["grp"], frame["event"], frame["tickets"])
        note = f"{cur.censored:,} tickets {waiting_text} are censored (counted as still waiting, not left out)."
        rec = notes.get(end_point, {})
        if _int(rec, "end_unknown"):
            note += f" {_int(rec, 'end_unknown'):,} {done_text} tickets without a recorded time are left out."
        if _int(rec, "inconsistent"):
            note += f" {_int(rec, 'inconsistent'):,} tickets with the end before the creation time are left out."
        unavailable = ""
        if cur.tickets and math.isnan(cur.median):
            unavailable = (f"fewer than half of the {cur.tickets:,} tickets created in the period are {done_text} "
                           "yet, so their median is not known")
        elif not cur.tickets:
            unavailable = "no tickets in this period and selection"
        rows.append(_row(
            metric=tile,
            value=cur.median, ci_low=cur.median_low, ci_high=cur.median_high, n=cur.tickets,
            prev_value=old.median, prev_ci_low=old.median_low, prev_ci_high=old.median_high, prev_n=old.tickets,
            delta=cur.median - old.median, delta_kind="absolute",
            p_value=test.p_value if len(groups) == 2 else math.nan, test="log-rank test",
            small_n=cur.tickets < s.min_cell_n, note=note, unavailable=unavailable,
        ))
    return rows


def _surveys(conn: Connection, period: Period, filters: Filters, s: Settings, cov: Coverage) -> list[dict[str, Any]]:
    """The NPS and CSAT tiles: the Surveys page's own figures (:func:`surveys.survey_summary`, every response of
    every survey), as tiles."""
    frame = surveys.survey_summary(conn, period=period, filters=filters, settings=s, metrics=_SURVEY_TILES, cov=cov,
                                   respondents=False)
    out = []
    for rec in _records(frame):
        fields = {col: rec[col] for col in KPI_COLUMNS if col in rec and col not in ("significant", "definition")}
        fields["delta_kind"] = "absolute"
        if fields["small_n"] and not fields["unavailable"] and not fields["n"]:
            fields["unavailable"] = f"no {rec['label']} responses in this period and selection"
        out.append(_row(**fields))
    return out


#: the survey scores among the Overview's tiles
_SURVEY_TILES = ("nps", "csat")


def _churn(conn: Connection, period: Period, filters: Filters, s: Settings) -> dict[str, Any]:
    """The churn-rate tile: the Churn page's counts (:func:`churn.churn_counts`) under the churn definition in
    force, for this period and the previous one."""
    try:
        d = churn.definition(conn, s, suggest=False)
    except ValueError as exc:  # activity mode without activity data: the reason, not a number
        return _proportion_tile("churn", 0, 0, 0, 0, s, unavailable=str(exc).rstrip("."))
    prev = period.previous()
    frame = churn.churn_counts(conn, starts=[prev.start_ts, period.start_ts], ends=[period.start_ts, period.end_ts],
                               filters=filters, definition_=d)
    rows = {pd.Timestamp(r["period_start"]): r for r in _records(frame)}
    cur, old = rows.get(pd.Timestamp(period.start_ts)), rows.get(pd.Timestamp(prev.start_ts))
    k1, n1 = _int(cur, "lost"), _int(cur, "at_start")
    k0, n0 = _int(old, "lost"), _int(old, "at_start")
    note = f"{k1:,} of {n1:,} customers active at the period start churned in it."
    if d.mode == "activity" and d.obs_end and pd.Timestamp(period.end_ts) > pd.Timestamp(d.obs_end):
        note += (f" Churn is observable up to {d.obs_end:%d %b %Y} ({d.inactivity_days} days of inactivity before "
                 "the latest data), so this period's rate leans low.")
    return _proportion_tile("churn", k1, n1, k0, n0, s, note=note,
                            unavailable="" if n1 else "no customers were active at the period's start")


def _sla(conn: Connection, period: Period, filters: Filters | None, s: Settings, cov: Coverage,
         as_of: dt.datetime | None) -> dict[str, Any]:
    # both periods from one query: day by day over their joint span, then split at the current period's start
    span = Period(period.previous().start, period.end)
    daily = sla_counts(conn, span, filters, s, as_of, None, "day", ("resolution",), cov)
    current = daily["period_start"] >= pd.Timestamp(period.start_ts)
    counts = [(int(part["breached"].sum()), int((part["breached"] + part["achieved"]).sum()),
               int(part["pending"].sum())) for part in (daily[current], daily[~current])]
    (k1, n1, pending), (k0, n0, _) = counts
    if n1:
        unavailable = ""
    elif pending:
        unavailable = f"none of the {pending:,} tickets with a target has been solved or passed its target yet"
    else:
        unavailable = ("no ticket in this period and selection has a priority with a resolution target "
                       "([sla.resolution_hours] in cx.toml)")
    return _proportion_tile(
        "sla", k1, n1, k0, n0, s,
        note=f"{pending:,} open tickets not yet past their target are pending (in neither count).",
        unavailable=unavailable)


#: tile -> the metric whose inputs :class:`Coverage` checks
_COVERAGE_KEYS = {"complaints": "complaints", "first_response": "first_response", "resolution": "resolution",
                  "nps": "nps", "csat": "csat", "churn": "churn", "sla": "sla_resolution"}
_CURRENT = ("value", "ci_low", "ci_high")
_PREVIOUS = ("prev_value", "prev_ci_low", "prev_ci_high", "delta", "p_value")


def _honest(row: dict[str, Any], cov: Coverage) -> dict[str, Any]:
    """The tile as the data supports it: no value where its inputs are absent (with the reason, replacing any
    reason the tile found itself), no comparison where the previous period is not observed."""
    key = _COVERAGE_KEYS[row["metric"]]
    why = cov.unavailable(key)
    if why:
        row["unavailable"] = why
    if row["unavailable"]:
        row.update(dict.fromkeys(_CURRENT + _PREVIOUS, math.nan), small_n=False)
        return row
    row["comparison"] = cov.comparison(key)
    if row["comparison"]:
        row.update(dict.fromkeys(_PREVIOUS, math.nan))
    return row


#: threads computing the tiles: enough that every query waits on the engine, not on another tile's Python
_WORKERS = 4


def kpis(
    conn: Connection,
    *,
    period: Period,
    filters: Filters | None = None,
    settings: Settings | None = None,
    only: Collection[str] | None = None,
) -> pd.DataFrame:
    """KPI tiles for ``period`` vs the previous period of equal length.

    Returns one row per metric (complaints, first_response, resolution, nps, csat, churn, sla) with the columns
    in :data:`KPI_COLUMNS`; with ``only``, the rows of those metrics, computed without the other tiles' queries (an
    alert rule watches one metric, period after period). A tile whose inputs the data lacks has no value and says
    why (``unavailable``); a tile whose previous period lies outside the data has no comparison and says why
    (``comparison``).
    """
    s = settings or Settings()
    f = filters or Filters()
    params = {**f.params(), **period.comparison_params(), **complaint_rule_params(s)}

    def wanted(metrics: tuple[str, ...]) -> bool:
        return only is None or not set(metrics).isdisjoint(only)

    # The tiles are independent queries, each on a cursor of its own: they run side by side (the engine works
    # while Python handles another tile's result), in the order of the tiles.
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        cov_job = pool.submit(coverage, conn, period=period, filters=f, churn_mode=s.churn_mode)
        # read once: the duration tiles and the SLA tile censor here
        as_of_job = pool.submit(data_as_of, conn) if wanted(("first_response", "resolution", "sla")) else None
        tiles = {
            ("complaints",): lambda: [_complaints(conn, params, period, s)],
            ("first_response", "resolution"): lambda: _time_to_event_tiles(conn, period, f, s, as_of()),
            _SURVEY_TILES: lambda: _surveys(conn, period, f, s, cov_job.result()),
            ("churn",): lambda: [_churn(conn, period, f, s)],
            ("sla",): lambda: [_sla(conn, period, f, s, cov_job.result(), as_of())],
        }

        def as_of() -> dt.datetime | None:
            assert as_of_job is not None
            return as_of_job.result()

        jobs = [pool.submit(tile) for metrics, tile in tiles.items() if wanted(metrics)]
        rows = [row for job in jobs for row in job.result()]
        cov = cov_job.result()
    if only is not None:
        rows = [r for r in rows if r["metric"] in only]
    frame = pd.DataFrame([_honest(r, cov) for r in rows], columns=KPI_COLUMNS)
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
    """Short delta for a KPI tile: '+12.3% · real change' or '-4 min · within noise'; '' without a comparison."""
    if row.get("unavailable") or row.get("comparison"):
        return ""
    delta = float(row["delta"])
    p_value = float(row["p_value"])
    verdict = "within noise" if math.isnan(p_value) or p_value >= alpha else "real change"
    if math.isnan(delta):
        if row["delta_kind"] == "relative" and float(row["prev_value"]) == 0 and float(row["value"]) > 0:
            return f"new: none in the previous period · {verdict}"
        return ""
    if row["delta_kind"] == "relative":
        change = f"{delta:+.1%}"
    elif row["unit"] == "hours":
        change = f"{delta * 60:+.0f} min" if abs(delta) < 1 else f"{delta:+.1f} h"
    elif row["unit"] == "%":
        change = f"{delta:+.1f} pts"
    else:
        change = f"{delta:+.1f}"
    return f"{change} · {verdict}"


def describe_test(row: pd.Series | dict[str, Any], alpha: float) -> str:
    """'exact Poisson rate test, p = 2.3e-14 < 0.05' for a KPI tile's caption; why there is none otherwise."""
    if row.get("unavailable"):
        return ""
    if row.get("comparison"):
        return str(row["comparison"])
    p_value = float(row["p_value"])
    if math.isnan(p_value):
        return "no test: a period has no data"
    relation = "<" if p_value < alpha else "≥"
    return f"{row['test']}, p = {p_value:.2g} {relation} {alpha:g}"
