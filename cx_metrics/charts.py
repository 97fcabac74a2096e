"""Pure chart builders: tidy DataFrame in, plotly Figure out. No data access, no streamlit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def complaint_trend(frame: pd.DataFrame, *, grain: str = "week") -> go.Figure:
    """Stacked bars of complaints per period and category (output of ``complaints.complaint_trend``).

    Partial periods (cut by the date range) are drawn faded and labelled in the hover text.
    """
    if frame.empty:
        return _empty("No complaints in this period and selection")
    totals = frame.groupby("category")["complaints"].sum().sort_values(ascending=False)
    fig = go.Figure()
    for i, category in enumerate(totals.index):
        part = frame[frame["category"] == category].sort_values("period_start")
        partial = part["partial"].to_numpy(dtype=bool)
        fig.add_trace(go.Bar(
            x=part["period_start"],
            y=part["complaints"],
            name=str(category),
            marker={"color": PALETTE[i % len(PALETTE)], "opacity": [0.35 if p else 1.0 for p in partial]},
            customdata=[
                f"partial {grain}: {d} day(s) in range" if p else f"full {grain}"
                for p, d in zip(partial, part["days_covered"], strict=True)
            ],
            hovertemplate=(
                "%{x|%d %b %Y}<br>" + str(category) + ": %{y:,} complaints<br>%{customdata}<extra></extra>"
            ),
        ))
    fig.update_layout(
        barmode="stack",
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.18},
        yaxis_title=f"complaints per {grain}",
        xaxis_title=None,
        hovermode="closest",
    )
    return fig


def series_order(frame: pd.DataFrame) -> list[str]:
    """Dimension values by total complaints, largest first: the trace order of :func:`complaint_rates`."""
    if frame.empty:
        return []
    return [str(v) for v in frame.groupby("dimension")["complaints"].sum().sort_values(ascending=False).index]


def complaint_rates(frame: pd.DataFrame, *, measure: str = "per_1000", top: int = 8) -> go.Figure:
    """Lines per dimension value (the ``top`` largest by volume) of ``complaint_volume`` output.

    ``measure`` is ``per_1000`` (with its Poisson interval in the hover) or ``complaints``.
    """
    if frame.empty:
        return _empty("No complaints in this period and selection")
    order = series_order(frame)[:top]
    fig = go.Figure()
    for i, dim in enumerate(order):
        part = frame[frame["dimension"] == dim].sort_values("period_start")
        text = [f"{k:,} complaints · {n:,} active customers · 95% CI {lo:.1f}–{hi:.1f} per 1,000"
                + (" · partial period" if p else "")
                for k, n, lo, hi, p in zip(part["complaints"], part["active_customers"], part["per_1000_low"],
                                           part["per_1000_high"], part["partial"], strict=True)]
        fig.add_trace(go.Scatter(
            x=part["period_start"], y=part[measure], name=str(dim), mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)]},
            marker={"symbol": ["circle-open" if p else "circle" for p in part["partial"]], "size": 7},
            customdata=text,
            hovertemplate="%{x|%d %b %Y} · " + str(dim) + ": %{y:,.1f}<br>%{customdata}<extra></extra>",
        ))
    fig.update_layout(height=400, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.2},
                      yaxis_title="complaints per 1,000 active customers" if measure == "per_1000" else "complaints")
    return fig


def anomaly_band(frame: pd.DataFrame, *, dimension: str) -> go.Figure:
    """One series of ``anomalies`` output: counts, the expected band (robust z within +-3.5), flagged points."""
    part = frame[frame["dimension"] == dimension].sort_values("period_start")
    if part.empty:
        return _empty("No complaints for this series")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=part["period_start"], y=part["expected_high"], line={"width": 0}, showlegend=False,
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=part["period_start"], y=part["expected_low"], fill="tonexty", line={"width": 0},
                             fillcolor="rgba(31,119,180,0.15)", name="expected band", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=part["period_start"], y=part["baseline"], name="rolling median",
                             line={"dash": "dot", "color": "#7f7f7f"}))
    fig.add_trace(go.Scatter(x=part["period_start"], y=part["complaints"], name="complaints", mode="lines+markers",
                             line={"color": "#1f77b4"}, customdata=part["description"],
                             hovertemplate="%{x|%d %b %Y}: %{y:,} complaints<br>%{customdata}<extra></extra>"))
    flagged = part[part["is_anomaly"]]
    fig.add_trace(go.Scatter(x=flagged["period_start"], y=flagged["complaints"], mode="markers", name="anomaly",
                             marker={"color": "#d62728", "size": 13, "symbol": "diamond"},
                             customdata=flagged["description"],
                             hovertemplate="%{x|%d %b %Y}: %{y:,}<br>%{customdata}<extra></extra>"))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.25},
                      yaxis_title="complaints")
    return fig


#: a drawn survival curve moves in steps of at least this share (0.2 percentage point: under a pixel of a chart)
STEP_RESOLUTION = 0.002


def thin_steps(part: pd.DataFrame, columns: tuple[str, ...] = ("still_waiting", "ci_low", "ci_high"),
               resolution: float = STEP_RESOLUTION) -> pd.DataFrame:
    """The rows of a step curve where one of ``columns`` enters another band of width ``resolution``, plus its
    first and last rows. Drawn as steps, the curve is then off by less than ``resolution`` anywhere: a Kaplan-Meier
    curve over 100k tickets has a step per distinct duration (thousands of points per group) that a screen
    cannot show, and that the browser would otherwise receive and draw."""
    if len(part) <= 2:
        return part
    bands = np.floor(part[list(columns)].to_numpy(dtype=float) / resolution)
    changed = np.zeros(len(part), dtype=bool)
    changed[1:] = (np.diff(bands, axis=0) != 0).any(axis=1) | np.isnan(bands[1:]).any(axis=1)
    changed[0] = changed[-1] = True
    return part[changed]


def km_curves(frame: pd.DataFrame, *, max_hours: float | None = None) -> go.Figure:
    """Step curves of the share still waiting after t hours, one per group, with their confidence bands
    (thinned to steps of at least 0.2 percentage point: :func:`thin_steps`)."""
    if frame.empty:
        return _empty("No tickets in this period and selection")
    fig = go.Figure()
    for i, (group, part) in enumerate(frame.groupby("group", sort=True)):
        color = PALETTE[i % len(PALETTE)]
        if max_hours is not None:
            part = part[part["hours"] <= max_hours]
        part = thin_steps(part)
        fig.add_trace(go.Scatter(x=part["hours"], y=part["ci_high"], line={"width": 0, "shape": "hv"},
                                 showlegend=False, hoverinfo="skip", legendgroup=str(group)))
        fig.add_trace(go.Scatter(x=part["hours"], y=part["ci_low"], line={"width": 0, "shape": "hv"}, fill="tonexty",
                                 fillcolor=_rgba(color, 0.15), showlegend=False, hoverinfo="skip",
                                 legendgroup=str(group)))
        fig.add_trace(go.Scatter(x=part["hours"], y=part["still_waiting"], name=str(group), legendgroup=str(group),
                                 line={"color": color, "shape": "hv"},
                                 hovertemplate="%{x:,.1f} h: %{y:.1%} still waiting<extra>" + str(group) + "</extra>"))
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.2},
                      xaxis_title="hours since creation", yaxis_title="share still waiting", yaxis_tickformat=".0%")
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def rate_bars(frame: pd.DataFrame, *, x: str, y: str, low: str, high: str, title: str) -> go.Figure:
    """Bars with asymmetric confidence whiskers (CSAT by handling bucket, breach rates...)."""
    if frame.empty:
        return _empty("No data in this period and selection")
    fig = go.Figure(go.Bar(
        x=frame[x].astype(str), y=frame[y], marker={"color": "#1f77b4"},
        error_y={"type": "data", "symmetric": False, "array": frame[high] - frame[y],
                 "arrayminus": frame[y] - frame[low]},
        hovertemplate="%{x}: %{y:.1f}<extra></extra>",
    ))
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title=title)
    return fig


def breach_trend(frame: pd.DataFrame, *, grain: str = "week") -> go.Figure:
    """SLA breach rate per creation period and target with 95% bands (output of
    ``resolution.sla_breach_trend``); periods below the minimum n drawn as hollow markers."""
    frame = frame.dropna(subset=["breach_rate"])
    if frame.empty:
        return _empty("No tickets with an SLA target in this period and selection")
    fig = go.Figure()
    names = {"first_response": "first response", "resolution": "resolution"}
    for i, (target, part) in enumerate(frame.groupby("target", sort=True)):
        color = PALETTE[i % len(PALETTE)]
        part = part.sort_values("period_start")
        fig.add_trace(go.Scatter(x=part["period_start"], y=part["ci_high"], line={"width": 0}, showlegend=False,
                                 hoverinfo="skip", legendgroup=str(target)))
        fig.add_trace(go.Scatter(x=part["period_start"], y=part["ci_low"], line={"width": 0}, fill="tonexty",
                                 fillcolor=_rgba(color, 0.15), showlegend=False, hoverinfo="skip",
                                 legendgroup=str(target)))
        small = part["small_n"].to_numpy(dtype=bool)
        fig.add_trace(go.Scatter(
            x=part["period_start"], y=part["breach_rate"], name=names.get(str(target), str(target)),
            legendgroup=str(target), mode="lines+markers", line={"color": color},
            marker={"symbol": ["circle-open" if s else "circle" for s in small], "size": 7},
            customdata=list(zip(part["breached"], part["achieved"] + part["breached"], part["pending"], strict=True)),
            hovertemplate=("%{x|%d %b %Y}: %{y:.1%} breached<br>%{customdata[0]:,} of %{customdata[1]:,} decided, "
                           "%{customdata[2]:,} pending<extra>" + names.get(str(target), str(target)) + "</extra>"),
        ))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.2},
                      yaxis_title=f"breach rate of tickets created that {grain}", yaxis_tickformat=".0%",
                      xaxis_title=None)
    return fig


def backlog_history(frame: pd.DataFrame) -> go.Figure:
    """Backlog at the end of each day (line) with the tickets that entered and left it (bars)."""
    if frame.empty:
        return _empty("No tickets in this period and selection")
    fig = go.Figure()
    fig.add_trace(go.Bar(x=frame["day"], y=frame["opened"], name="became open", marker={"color": "#ff7f0e"},
                         opacity=0.5, hovertemplate="%{x|%d %b %Y}: %{y:,} became open<extra></extra>"))
    fig.add_trace(go.Bar(x=frame["day"], y=-frame["left_backlog"], name="solved or closed",
                         marker={"color": "#2ca02c"}, opacity=0.5, customdata=frame["left_backlog"],
                         hovertemplate="%{x|%d %b %Y}: %{customdata:,} solved or closed<extra></extra>"))
    fig.add_trace(go.Scatter(x=frame["day"], y=frame["backlog"], name="backlog at end of day",
                             line={"color": "#1f77b4", "width": 2},
                             hovertemplate="%{x|%d %b %Y}: %{y:,} open<extra></extra>"))
    fig.update_layout(height=340, barmode="relative", margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": -0.2}, yaxis_title="tickets", xaxis_title=None)
    return fig


def resolution_trend(frame: pd.DataFrame, *, grain: str = "week") -> go.Figure:
    """Median hours to resolution of the tickets created each period: the Kaplan-Meier median (open tickets
    censored; the one median of every page) with its 95% band."""
    frame = frame.sort_values("period_start")
    if frame.empty:
        return _empty("No tickets in this period and selection")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["period_start"], y=frame["median_high"], line={"width": 0},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=frame["period_start"], y=frame["median_low"], line={"width": 0}, fill="tonexty",
                             fillcolor=_rgba(PALETTE[0], 0.15), showlegend=False, hoverinfo="skip"))
    small = frame["small_n"].to_numpy(dtype=bool)
    fig.add_trace(go.Scatter(
        x=frame["period_start"], y=frame["median_hours"], name="median (open tickets censored)",
        mode="lines+markers", line={"color": PALETTE[0]},
        marker={"symbol": ["circle-open" if s else "circle" for s in small], "size": 7},
        customdata=list(zip(frame["tickets"], frame["censored"], strict=True)),
        hovertemplate=("%{x|%d %b %Y}: %{y:,.1f} h<br>%{customdata[0]:,} tickets, %{customdata[1]:,} still open"
                       "<extra></extra>"),
    ))
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.25},
                      yaxis_title=f"hours, tickets created that {grain}", xaxis_title=None)
    return fig
