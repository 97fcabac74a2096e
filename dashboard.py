"""CX dashboard: router and frame. Run with `make run` (or `streamlit run dashboard.py`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cx_ui import auth, state, url_state

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"

st.set_page_config(page_title="CX dashboard", page_icon=":material/insights:", layout="wide")

settings = state.settings()
address = str(st.get_option("server.address") or "")
if not auth.auth_configured() and not auth.is_loopback(address) and not settings.allow_unauthenticated:
    st.error(f"This dashboard holds customer data and no login is configured, so it will not serve on {address}. "
             "Configure OpenID Connect login ([auth] in .streamlit/secrets.toml, see the README), serve on "
             "127.0.0.1, or set [access] allow_unauthenticated = true if another layer authenticates users.")
    st.stop()

user = auth.current_user()
if user is None:
    st.title("CX dashboard")
    st.write("Sign in with your organisation's account to see the dashboard.")
    st.button("Sign in", on_click=st.login, type="primary", key="auth_sign_in")
    st.stop()
if user.role is None:
    st.title("CX dashboard")
    st.error(f"You are signed in as {user.email}, but your account has no role here yet, so no data is shown. "
             "Ask an admin to give you one (executive, cx_lead, analyst or admin).")
    st.button("Sign out", on_click=st.logout, key="auth_sign_out_norole")
    st.stop()

# Every page is listed explicitly, grouped by who uses it, and only where the role may open it (each page also
# checks for itself: a page reached by its URL shows "not allowed" and no data).
ALL_PAGES: dict[str, list[tuple[str, dict[str, object]]]] = {
    "Executives": [
        ("view", {"page": PAGES / "overview.py", "title": "Overview", "icon": ":material/dashboard:",
                  "default": True}),
        ("view", {"page": PAGES / "complaints.py", "title": "Complaint trends", "icon": ":material/trending_up:"}),
        ("view", {"page": PAGES / "resolution.py", "title": "Resolution", "icon": ":material/timer:"}),
        ("view", {"page": PAGES / "surveys.py", "title": "Surveys", "icon": ":material/reviews:"}),
        ("view", {"page": PAGES / "churn.py", "title": "Churn", "icon": ":material/person_remove:"}),
        ("view", {"page": PAGES / "themes.py", "title": "Themes", "icon": ":material/topic:"}),
    ],
    "CX leads": [
        ("upload", {"page": PAGES / "upload.py", "title": "Upload exports", "icon": ":material/upload_file:"}),
        ("upload", {"page": PAGES / "data_status.py", "title": "Data status", "icon": ":material/database:"}),
        ("subscriptions", {"page": PAGES / "digests.py", "title": "Digests and alerts",
                           "icon": ":material/notifications:"}),
    ],
    "Analysts": [
        ("rows", {"page": PAGES / "cohorts.py", "title": "Cohorts", "icon": ":material/groups:"}),
        ("view", {"page": PAGES / "definitions.py", "title": "Metric definitions", "icon": ":material/menu_book:"}),
    ],
    "Admin": [
        ("admin", {"page": PAGES / "admin.py", "title": "Users and audit log", "icon": ":material/shield_person:"}),
    ],
}
navigation = st.navigation({
    section: [st.Page(**spec) for permission, spec in pages if user.can(permission)]  # type: ignore[arg-type]
    for section, pages in ALL_PAGES.items()
    if any(user.can(permission) for permission, _ in pages)
})

state.connection()  # a clear error (and stop) when the database cannot be opened
url_state.apply_filters_from_url()  # a shared link's period and filters, once per session
state.sidebar_filters()
with st.sidebar:
    st.caption(f"Database: `{settings.db_path}`")
    if user.local:
        st.info(":material/lock: **Local mode**: no login is configured, so the dashboard is served on "
                f"{address or '127.0.0.1'} only and you have every right.")
    else:
        st.caption(f"Signed in as **{user.name}** ({user.role})")
        st.button("Sign out", on_click=st.logout, key="auth_sign_out")
navigation.run()
