"""The one seam through which digests and alerts read numbers.

Every figure here is the return value of the function the dashboard page calls for the same period and filters
(``overview.kpis`` for the Overview tiles, ``surveys.survey_summary`` for the Surveys tiles, ``complaints.*`` for
the complaint trend, anomalies and movers, ``resolution.*`` for the resolution and SLA charts, ``themes.*`` for the
themes behind a mover); nothing is computed twice. The metrics alerts may name, their labels, units, directions and
definitions are :mod:`cx_metrics.catalog`'s entries (:data:`METRICS`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cx_metrics import catalog, followups
from cx_metrics.audit import can
from cx_metrics.config import Settings
from cx_metrics.db import Connection
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import base, complaints, overview, resolution, surveys
from cx_metrics.metrics import themes as theme_metrics

#: the catalog's metrics alerts may watch, by id
METRICS: dict[str, catalog.Metric] = {m: catalog.get(m) for m in (
    "complaints", "first_response", "resolution", "sla", "nps", "csat", "ces", "churn")}
#: the page function each one's tile comes from: the Overview's (``overview.kpis``) or the Surveys page's
#: (``surveys.survey_summary``, for the scores that are not among the Overview's tiles)
SOURCES = {m: "surveys" if m == "ces" else "kpis" for m in METRICS}
#: breakdowns of the complaint series (anomaly and per-value change rules, movers)
COMPLAINT_DIMENSIONS = complaints.DIMENSIONS
#: a weekly digest's charts show this many weeks ending with its period
TREND_WEEKS = 13
TOP_MOVERS = 3
THEMES_PER_MOVER = 3


def data_span(conn: Connection) -> tuple[dt.date, dt.date] | None:
    return base.data_range(conn)


def latest_period(conn: Connection, frequency: str, as_of: dt.date | None = None) -> Period:
    """The last whole ``frequency`` period (day, week Mon-Sun, calendar month) that ends on or before ``as_of``
    (default: the data's last day), as the Overview's default period ends on the last full week."""
    span = data_span(conn)
    last = as_of or (span[1] if span else dt.datetime.now(dt.UTC).date())
    if frequency == "day":
        return Period(last, last)
    if frequency == "week":
        end = last - dt.timedelta(days=(last.weekday() + 1) % 7)  # the Sunday on or before
        return Period(end - dt.timedelta(days=6), end)
    if frequency == "month":
        first = last.replace(day=1)
        if (last + dt.timedelta(days=1)).month != last.month:  # `last` ends its month: that month is whole
            return Period(first, last)
        end = first - dt.timedelta(days=1)
        return Period(end.replace(day=1), end)
    raise ValueError(f"period must be day, week or month, got {frequency!r}")


def trend_window(period: Period) -> Period:
    """The span the digest's trend charts cover: the period itself when it is 8 weeks or longer (so a PDF of the
    Overview's 13-week view draws the page's charts), else the 13 weeks ending with it."""
    if period.days >= 56:
        return period
    return Period(period.end - dt.timedelta(weeks=TREND_WEEKS) + dt.timedelta(days=1), period.end)


@dataclass
class Figures:
    """Everything a digest shows, each frame exactly as the page's function returns it."""

    period: Period
    window: Period
    filters: Filters
    role: str
    span: tuple[dt.date, dt.date] | None
    kpis: pd.DataFrame  # overview.kpis over `period`
    surveys: pd.DataFrame  # surveys.survey_summary over `period` (every response, every survey: the page default)
    trend: pd.DataFrame  # complaints.complaint_trend weekly over `window`
    anomalies: pd.DataFrame  # complaints.anomalies weekly by category over `window`
    movers: pd.DataFrame  # complaints.top_movers by category over `period`
    themes: dict[str, pd.DataFrame]  # themes.themes_behind per top mover (empty frames when no themes are fitted)
    resolution_trend: pd.DataFrame  # resolution.resolution_trend weekly over `window`
    sla_trend: pd.DataFrame  # resolution.sla_breach_trend weekly over `window`
    verbatims: dict[int, pd.DataFrame] = field(default_factory=dict)  # theme key -> examples (roles with verbatims)
    rows: pd.DataFrame | None = None  # complaint tickets behind the largest anomaly (roles with rows)
    rows_label: str = ""
    settings: Settings = field(default_factory=Settings)
    categories: list[str] = field(default_factory=list)  # every category in the database: the charts' colour order
    followup: dict[str, Any] | None = None  # followups.summary over `period` (coverage and the effect on churn)


def figures(conn: Connection, settings: Settings, period: Period, filters: Filters | None = None, *,
            role: str = "executive", window: Period | None = None) -> Figures:
    """The digest's figures for ``period`` (vs the previous period of equal length) and ``filters``, as ``role`` may
    see them: verbatim comments only for roles with the ``verbatims`` right, ticket rows only with ``rows``."""
    f = filters or Filters()
    s = settings
    window = window or trend_window(period)
    kpis = overview.kpis(conn, period=period, filters=f, settings=s)
    movers = complaints.top_movers(conn, period=period, by="category", filters=f, settings=s)
    top = movers[movers["significant"]].head(TOP_MOVERS)
    themes = {str(v): theme_metrics.themes_behind(conn, period=period, by="category", value=str(v), filters=f,
                                                  settings=s).head(THEMES_PER_MOVER)
              for v in top["dimension"]}
    out = Figures(
        period=period, window=window, filters=f, role=role, span=data_span(conn), kpis=kpis,
        surveys=surveys.survey_summary(conn, period=period, filters=f, settings=s),
        trend=complaints.complaint_trend(conn, period=window, grain="week", filters=f, settings=s),
        anomalies=complaints.anomalies(conn, period=window, grain="week", by="category", filters=f, settings=s),
        movers=movers, themes=themes,
        resolution_trend=resolution.resolution_trend(conn, period=window, grain="week", filters=f, settings=s),
        sla_trend=resolution.sla_breach_trend(conn, period=window, grain="week", filters=f, settings=s),
        settings=s, categories=base.dimension_values(conn).get("category", []),
        followup=followups.summary(conn, period, settings=s, filters=f),
    )
    if can(role, "verbatims"):
        for frame in themes.values():
            for key in frame["theme_key"]:
                out.verbatims[int(key)] = theme_metrics.theme_verbatims(
                    conn, theme_key=int(key), period=period, filters=f, kinds=("ticket",), limit=2)
    if can(role, "rows"):
        flagged = out.anomalies[out.anomalies["is_anomaly"]]
        if not flagged.empty:
            worst = flagged.sort_values("z", ascending=False).iloc[0]
            start = pd.Timestamp(worst["period_start"])
            out.rows = complaints.complaint_rows(
                conn, start=max(start, pd.Timestamp(window.start_ts)),
                end=min(start + pd.Timedelta(days=7), pd.Timestamp(window.end_ts)), by="category",
                value=str(worst["dimension"]), filters=f, settings=s, limit=10)
            out.rows_label = f"{worst['dimension']}, week of {start:%d %b %Y}"
    return out


# --- what alerts read -------------------------------------------------------------------------------------------


def metric_row(conn: Connection, settings: Settings, metric: str, period: Period,
               filters: Filters | None = None) -> dict[str, Any]:
    """One metric's tile for ``period`` vs the previous period: value, n, previous value, delta, p-value, test,
    significant, higher_is_better (the Overview's or the Surveys page's row, as its source says)."""
    m = METRICS[metric]
    if SOURCES[metric] == "kpis":
        frame = overview.kpis(conn, period=period, filters=filters, settings=settings, only=(metric,))
    else:
        frame = surveys.survey_summary(conn, period=period, filters=filters, settings=settings, metrics=(metric,))
    row = {str(k): v for k, v in frame[frame["metric"] == metric].iloc[0].to_dict().items()}
    row["higher_is_better"] = m.higher_is_better
    return row


def complaint_anomalies(conn: Connection, settings: Settings, period: Period, grain: str, by: str,
                        filters: Filters | None = None) -> pd.DataFrame:
    """complaints.anomalies: the robust-z band of the Complaint trends page, one row per bucket and series."""
    return complaints.anomalies(conn, period=period, grain=grain, by=by, filters=filters, settings=settings)


def complaint_movers(conn: Connection, settings: Settings, period: Period, by: str,
                     filters: Filters | None = None) -> pd.DataFrame:
    """complaints.top_movers: each value's complaint rate vs the previous period, exact Poisson test."""
    return complaints.top_movers(conn, period=period, by=by, filters=filters, settings=settings)


def format_value(value: float, unit: str, metric: str = "") -> str:
    """A figure as the dashboard's tiles write it."""
    return overview.format_value({"value": value, "unit": unit, "metric": metric})


def describe_delta(row: dict[str, Any], alpha: float) -> str:
    return overview.describe_delta(row, alpha)


def describe_test(row: dict[str, Any], alpha: float) -> str:
    return overview.describe_test(row, alpha)
