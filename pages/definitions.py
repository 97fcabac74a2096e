"""Metric definitions and the settings that shape them, for analysts."""

from __future__ import annotations

import streamlit as st

from cx_metrics.definitions import DEFINITIONS
from cx_ui import auth, state

st.title("Metric definitions")
auth.require("view")
s = state.settings()
st.caption(
    f"Confidence level {s.confidence:.0%} · significance α = {s.alpha:g} · minimum cell size "
    f"{s.min_cell_n} · CSAT top boxes {s.csat_top_boxes}"
    + (f" · config file `{s.config_file}`" if s.config_file else " · no config file (defaults and CX_* env)")
)
for name, text in DEFINITIONS.items():
    st.markdown(f"**{name.replace('_', ' ').capitalize()}** — {text}")
st.caption("The same definitions are printed by `cx definitions`; `cx metric kpis` gives the same numbers.")
