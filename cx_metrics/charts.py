"""Pure chart builders: tidy DataFrame in, plotly Figure out. No data access, no streamlit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]


#: values such as "(unknown)", "(no category)": the same quiet grey everywhere
UNKNOWN_COLOR = "#b0b0b0"
WEEK_MS = 7 * 86_400_000


def color_map(values: Iterable[Any]) -> dict[str, str]:
    """Colours keyed on the value, not on its place in one chart: the i-th of ``values`` (a stable list, e.g. every
    value of a dimension in the database, most common first) gets the i-th palette colour, "(unknown)"-style values
    grey. Pass the map to the chart builders so a category keeps its colour when filters drop others."""
    out: dict[str, str] = {}
    for value in (str(v) for v in values):
        if value in out:
            continue
        out[value] = UNKNOWN_COLOR if value.startswith("(") else PALETTE[len(
            [c for c in out.values() if c != UNKNOWN_COLOR]) % len(PALETTE)]
    return out


def value_color(value: Any, colors: Mapping[str, str] | None) -> str:
    """The colour of ``value``: from ``colors``, else a colour fixed by the value's own name (never by its rank)."""
    key = str(value)
    if colors and key in colors:
        return colors[key]
    if key.startswith("("):
        return UNKNOWN_COLOR
    return PALETTE[int(hashlib.sha1(key.encode()).hexdigest(), 16) % len(PALETTE)]


def band(fig: go.Figure, x: Any, low: Any, high: Any, color: str, *, group: str | None = None,
         shape: str | None = None, name: str | None = None, alpha: float = 0.15) -> None:
    """An interval drawn as a shaded band: two line-only traces (never markers: a band has no points of its own)."""
    line: dict[str, Any] = {"width": 0, **({"shape": shape} if shape else {})}
    fig.add_trace(go.Scatter(x=x, y=high, mode="lines", line=line, showlegend=False, hoverinfo="skip",
                             legendgroup=group, connectgaps=False))
    fig.add_trace(go.Scatter(x=x, y=low, mode="lines", line=line, fill="tonexty", fillcolor=_rgba(color, alpha),
                             showlegend=name is not None, name=name, hoverinfo="skip", legendgroup=group,
                             connectgaps=False))


def series_line(fig: go.Figure, x: Any, y: Any, *, partial: Any, name: str, color: str, group: str | None = None,
                customdata: Any = None, hovertemplate: str | None = None, hollow: Any = None) -> None:
    """A time series whose partial periods (cut by the range or by the data's start or end) are drawn apart: full
    periods as a solid line with filled markers (``hollow`` ones open, e.g. below the minimum n), the way into and
    out of a partial period dashed, partial points as open markers labelled "partial". A partial month never
    reads as a real drop."""
    xs, ys = pd.Series(list(x)), pd.Series(list(y), dtype=float)
    part = pd.Series(list(partial), dtype=bool)
    hol = pd.Series(list(hollow) if hollow is not None else [False] * len(xs), dtype=bool)
    custom = list(customdata) if customdata is not None else None
    full = ~part
    fig.add_trace(go.Scatter(
        x=xs, y=ys.where(full), name=name, legendgroup=group or name, mode="lines+markers", line={"color": color},
        marker={"symbol": ["circle-open" if h else "circle" for h in hol], "size": 7, "color": color},
        customdata=custom, hovertemplate=hovertemplate, connectgaps=False))
    if not part.any():
        return
    near = part | part.shift(1, fill_value=False) | part.shift(-1, fill_value=False)
    fig.add_trace(go.Scatter(x=xs, y=ys.where(near), mode="lines", line={"color": color, "dash": "dash"},
                             showlegend=False, legendgroup=group or name, hoverinfo="skip", connectgaps=False))
    fig.add_trace(go.Scatter(
        x=xs[part], y=ys[part], mode="markers+text", text=["partial"] * int(part.sum()), textposition="top center",
        textfont={"color": color, "size": 10}, showlegend=False, legendgroup=group or name,
        marker={"symbol": "circle-open", "size": 9, "color": color, "line": {"width": 2}},
        customdata=[custom[i] for i in np.flatnonzero(part.to_numpy())] if custom is not None else None,
        hovertemplate=(hovertemplate.replace("<extra>", " (partial period)<extra>", 1) if hovertemplate else None)))


def time_axis(fig: go.Figure, starts: Any, grain: str) -> go.Figure:
    """Ticks on the buckets' own starts: a week is labelled with the Monday it starts on (plotly's own weekly ticks
    fall on Sundays), a month with its first day; at most about a dozen ticks."""
    stamps = pd.to_datetime(pd.Series(list(starts))).dropna()
    if stamps.empty or grain not in ("week", "month"):
        return fig
    first = stamps.min()
    if grain == "week":
        weeks = max(1, int((stamps.max() - first).days // 7) + 1)
        step = max(1, -(-weeks // 12))
        monday = first - pd.Timedelta(days=first.weekday())
        fig.update_xaxes(tick0=monday.strftime("%Y-%m-%d"), dtick=step * WEEK_MS, tickformat="%d %b<br>%Y",
                         hoverformat="week of %a %d %b %Y")
    else:
        months = max(1, (stamps.max().year - first.year) * 12 + stamps.max().month - first.month + 1)
        step = max(1, -(-months // 12))
        fig.update_xaxes(tick0=first.replace(day=1).strftime("%Y-%m-%d"), dtick=f"M{step}", tickformat="%b %Y",
                         hoverformat="%B %Y")
    return fig


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def complaint_trend(frame: pd.DataFrame, *, grain: str = "week", colors: Mapping[str, str] | None = None
                    ) -> go.Figure:
    """Stacked bars of complaints per period and category (output of ``complaints.complaint_trend``).

    Each category keeps its colour (``colors``, see :func:`color_map`) whatever the filters leave. Partial periods
    (cut by the date range or by the data's start or end) are drawn faded and hatched, and labelled in the hover.
    """
    if frame.empty:
        return empty_figure("No complaints in this period and selection")
    totals = frame.groupby("category")["complaints"].sum().sort_values(ascending=False)
    fig = go.Figure()
    for category in totals.index:
        part = frame[frame["category"] == category].sort_values("period_start")
        partial = part["partial"].to_numpy(dtype=bool)
        fig.add_trace(go.Bar(
            x=part["period_start"],
            y=part["complaints"],
            name=str(category),
            marker={"color": value_color(category, colors), "opacity": [0.35 if p else 1.0 for p in partial],
                    "pattern": {"shape": ["/" if p else "" for p in partial]}},
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
    return time_axis(fig, frame["period_start"], grain)


def series_order(frame: pd.DataFrame) -> list[str]:
    """Dimension values by total complaints, largest first: the trace order of :func:`complaint_rates`."""
    if frame.empty:
        return []
    return [str(v) for v in frame.groupby("dimension")["complaints"].sum().sort_values(ascending=False).index]


def complaint_rates(frame: pd.DataFrame, *, measure: str = "per_1000", top: int = 8, grain: str = "week",
                    colors: Mapping[str, str] | None = None) -> go.Figure:
    """Lines per dimension value (the ``top`` largest by volume) of ``complaint_volume`` output, each value in its
    own colour (``colors``); partial periods dashed and labelled (:func:`series_line`).

    ``measure`` is ``per_1000`` (with its Poisson interval in the hover) or ``complaints``.
    """
    if frame.empty:
        return empty_figure("No complaints in this period and selection")
    order = series_order(frame)[:top]
    fig = go.Figure()
    for dim in order:
        part = frame[frame["dimension"] == dim].sort_values("period_start")
        text = [f"{k:,} complaints · {n:,} active customers · 95% CI {lo:.1f}–{hi:.1f} per 1,000"
                for k, n, lo, hi in zip(part["complaints"], part["active_customers"], part["per_1000_low"],
                                        part["per_1000_high"], strict=True)]
        series_line(fig, part["period_start"], part[measure], partial=part["partial"], name=str(dim),
                    color=value_color(dim, colors), customdata=text,
                    hovertemplate="%{x|%d %b %Y} · " + str(dim) + ": %{y:,.1f}<br>%{customdata}<extra></extra>")
    fig.update_layout(height=400, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.2},
                      yaxis_title="complaints per 1,000 active customers" if measure == "per_1000" else "complaints")
    return time_axis(fig, frame["period_start"], grain)


def anomaly_band(frame: pd.DataFrame, *, dimension: str, grain: str = "week") -> go.Figure:
    """One series of ``anomalies`` output: counts, the expected band (robust z within +-3.5), flagged points."""
    part = frame[frame["dimension"] == dimension].sort_values("period_start")
    if part.empty:
        return empty_figure("No complaints for this series")
    fig = go.Figure()
    band(fig, part["period_start"], part["expected_low"], part["expected_high"], PALETTE[0], name="expected band")
    fig.add_trace(go.Scatter(x=part["period_start"], y=part["baseline"], name="rolling median", mode="lines",
                             line={"dash": "dot", "color": "#7f7f7f"}))
    series_line(fig, part["period_start"], part["complaints"], partial=part["partial"], name="complaints",
                color=PALETTE[0], customdata=part["description"],
                hovertemplate="%{x|%d %b %Y}: %{y:,} complaints<br>%{customdata}<extra></extra>")
    flagged = part[part["is_anomaly"]]
    fig.add_trace(go.Scatter(x=flagged["period_start"], y=flagged["complaints"], mode="markers", name="anomaly",
                             marker={"color": "#d62728", "size": 13, "symbol": "diamond"},
                             customdata=flagged["description"],
                             hovertemplate="%{x|%d %b %Y}: %{y:,}<br>%{customdata}<extra></extra>"))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.25},
                      yaxis_title="complaints")
    return time_axis(fig, part["period_start"], grain)


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


#: the x axis of a duration chart on each clock
CLOCK_AXIS = {"calendar": "hours since creation", "business": "business hours since creation"}


def km_curves(frame: pd.DataFrame, *, max_hours: float | None = None, colors: Mapping[str, str] | None = None,
              clock: str = "calendar") -> go.Figure:
    """Step curves of the share still waiting after t hours on ``clock``, one per group in its own colour, with
    their confidence bands (thinned to steps of at least 0.2 percentage point: :func:`thin_steps`)."""
    if frame.empty:
        return empty_figure("No tickets in this period and selection")
    fig = go.Figure()
    for group, part in frame.groupby("group", sort=True):
        color = value_color(group, colors)
        if max_hours is not None:
            part = part[part["hours"] <= max_hours]
        part = thin_steps(part)
        band(fig, part["hours"], part["ci_low"], part["ci_high"], color, group=str(group), shape="hv")
        fig.add_trace(go.Scatter(x=part["hours"], y=part["still_waiting"], name=str(group), legendgroup=str(group),
                                 mode="lines", line={"color": color, "shape": "hv"},
                                 hovertemplate="%{x:,.1f} h: %{y:.1%} still waiting<extra>" + str(group) + "</extra>"))
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.2},
                      xaxis_title=CLOCK_AXIS.get(clock, clock), yaxis_title="share still waiting",
                      yaxis_tickformat=".0%")
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def rate_bars(frame: pd.DataFrame, *, x: str, y: str, low: str, high: str, title: str) -> go.Figure:
    """Bars with asymmetric confidence whiskers (CSAT by handling bucket, breach rates...)."""
    if frame.empty:
        return empty_figure("No data in this period and selection")
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
    ``resolution.sla_breach_trend``); periods below the minimum n drawn as hollow markers, partial periods dashed."""
    frame = frame.dropna(subset=["breach_rate"])
    if frame.empty:
        return empty_figure(" ".join(frame.attrs.get("notes", ())) or
                      "No tickets with an SLA target in this period and selection")
    fig = go.Figure()
    names = {"first_response": "first response", "resolution": "resolution"}
    for i, (target, part) in enumerate(frame.groupby("target", sort=True)):
        color = PALETTE[i % len(PALETTE)] if target not in names else PALETTE[list(names).index(str(target))]
        part = part.sort_values("period_start")
        band(fig, part["period_start"], part["ci_low"], part["ci_high"], color, group=str(target))
        label = names.get(str(target), str(target))
        series_line(
            fig, part["period_start"], part["breach_rate"], partial=part.get("partial", [False] * len(part)),
            name=label, color=color, group=str(target), hollow=part["small_n"],
            customdata=list(zip(part["breached"], part["achieved"] + part["breached"], part["pending"], strict=True)),
            hovertemplate=("%{x|%d %b %Y}: %{y:.1%} breached<br>%{customdata[0]:,} of %{customdata[1]:,} decided, "
                           "%{customdata[2]:,} pending<extra>" + label + "</extra>"))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.2},
                      yaxis_title=f"breach rate of tickets created that {grain}", yaxis_tickformat=".0%",
                      xaxis_title=None)
    return time_axis(fig, frame["period_start"], grain)


def backlog_history(frame: pd.DataFrame) -> go.Figure:
    """Backlog at the end of each day (line) with the tickets that entered and left it (bars)."""
    if frame.empty:
        return empty_figure("No tickets in this period and selection")
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


def resolution_trend(frame: pd.DataFrame, *, grain: str = "week", clock: str = "calendar") -> go.Figure:
    """Median hours (on ``clock``) to resolution of the tickets created each period: the Kaplan-Meier median (open
    tickets censored; the one median of every page) with its 95% band; partial periods dashed."""
    frame = frame.sort_values("period_start")
    if frame.empty:
        return empty_figure("No tickets in this period and selection")
    fig = go.Figure()
    band(fig, frame["period_start"], frame["median_low"], frame["median_high"], PALETTE[0], name="95% interval")
    series_line(
        fig, frame["period_start"], frame["median_hours"], partial=frame.get("partial", [False] * len(frame)),
        name="median (open tickets censored)", color=PALETTE[0], hollow=frame["small_n"],
        customdata=list(zip(frame["tickets"], frame["censored"], strict=True)),
        hovertemplate=("%{x|%d %b %Y}: %{y:,.1f} h<br>%{customdata[0]:,} tickets, %{customdata[1]:,} still open"
                       "<extra></extra>"))
    hours = "business hours" if clock == "business" else "hours"
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": -0.25},
                      yaxis_title=f"{hours}, tickets created that {grain}", xaxis_title=None)
    return time_axis(fig, frame["period_start"], grain)
