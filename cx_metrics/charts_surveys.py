"""Pure chart builders for the Surveys and Cohorts pages: tidy frame in, plotly Figure out.

Small cells are drawn grey and labelled; intervals are drawn as bands or whiskers, never left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cx_metrics.charts import PALETTE, band, empty_figure, series_line, time_axis, value_color

GREY = "#b0b0b0"
GROUP_COLORS = {"promoter": "#2ca02c", "passive": "#bcbd22", "detractor": "#d62728", "satisfied": "#2ca02c",
                "not satisfied": "#d62728", "easy": "#2ca02c", "neutral": "#bcbd22", "difficult": "#d62728"}


def format_score(value: float, unit: str) -> str:
    """A score as the survey charts and tables write it: +12.3 for NPS points, 81.0% for shares, 5.40 for CES."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "points":
        return f"{value:+.1f}"
    if unit in ("%",):
        return f"{value:.1f}%"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit == "per 1,000":
        return f"{value:.0f}"
    return f"{value:.2f}"


def trend_band(frame: pd.DataFrame, *, unit: str, title: str, min_n: int, grain: str = "month") -> go.Figure:
    """Line of ``survey_trend`` output with its interval as a band; small-n buckets grey and labelled, significant
    changes from the previous bucket marked with a diamond, partial buckets dashed and labelled."""
    if frame.empty or int(frame["n"].sum()) == 0:
        return empty_figure("No responses in this period and selection")
    f = frame.sort_values("period_start")
    ok = ~f["small_n"]
    fig = go.Figure()
    band(fig, f["period_start"], f["ci_low"].where(ok), f["ci_high"].where(ok), PALETTE[0], name="95% interval",
         alpha=0.18)
    text = [f"{format_score(v, unit)} (95% CI {format_score(lo, unit)} – {format_score(hi, unit)}) · n = {n:,}"
            + (f" · change {format_score(c, unit) if unit != 'points' else f'{c:+.1f}'} vs previous, p = {pv:.2g}"
               if not math.isnan(pv) else "")
            for v, lo, hi, n, c, pv in zip(f["value"], f["ci_low"], f["ci_high"], f["n"].astype(int), f["change"],
                                           f["p_value"], strict=True)]
    series_line(fig, f["period_start"], f["value"].where(ok), partial=f["partial"], name=title, color=PALETTE[0],
                customdata=text, hovertemplate="%{x|%d %b %Y}: %{customdata}<extra></extra>")
    small = f[f["small_n"] & (f["n"] > 0)]
    if not small.empty:
        fig.add_trace(go.Scatter(
            x=small["period_start"], y=small["value"], mode="markers+text", name=f"n < {min_n} (not reliable)",
            marker={"color": GREY, "size": 9, "symbol": "x"}, text=[f"n={n}" for n in small["n"].astype(int)],
            textposition="top center", textfont={"color": GREY},
            hovertemplate="%{x|%d %b %Y}: too few responses (%{text}) to show as a real number<extra></extra>"))
    moved = f[f["significant"]]
    if not moved.empty:
        fig.add_trace(go.Scatter(
            x=moved["period_start"], y=moved["value"], mode="markers", name="significant change vs previous",
            marker={"color": "#d62728", "size": 14, "symbol": "diamond-open", "line": {"width": 2}},
            hoverinfo="skip"))
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title=title,
                      legend={"orientation": "h", "y": -0.2})
    return time_axis(fig, f["period_start"], grain)


def group_split_bars(frame: pd.DataFrame) -> go.Figure:
    """100%-stacked bars of score groups per bucket (output of ``surveys.group_split``)."""
    if frame.empty or frame["responses"].sum() == 0:
        return empty_figure("No responses in this period and selection")
    fig = go.Figure()
    for group in frame["group"].drop_duplicates():
        part = frame[frame["group"] == group]
        fig.add_trace(go.Bar(
            x=part["period_start"], y=part["share"], name=str(group),
            marker={"color": GROUP_COLORS.get(str(group), GREY),
                    "opacity": [0.35 if s else 1.0 for s in part["small_n"]]},
            customdata=part["responses"],
            hovertemplate="%{x|%d %b %Y} · " + str(group) + ": %{y:.0%} (%{customdata:,} responses)<extra></extra>"))
    fig.update_layout(barmode="stack", height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      yaxis_tickformat=".0%", yaxis_title="share of responses", legend={"orientation": "h", "y": -0.2})
    return fig


def distribution_bars(frame: pd.DataFrame, colors: Mapping[str, str] | None = None) -> go.Figure:
    """Share of responses giving each score, one bar series per cohort (``surveys.score_distribution``)."""
    if frame.empty:
        return empty_figure("No responses in this period and selection")
    scales = frame.groupby("scale")["responses"].sum().sort_values(ascending=False)
    main = frame[frame["scale"] == scales.index[0]]
    fig = go.Figure()
    for dim in main["dimension"].drop_duplicates():
        part = main[main["dimension"] == dim]
        fig.add_trace(go.Bar(x=part["score"], y=part["share"], name=str(dim),
                             marker={"color": value_color(dim, colors)},
                             customdata=part["responses"],
                             hovertemplate="score %{x}: %{y:.1%} (%{customdata:,})<extra>" + str(dim) + "</extra>"))
    note = f"scale {scales.index[0]}" + (f" (other scales: {', '.join(scales.index[1:])})" if len(scales) > 1 else "")
    fig.update_layout(barmode="group", height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      yaxis_tickformat=".0%", yaxis_title="share of responses", xaxis_title=note, xaxis_dtick=1,
                      legend={"orientation": "h", "y": -0.25})
    return fig


def cohort_bars(frame: pd.DataFrame, *, unit: str, title: str, min_n: int) -> go.Figure:
    """Bars per cohort (one dimension) with interval whiskers; suppressed cells as labelled grey stubs,
    significantly better/worse cells coloured."""
    if frame.empty:
        return empty_figure("No data in this period and selection")
    colors = [GREY if s else ("#2ca02c" if d == "better" else "#d62728" if d == "worse" else PALETTE[0])
              for s, d in zip(frame["suppressed"], frame["direction"], strict=True)]
    labels = [f"n={n:,} (< {min_n}, hidden)" if s else f"{format_score(v, unit)} · n={n:,}"
              for v, n, s in zip(frame["value"], frame["n"], frame["suppressed"], strict=True)]
    y = frame["value"].fillna(0)
    fig = go.Figure(go.Bar(
        x=frame["dim1"].astype(str), y=y, marker={"color": colors}, text=labels, textposition="outside",
        error_y={"type": "data", "symmetric": False, "array": (frame["ci_high"] - frame["value"]).fillna(0),
                 "arrayminus": (frame["value"] - frame["ci_low"]).fillna(0)},
        hovertemplate="%{x}: %{text}<extra></extra>"))
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title=title,
                      xaxis={"type": "category"})  # "100.2" is a cohort's name, not a position on a number line
    return fig


def heatmap(frame: pd.DataFrame, *, unit: str, title: str, min_n: int, higher_is_better: bool,
            rows: Sequence[str], cols: Sequence[str]) -> go.Figure:
    """dim1 x dim2 heatmap of ``cohorts.breakdown``: value per cell with n; suppressed cells blank, labelled
    'n<min'; significant cells marked with '*' (Holm-corrected vs the rest)."""
    if frame.empty:
        return empty_figure("No data in this period and selection")
    cell = {(str(a), str(b)): r for a, b, r in zip(frame["dim1"], frame["dim2"], frame.to_dict("records"),
                                                  strict=True)}
    z = np.full((len(rows), len(cols)), np.nan)
    text = [["" for _ in cols] for _ in rows]
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            rec = cell.get((r, c))
            if rec is None:
                text[i][j] = "n=0"
                continue
            if rec["suppressed"]:
                text[i][j] = f"n={int(rec['n'])}<br>< {min_n}"
                continue
            z[i, j] = rec["value"]
            star = "*" if rec["significant"] else ""
            text[i][j] = f"{format_score(rec['value'], unit)}{star}<br>n={int(rec['n']):,}"
    fig = go.Figure(go.Heatmap(
        z=z, x=list(cols), y=list(rows), text=text, texttemplate="%{text}", hoverongaps=False,
        colorscale="RdYlGn" if higher_is_better else "RdYlGn_r", colorbar={"title": title},
        hovertemplate="%{y} · %{x}<br>%{text}<extra></extra>"))
    fig.update_layout(height=max(320, 48 * len(rows) + 120), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      yaxis={"autorange": "reversed", "type": "category"}, xaxis={"type": "category"})
    return fig


def spread_boxes(frame: pd.DataFrame, *, title: str, min_n: int | None = None) -> go.Figure:
    """Box per cohort from precomputed quantiles (box p25-p75, line median, whiskers p10-p90, marker mean).

    Cohorts the table suppresses (``small_n``: fewer than ``min_n`` observations) get no box: quantiles of 2 or 27
    values would be drawn as confidently as those of thousands. They are named under the chart instead."""
    if frame.empty:
        return empty_figure("No spread to show for this metric (a yes/no outcome has only its rate)")
    names_all = [f"{a}" if b == "All" else f"{a} · {b}" for a, b in zip(frame["dim1"], frame["dim2"], strict=True)]
    small = frame["small_n"].to_numpy(dtype=bool) if "small_n" in frame else np.zeros(len(frame), dtype=bool)
    hidden = [f"{name} (n = {int(n):,})" for name, n, s in zip(names_all, frame["n"], small, strict=True) if s]
    frame = frame[~small]
    if frame.empty:
        return empty_figure(f"Every cohort has fewer than {min_n} observations: no spread is shown" if min_n
                      else "Every cohort is too small to show its spread")
    names = [n for n, s in zip(names_all, small, strict=True) if not s]
    fig = go.Figure(go.Box(
        x=names, q1=frame["p25"], median=frame["p50"], q3=frame["p75"], lowerfence=frame["p10"],
        upperfence=frame["p90"], mean=frame["mean"], boxpoints=False, marker={"color": PALETTE[0]},
        name=title))
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10 + (30 if hidden else 0)},
                      yaxis_title=title, showlegend=False, xaxis={"type": "category"})
    if hidden:
        fig.add_annotation(text=f"Not drawn, fewer than {min_n} observations: " + ", ".join(hidden), showarrow=False,
                           x=0, xanchor="left", y=-0.22, xref="paper", yref="paper", font={"color": GREY})
    return fig


def grid_heatmap(frame: pd.DataFrame, *, unit: str, title: str, min_n: int, period_word: str) -> go.Figure:
    """Signup cohort (rows) x periods since signup (columns) from ``cohorts.grid``."""
    if frame.empty:
        return empty_figure("No signup cohorts in the data")
    rows = sorted(frame["cohort"].unique())
    cols = sorted(frame["age"].unique())
    z = np.full((len(rows), len(cols)), np.nan)
    text = [["" for _ in cols] for _ in rows]
    ri = {r: i for i, r in enumerate(rows)}
    ci = {c: j for j, c in enumerate(cols)}
    for rec in frame.to_dict("records"):
        i, j = ri[rec["cohort"]], ci[rec["age"]]
        if not rec["observable"]:
            continue
        if rec["small_n"] or pd.isna(rec["value"]):
            text[i][j] = f"n={int(rec['n'])}" if rec["n"] else ""
            continue
        z[i, j] = rec["value"]
        text[i][j] = format_score(rec["value"], unit)
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in cols], y=rows, text=text, texttemplate="%{text}", hoverongaps=False,
        colorscale="RdYlGn", colorbar={"title": title},
        hovertemplate="%{y}, " + period_word + " %{x}: %{text}<extra></extra>"))
    fig.update_layout(height=max(320, 22 * len(rows) + 120), margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      yaxis={"autorange": "reversed", "type": "category"},
                      xaxis={"title": f"{period_word} since signup", "type": "category"})
    return fig
