"""Metric definitions and the settings that shape them, for analysts: the metric catalog, area by area."""

from __future__ import annotations

import streamlit as st

from cx_metrics import catalog
from cx_ui import auth, state

READING = {"higher": "higher is better", "lower": "lower is better", "neither": "descriptive"}

st.title("Metric definitions")
auth.require("view")
s = state.settings()
st.caption(
    f"Confidence level {s.confidence:.0%} · significance α = {s.alpha:g} · minimum cell size "
    f"{s.min_cell_n} · CSAT top boxes {s.csat_top_boxes} · churn mode {s.churn_mode}"
    + (f" · config file `{s.config_file}`" if s.config_file else " · no config file (defaults and CX_* env)")
)
for area in catalog.AREAS:
    st.subheader(area.capitalize())
    for m in (m for m in catalog.METRICS.values() if m.area == area):
        st.markdown(f"**{m.label}** (`{m.id}`; {m.unit}, {READING[m.direction]}) — {m.definition}")
        st.caption(
            f"Grain: {m.grain} · computed by `{m.function}` from "
            + ", ".join(f"`{q}.sql`" for q in m.sql)
            + " · shown on " + ", ".join(f"`views/{p}.py`" for p in m.pages)
            + (" · `cx metric " + " | ".join(m.commands) + "`" if m.commands else "")
        )
st.caption("The same catalog is printed by `cx metric --list` (`--format json`: as JSON); `cx sql show NAME` prints a "
           "query ready for the DuckDB shell; `cx metric kpis` gives the Overview's numbers.")
