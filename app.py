"""Serve the dashboard: ``streamlit run app.py`` (what ``make run`` does).

``dashboard.py`` is the Streamlit script; this puts it behind the HTTP guard (:mod:`cx_ui.http_guard`), which
refuses the Streamlit routes that would answer without a login. With login configured, or on a non-loopback
address, the dashboard refuses to serve when started without it (``streamlit run dashboard.py``).
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from cx_ui.http_guard import Guard

app = st.App(Path(__file__).resolve().parent / "dashboard.py", middleware=[Middleware(Guard)])
