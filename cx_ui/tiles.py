"""The KPI tiles (answer first): the Overview's seven, and the headline of the Resolution and Churn pages, drawn one
way from :func:`cx_metrics.metrics.overview.kpis` rows. A tile the data cannot support says why instead of a
number; a tile without a fair previous period says why instead of a delta."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from cx_metrics import catalog
from cx_metrics.config import Settings
from cx_metrics.followups import describe_summary
from cx_metrics.metrics.overview import describe_delta, describe_test
from cx_ui import state


def _interval(row: dict[str, Any], s: Settings) -> str:
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if math.isnan(low) and math.isnan(high):
        return "no interval"
    ends = [state.fmt_value({**row, "value": v}) if not math.isnan(v) else "not reached yet" for v in (low, high)]
    return f"{int(s.confidence * 100)}% CI {ends[0]} – {ends[1]}"


def tile(row: dict[str, Any], s: Settings) -> None:
    """One bordered tile: label, value (or the reason there is none), delta and its test, interval, n, note."""
    with st.container(border=True):
        if row["unavailable"]:
            st.metric(row["label"], "—", help=f"{row['definition']}")
            st.caption(f"**Not shown: {row['unavailable']}.**")
            return
        if row["small_n"]:
            value, color = f"{state.fmt_value(row)} (n < {s.min_cell_n})", "off"
        else:
            value = state.fmt_value(row)
            color = "off" if not row["significant"] else ("normal" if row["higher_is_better"] else "inverse")
        st.metric(row["label"], value, delta=describe_delta(row, s.alpha) or None, delta_color=color,  # type: ignore[arg-type]
                  help=f"{row['definition']}\n\nTest: {row['test']}.")
        previous = ("" if row["comparison"] else
                    f" · previous {state.fmt_value({**row, 'value': row['prev_value']})} (n = {int(row['prev_n']):,})")
        st.caption(f"{_interval(row, s)} · n = {int(row['n']):,}{previous} · {describe_test(row, s.alpha)}"
                   + (f" · {row['note']}" if row["note"] else ""))


def tiles(frame: pd.DataFrame, metrics: list[str] | None = None, columns: int = 3) -> None:
    """The tiles of ``frame`` (kpis output), those named in ``metrics`` in that order (all by default)."""
    s = state.settings()
    rows = {str(r["metric"]): {str(k): v for k, v in r.items()} for r in frame.to_dict("records")}
    chosen = [rows[m] for m in (metrics or list(rows)) if m in rows]
    cols = st.columns(columns)
    for i, row in enumerate(chosen):
        with cols[i % len(cols)]:
            tile(row, s)


def followup_tile(summary: dict[str, Any], s: Settings) -> None:
    """Closing the loop, for executives: coverage of the period (share of follow-ups due closed in time) and whether
    following up goes with less churn (:func:`cx_metrics.followups.summary`). No customer, note or comment."""
    value, detail = describe_summary(summary, s)
    with st.container(border=True):
        st.metric(catalog.label("followup_coverage"), value,
                  help=f"{catalog.definition('followup_coverage')}\n\n{catalog.definition('followup_effect')} "
                       "Details on Follow-ups.")
        st.caption(detail)
