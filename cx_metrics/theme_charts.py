"""Chart builders for the Themes page: tidy DataFrame in, plotly Figure out. No data access, no streamlit."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from cx_metrics.charts import PALETTE, empty_figure, series_line, time_axis


def share_over_time(volume: pd.DataFrame, keys: Sequence[int], anomalies: pd.DataFrame | None = None,
                    grain: str = "week") -> go.Figure:
    """Share of texts carrying each chosen theme per bucket (``theme_volume``), each theme in a colour fixed by its
    key (not by its place in the selection), partial buckets dashed, anomalies ringed in red."""
    part = volume[volume["theme_key"].isin(list(keys))]
    if part.empty:
        return empty_figure("No themed texts in this period and selection")
    fig = go.Figure()
    for key in keys:
        series = part[part["theme_key"] == key].sort_values("period_start")
        if series.empty:
            continue
        color = PALETTE[int(key) % len(PALETTE)]
        series_line(
            fig, series["period_start"], 100 * series["share"], partial=series["partial"],
            name=str(series["theme"].iloc[0]), color=color, group=str(key),
            customdata=list(zip(series["documents"], series["total_documents"], 100 * series["share_low"],
                                100 * series["share_high"], strict=True)),
            hovertemplate="%{x|%d %b %Y}: %{y:.1f}% (%{customdata[0]:,} of %{customdata[1]:,} texts; 95% CI "
                          "%{customdata[2]:.1f}–%{customdata[3]:.1f}%)<extra>%{fullData.name}</extra>")
        if anomalies is not None and not anomalies.empty:
            flagged = anomalies[(anomalies["theme_key"] == key) & anomalies["is_anomaly"]]
            flagged = flagged.merge(series[["period_start", "share"]], on="period_start")
            if not flagged.empty:
                fig.add_trace(go.Scatter(
                    x=flagged["period_start"], y=100 * flagged["share"], mode="markers", showlegend=False,
                    marker={"symbol": "circle-open", "size": 16, "color": "#d62728", "line": {"width": 2}},
                    customdata=flagged["description"], name="anomaly",
                    hovertemplate="anomaly: %{customdata}<extra></extra>"))
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_title="% of texts",
                      legend={"orientation": "h", "y": -0.2})
    return time_axis(fig, part["period_start"], grain)


def impact_bars(impact: pd.DataFrame, *, metric: str) -> go.Figure:
    """Impact of each theme on the score (``theme_impact``) with its bootstrap interval."""
    if impact.empty:
        return empty_figure("No commented responses in this period and selection")
    frame = impact.sort_values("impact")
    colors = ["#d62728" if v < 0 else "#2ca02c" for v in frame["impact"]]
    fig = go.Figure(go.Bar(
        x=frame["impact"], y=frame["theme"], orientation="h", marker={"color": colors,
                                                                      "opacity": [0.4 if s else 1.0
                                                                                  for s in frame["small_n"]]},
        error_x={"type": "data", "symmetric": False, "array": frame["ci_high"] - frame["impact"],
                 "arrayminus": frame["impact"] - frame["ci_low"]},
        customdata=list(zip(frame["responses"], frame["theme_score"], frame["score_without"], strict=True)),
        hovertemplate="%{y}: %{x:+.2f} points (%{customdata[0]:,} responses; score among them %{customdata[1]:.1f},"
                      " without them %{customdata[2]:.1f})<extra></extra>"))
    label = "NPS points" if metric == "nps" else "CSAT points (%)"
    fig.update_layout(height=max(300, 28 * len(frame)), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis_title=f"impact on {label}")
    return fig


def mix_heatmap(mix: pd.DataFrame) -> go.Figure:
    """Share of each value's texts carrying each theme (``theme_mix``), coloured by lift against all texts."""
    if mix.empty:
        return empty_figure("No themed texts in this period and selection")
    share = mix.pivot_table(index="theme", columns="dimension", values="share", aggfunc="first")
    lift = mix.pivot_table(index="theme", columns="dimension", values="lift", aggfunc="first").reindex_like(share)
    fig = go.Figure(go.Heatmap(
        z=lift.to_numpy(), x=list(share.columns), y=list(share.index), colorscale="RdBu", reversescale=True, zmid=1,
        text=(100 * share).round(1).astype(str) + "%", texttemplate="%{text}", colorbar={"title": "lift"},
        hovertemplate="%{y} in %{x}: %{text} of texts (lift %{z:.2f})<extra></extra>"))
    fig.update_layout(height=max(320, 26 * len(share)), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def stability(curve: dict[str, float], chosen: int) -> go.Figure:
    """Stability of each candidate number of themes, the chosen one highlighted."""
    if not curve:
        return empty_figure("The number of themes was fixed, not chosen")
    ks = sorted(int(k) for k in curve)
    fig = go.Figure(go.Bar(x=ks, y=[curve[str(k)] for k in ks],
                           marker={"color": ["#d62728" if k == chosen else "#1f77b4" for k in ks]},
                           hovertemplate="%{x} themes: stability %{y:.3f}<extra></extra>"))
    fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="number of themes",
                      yaxis_title="agreement across seeds")
    return fig
