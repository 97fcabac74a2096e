"""What the charts draw: bands without dots, colours that belong to a category, weeks labelled with their Monday,
partial periods drawn apart, axes that follow the clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from cx_metrics import charts, db
from cx_metrics.charts import churn as churn_charts
from cx_metrics.charts import surveys as charts_surveys
from cx_metrics.charts import themes as theme_charts
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import base, churn, complaints, resolution, surveys

#: the demo's last three months; its last month is cut by the period (a partial month)
PERIOD = Period(dt.date(2026, 8, 17), dt.date(2026, 11, 15))


def _all_charts(conn: db.Connection) -> dict[str, go.Figure]:
    """Every chart builder that draws an interval or a time series, on the demo."""
    trend = complaints.complaint_trend(conn, period=PERIOD)
    volume = complaints.complaint_volume(conn, period=PERIOD, grain="month", by="channel")
    flags = complaints.anomalies(conn, period=PERIOD, grain="week", by="all")
    curves = resolution.km_curves(conn, period=PERIOD, by="channel")
    return {
        "complaint_trend": charts.complaint_trend(trend),
        "complaint_rates": charts.complaint_rates(volume, grain="month"),
        "anomaly_band": charts.anomaly_band(flags, dimension="All complaints"),
        "km_curves": charts.km_curves(curves),
        "breach_trend": charts.breach_trend(resolution.sla_breach_trend(conn, period=PERIOD)),
        "resolution_trend": charts.resolution_trend(resolution.resolution_trend(conn, period=PERIOD)),
        "survey_trend": charts_surveys.trend_band(surveys.survey_trend(conn, period=PERIOD, grain="month"),
                                                  unit="points", title="NPS", min_n=30),
        "churn_trend": churn_charts.churn_trend(churn.churn_rates(conn, period=PERIOD, by="plan")),
        "retention": churn_charts.retention(churn.retention_curves(conn, by="plan")),
    }


def test_interval_bands_are_lines_never_dots(demo_conn: db.Connection) -> None:
    """A band's edges are drawn as lines only: with plotly's default mode a band of fewer than 20 points shows a dot
    at every edge point, above and below the line it surrounds."""
    for name, fig in _all_charts(demo_conn).items():
        if name in ("complaint_trend", "complaint_rates"):  # bars, and lines with their interval in the hover
            continue
        edges = [t for t in fig.data if isinstance(t, go.Scatter) and t.line.width == 0]
        assert edges, f"{name} draws no band"
        for trace in edges:
            assert trace.mode == "lines", f"{name}: a band edge is drawn as {trace.mode!r}"


def _colors(fig: go.Figure) -> dict[str, Any]:
    return {t.name: (t.marker.color if isinstance(t, go.Bar) else t.line.color) for t in fig.data
            if t.name and t.showlegend is not False}


def test_category_colours_do_not_change_with_filters(demo_conn: db.Connection) -> None:
    values = base.dimension_values(demo_conn)
    colors = charts.color_map(values["category"])
    everyone = charts.complaint_trend(complaints.complaint_trend(demo_conn, period=PERIOD), colors=colors)
    narrowed = complaints.complaint_trend(demo_conn, period=PERIOD, filters=Filters.of(plans=["Enterprise"]))
    biggest = narrowed.groupby("category")["complaints"].sum().idxmax()
    narrowed = narrowed[narrowed["category"] != biggest]  # the order of the rest changes
    fewer = charts.complaint_trend(narrowed, colors=colors)
    before, after = _colors(everyone), _colors(fewer)
    assert set(after) < set(before)
    for category, color in after.items():
        assert color == before[category], category
    # without a map, a category's colour still depends on its name only, never on its rank
    plain = _colors(charts.complaint_trend(narrowed))
    assert plain == _colors(charts.complaint_trend(narrowed.sort_values("category", ascending=False)))
    assert charts.color_map(["(unknown)", "a", "b"]) == {"(unknown)": charts.UNKNOWN_COLOR, "a": charts.PALETTE[0],
                                                         "b": charts.PALETTE[1]}


def test_weeks_are_labelled_with_the_monday_they_start_on(demo_conn: db.Connection) -> None:
    figs = _all_charts(demo_conn)
    for name in ("complaint_trend", "anomaly_band", "breach_trend", "resolution_trend"):
        axis = figs[name].layout.xaxis
        assert pd.Timestamp(axis.tick0).weekday() == 0, f"{name}: ticks start on {axis.tick0}"
        assert axis.dtick % charts.WEEK_MS == 0, name
    bars = figs["complaint_trend"].data[0]
    assert all(pd.Timestamp(x).weekday() == 0 for x in bars.x)  # each bar stands on its week's Monday


def test_partial_periods_are_drawn_apart(demo_conn: db.Connection) -> None:
    """The month the period cuts (15 Nov) is dashed and labelled, not joined by the solid line."""
    fig = _all_charts(demo_conn)["complaint_rates"]
    solid = [t for t in fig.data if t.mode == "lines+markers"]
    dashed = [t for t in fig.data if t.line.dash == "dash"]
    labelled = [t for t in fig.data if t.mode == "markers+text"]
    assert solid and dashed and labelled
    november = pd.Timestamp("2026-11-01")
    for trace in solid:
        points = dict(zip(pd.to_datetime(list(trace.x)), trace.y, strict=True))
        assert pd.isna(points[november])  # the solid line stops before the partial month
    assert all(set(t.text) == {"partial"} for t in labelled)
    assert all(november in set(pd.to_datetime(list(t.x))) for t in labelled)
    # the weekly trend of an export whose data ends mid-week: its last week is partial too
    volume = complaints.complaint_volume(demo_conn, period=Period(dt.date(2026, 11, 2), dt.date(2026, 12, 31)),
                                         grain="week", by="all", per_active=False)
    last = base.data_range(demo_conn)
    assert last is not None
    unseen = volume["period_start"] + pd.Timedelta(days=7) > pd.Timestamp(last[1]) + pd.Timedelta(days=1)
    assert unseen.any() and volume.loc[unseen, "partial"].all() and not volume.loc[~unseen, "partial"].any()


@pytest.mark.parametrize("clock", ["calendar", "business"])
def test_duration_axes_follow_the_clock(demo_conn: db.Connection, clock: str) -> None:
    curves = resolution.km_curves(demo_conn, period=PERIOD, by="all", clock=clock)
    expected = {"calendar": "hours since creation", "business": "business hours since creation"}[clock]
    assert charts.km_curves(curves, clock=clock).layout.xaxis.title.text == expected
    trend = resolution.resolution_trend(demo_conn, period=PERIOD, clock=clock)
    assert charts.resolution_trend(trend, clock=clock).layout.yaxis.title.text.startswith(
        "business hours" if clock == "business" else "hours")


def test_theme_colours_belong_to_the_theme() -> None:
    frame = pd.DataFrame({"period_start": pd.to_datetime(["2026-01-05", "2026-01-12"] * 2),
                          "theme_key": [3, 3, 8, 8], "theme": ["a", "a", "b", "b"], "documents": [1, 2, 3, 4],
                          "total_documents": [10] * 4, "share": [0.1, 0.2, 0.3, 0.4], "share_low": [0.0] * 4,
                          "share_high": [0.5] * 4, "partial": [False] * 4})
    both = _colors(theme_charts.share_over_time(frame, [3, 8]))
    alone = _colors(theme_charts.share_over_time(frame, [8]))
    assert alone["b"] == both["b"]


def test_dimension_values_of_tickets_and_customers_most_common_first(tmp_path: Path) -> None:
    """Every breakdown's values, most common first (ties by name), empty values left out; the ticket group column is
    the 'group' breakdown and signup years are text."""
    conn = db.connect(Settings().with_db(tmp_path / "values.duckdb"))
    conn.execute("""INSERT INTO customers (customer_id, plan, region, signup_at) VALUES
        ('a', 'Pro', 'EMEA', '2024-02-01'), ('b', 'Free', NULL, '2025-01-01'), ('c', 'Pro', 'EMEA', NULL)""")
    conn.execute("""INSERT INTO tickets (source, ticket_id, created_at, status, category, channel, group_name) VALUES
        ('s', '1', '2025-01-01', 'open', 'Billing', 'email', 'Tier 1'),
        ('s', '2', '2025-01-02', 'open', NULL, 'chat', NULL),
        ('s', '3', '2025-01-03', 'open', 'Bugs', 'chat', 'Tier 2'),
        ('s', '4', '2025-01-04', 'open', 'Bugs', NULL, NULL)""")
    values = base.dimension_values(conn)
    conn.close()
    assert values["category"] == ["Bugs", "Billing"] and values["channel"] == ["chat", "email"]
    assert values["group"] == ["Tier 1", "Tier 2"] and values["plan"] == ["Pro", "Free"]
    assert values["region"] == ["EMEA"] and values["signup_year"] == ["2024", "2025"]
    assert "segment" not in values and "priority" not in values
    assert values["generation"][0] == "Silent"  # the fixed orders stay
