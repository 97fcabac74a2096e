"""CX dashboard: router and frame. Run with `make run` (or `streamlit run dashboard.py`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cx_ui import state

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"

st.set_page_config(page_title="CX dashboard", page_icon=":material/insights:", layout="wide")

# Every page is listed explicitly, grouped by who uses it.
navigation = st.navigation({
    "Executives": [
        st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page(PAGES / "complaints.py", title="Complaint trends", icon=":material/trending_up:"),
        st.Page(PAGES / "resolution.py", title="Resolution", icon=":material/timer:"),
        st.Page(PAGES / "themes.py", title="Themes", icon=":material/topic:"),
    ],
    "CX leads": [
        st.Page(PAGES / "upload.py", title="Upload exports", icon=":material/upload_file:"),
        st.Page(PAGES / "data_status.py", title="Data status", icon=":material/database:"),
    ],
    "Analysts": [
        st.Page(PAGES / "definitions.py", title="Metric definitions", icon=":material/menu_book:"),
    ],
})

state.connection()  # a clear error (and stop) when the database cannot be opened
state.sidebar_filters()
with st.sidebar:
    st.caption(f"Database: `{state.settings().db_path}`")
    st.caption(":material/lock: Local mode: served on 127.0.0.1 only, no login configured.")
navigation.run()
