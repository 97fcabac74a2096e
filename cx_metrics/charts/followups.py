"""Pure chart builders for the Follow-ups page: tidy frames of :mod:`cx_metrics.followups` in, plotly Figure out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from cx_metrics.charts import band, empty_figure, series_line, time_axis, value_color

_LAYOUT: dict[str, Any] = {"margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "legend": {"orientation": "h", "y": -0.2}}


def coverage_trend(frame: pd.DataFrame, *, colors: Mapping[str, str] | None = None) -> go.Figure:
    """Coverage (closed in time / due) per month per team (``followups.coverage``), each with its Wilson band;
    months with fewer items than the minimum n hollow."""
    if frame.empty:
        return empty_figure("Nothing was due in this period")
    fig = go.Figure()
    for team, part in frame.assign(team=frame["team"].fillna("All teams")).groupby("team", sort=True):
        part = part.sort_values("period_start")
        color = value_color(team, colors)
        band(fig, part["period_start"], part["coverage_low"], part["coverage_high"], color, group=str(team),
             alpha=0.08)
        series_line(fig, part["period_start"], part["coverage"], partial=[False] * len(part), name=str(team),
                    color=color, group=str(team), hollow=part["small_n"].to_numpy(),
                    customdata=[f"{k:,} of {n:,} in time" for k, n in zip(part["in_time"], part["due"], strict=True)],
                    hovertemplate="%{x|%b %Y}: %{y:.0%}<br>%{customdata}<extra>" + str(team) + "</extra>")
    fig.update_layout(height=360, yaxis_title="closed in time", yaxis_tickformat=".0%", yaxis_range=[0, 1],
                      **_LAYOUT)
    return time_axis(fig, frame["period_start"], "month")


def effect_forest(by_kind: pd.DataFrame) -> go.Figure:
    """The churn risk ratio of followed-up vs not per failure kind with its interval; 1 = no difference."""
    rows = by_kind.dropna(subset=["risk_ratio"])
    if rows.empty:
        return empty_figure("No failure kind has both followed-up and not-followed customers to compare")
    labels = [f"{k} (n = {int(a):,} / {int(b):,})" for k, a, b in
              zip(rows["kind_label"], rows["followed_n"], rows["not_followed_n"], strict=True)]
    fig = go.Figure(go.Scatter(
        x=rows["risk_ratio"], y=labels, mode="markers", marker={"size": 10, "color": "#1f5fa8"},
        error_x={"type": "data", "symmetric": False, "array": rows["rr_high"] - rows["risk_ratio"],
                 "arrayminus": rows["risk_ratio"] - rows["rr_low"]},
        hovertemplate="risk ratio %{x:.2f}<extra></extra>"))
    fig.add_vline(x=1.0, line_dash="dash", line_color="#888")
    ticks = [0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 10.0]
    fig.update_layout(height=80 + 50 * len(rows), xaxis_title="90-day churn, followed up ÷ not (log scale)",
                      xaxis_type="log", xaxis_tickvals=ticks, xaxis_ticktext=[f"{v:g}" for v in ticks],
                      yaxis_autorange="reversed", **_LAYOUT)
    return fig
