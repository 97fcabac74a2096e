"""Pure chart builders: tidy DataFrame in, plotly Figure out. No data access, no streamlit."""

from __future__ import annotations

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
