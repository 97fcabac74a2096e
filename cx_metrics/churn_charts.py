"""Pure chart builders for the Churn page: tidy DataFrame (or model card) in, plotly Figure out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from cx_metrics.charts import PALETTE, band, color_map, empty_figure, series_line, time_axis, value_color

_LAYOUT: dict[str, Any] = {"margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "legend": {"orientation": "h", "y": -0.2}}


def churn_trend(frame: pd.DataFrame, *, grain: str = "month", colors: Mapping[str, str] | None = None) -> go.Figure:
    """Churn rate per bucket (``churn.churn_rates`` output) per cohort in its own colour, with its Wilson band;
    partial buckets dashed and labelled."""
    if frame.empty:
        return empty_figure("No customers in this period and selection")
    fig = go.Figure()
    for cohort, part in frame.groupby("cohort", sort=True):
        part = part.sort_values("period_start")
        color = value_color(cohort, colors)
        band(fig, part["period_start"], part["churn_low"], part["churn_high"], color, group=str(cohort), alpha=0.1)
        series_line(fig, part["period_start"], part["churn_rate"], partial=part["partial"], name=str(cohort),
                    color=color, group=str(cohort),
                    customdata=[f"{k:,} lost of {n:,} at start" for k, n in zip(part["lost"], part["at_start"],
                                                                                  strict=True)],
                    hovertemplate="%{x|%b %Y}: %{y:.2%}<br>%{customdata}<extra>" + str(cohort) + "</extra>")
    fig.update_layout(height=360, yaxis_title="churn rate", yaxis_tickformat=".1%", **_LAYOUT)
    return time_axis(fig, frame["period_start"], grain)


def retention(frame: pd.DataFrame, *, x_title: str = "days since signup", order: list[str] | None = None,
              min_n: int = 0, colors: Mapping[str, str] | None = None) -> go.Figure:
    """Kaplan-Meier retention curves with their bands (``churn.retention_curves`` / ``experience_curves``).

    ``order`` fixes the groups' order (and so their colours); groups with fewer than ``min_n`` customers are
    drawn dotted and labelled as small.
    """
    if frame.empty:
        return empty_figure("No customers to follow in this selection")
    fig = go.Figure()
    groups = [g for g in (order or sorted(frame["group"].unique())) if g in set(frame["group"])]
    fixed = colors or (color_map(order) if order else None)
    for group in groups:
        part = frame[frame["group"] == group]
        color = value_color(group, fixed)
        n = int(part["customers"].iloc[0])
        small = n < min_n
        label = f"{group} (n = {n:,}{', small' if small else ''})"
        band(fig, part["days"], part["ci_low"], part["ci_high"], color, group=str(group), shape="hv")
        fig.add_trace(go.Scatter(x=part["days"], y=part["retained"], name=label, legendgroup=str(group),
                                 mode="lines", line={"color": color, "shape": "hv", "dash": "dot" if small else None},
                                 hovertemplate="day %{x:,.0f}: %{y:.1%} retained<extra>" + str(group) + "</extra>"))
    fig.update_layout(height=380, xaxis_title=x_title, yaxis_title="share retained", yaxis_tickformat=".0%",
                      **_LAYOUT)
    return fig


def lift(frame: pd.DataFrame) -> go.Figure:
    """Complaint-to-churn lift per group with its interval (``churn.complaint_lift`` output); 1 = no difference."""
    if frame.empty:
        return empty_figure("No customers at the landmark")
    part = frame[frame["group"] != "no complaint"].iloc[::-1]
    labels = [f"{g} ({k})" if k != "category" else str(g) for g, k in zip(part["group"], part["kind"], strict=True)]
    fig = go.Figure(go.Scatter(
        x=part["lift"], y=labels, mode="markers",
        marker={"size": 10, "color": ["#d62728" if s and v > 1 else "#1f77b4" if s else "#7f7f7f"
                                      for s, v in zip(part["significant"], part["lift"], strict=True)]},
        error_x={"type": "data", "symmetric": False, "array": part["lift_high"] - part["lift"],
                 "arrayminus": part["lift"] - part["lift_low"]},
        customdata=[f"{r:.1%} churned of {n:,}" for r, n in zip(part["churn_rate"], part["customers"], strict=True)],
        hovertemplate="%{y}: lift %{x:.2f}<br>%{customdata}<extra></extra>",
    ))
    fig.add_vline(x=1.0, line={"dash": "dot", "color": "#7f7f7f"})
    fig.update_layout(height=max(260, 34 * len(part) + 80), xaxis_title="churn lift vs customers without a complaint",
                      showlegend=False, margin=_LAYOUT["margin"])
    return fig


def recovery(frame: pd.DataFrame, *, measure: str = "churn") -> go.Figure:
    """Churn rate or CSAT by experience, one bar group per priority (``churn.service_recovery`` output)."""
    if frame.empty:
        return empty_figure("No tickets in the window")
    value, low, high, title = (("churn_rate", "churn_low", "churn_high", "churn within the horizon")
                               if measure == "churn" else ("csat", "csat_low", "csat_high", "CSAT (top box)"))
    fig = go.Figure()
    for i, (experience, part) in enumerate(frame.groupby("experience", sort=False)):
        fig.add_trace(go.Bar(
            x=part["priority"], y=part[value], name=str(experience), marker={"color": PALETTE[i % len(PALETTE)]},
            error_y={"type": "data", "symmetric": False, "array": part[high] - part[value],
                     "arrayminus": part[value] - part[low]},
            hovertemplate="%{x} · " + str(experience) + ": %{y:.1%}<extra></extra>",
        ))
    fig.update_layout(barmode="group", height=360, yaxis_title=title, yaxis_tickformat=".0%", **_LAYOUT)
    return fig


def importance(rows: list[dict[str, Any]], top: int = 12) -> go.Figure:
    """Permutation importance of the model's features (from the model card); support features highlighted."""
    if not rows:
        return empty_figure("No model yet")
    part = rows[:top][::-1]
    fig = go.Figure(go.Bar(
        x=[r["importance"] for r in part], y=[r["label"] for r in part], orientation="h",
        marker={"color": ["#d62728" if r["support"] else "#1f77b4" for r in part]},
        error_x={"type": "data", "array": [r["std"] for r in part]},
        hovertemplate="%{y}: ROC-AUC drop %{x:.4f}<extra></extra>",
    ))
    fig.update_layout(height=max(280, 26 * len(part) + 60), xaxis_title="ROC-AUC drop",
                      margin=_LAYOUT["margin"])
    return fig


def reliability(rows: list[dict[str, float]]) -> go.Figure:
    """Calibration: mean predicted vs observed churn per predicted-risk decile, against the diagonal."""
    if not rows:
        return empty_figure("No model yet")
    top = max(max(r["predicted"] for r in rows), max(r["observed"] for r in rows)) * 1.1
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", line={"dash": "dot", "color": "#7f7f7f"},
                             name="perfect calibration"))
    fig.add_trace(go.Scatter(x=[r["predicted"] for r in rows], y=[r["observed"] for r in rows], mode="lines+markers",
                             name="held-out deciles", customdata=[int(r["n"]) for r in rows],
                             hovertemplate="predicted %{x:.1%} · observed %{y:.1%} · n = %{customdata:,}"
                                           "<extra></extra>"))
    fig.update_layout(height=320, xaxis_title="mean predicted risk", yaxis_title="observed churn",
                      xaxis_tickformat=".0%", yaxis_tickformat=".0%", **_LAYOUT)
    return fig
