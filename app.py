"""Serve the dashboard: ``streamlit run app.py`` (what ``make run`` does).

``dashboard.py`` is the Streamlit script; this puts it behind the HTTP guard (:mod:`cx_ui.http_guard`), which
refuses the Streamlit routes that would answer without a login. With login configured, or on a non-loopback
address, the dashboard refuses to serve when started without it (``streamlit run dashboard.py``).

The server process also starts its delivery thread here, once, before any session opens (:mod:`cx_metrics.scheduler`:
due digests and alert rules, unless ``[delivery] in_dashboard = false``), so a dashboard nobody has opened delivers.
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from cx_metrics import scheduler
from cx_metrics.config import ConfigError, load_settings
from cx_ui.http_guard import Guard

try:
    scheduler.start(load_settings())
except ConfigError:
    pass  # every page says what is wrong with the settings (state.check_database); nothing can be delivered meanwhile

app = st.App(Path(__file__).resolve().parent / "dashboard.py", middleware=[Middleware(Guard)])
