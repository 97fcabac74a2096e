"""CX dashboard: router and frame. Run with `make run` (or `streamlit run app.py`, which serves this script behind
the HTTP guard)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cx_metrics import db
from cx_metrics.text.escape import md
from cx_ui import auth, state, url_state

HERE = Path(__file__).resolve().parent
PAGES = HERE / "views"

st.set_page_config(page_title="CX dashboard", page_icon=":material/insights:", layout="wide")
# Upload exports states the importer's own size limit; Streamlit's line under its uploader would round it (512 MB
# reads "1GB per file"), so that line is hidden. The style is the first thing every run sends: emitted by the page
# itself, it was missing for a moment during each rerun and the rounded line flashed (measured in Chromium).
st.html("<style>[data-testid='stFileUploaderDropzoneInstructions'] {display: none;}</style>")

settings = state.settings()
address = auth.bind_address()
# every page also passes it (auth.require); its rerun waits for st.navigation below, so a deep link keeps its page
export_turned_off = auth.gate(rerun=False)

signed_in = auth.current_user()
if signed_in is None:
    st.title("CX dashboard")
    st.write("Sign in with your organisation's account to see the dashboard.")
    auth.ask_to_sign_in("auth_sign_in")
user: auth.User = signed_in
if user.role is None:
    st.title("CX dashboard")
    why = ("" if user.email else " Your identity provider did not send a verified e-mail address, so the role table "
           "cannot name you; ask an admin to give you a role at the identity provider.")
    st.error(f"You are signed in as {md(user.label)}, but your account has no role here yet, so no data is shown. "
             f"Ask an admin to give you one (executive, cx_lead, analyst or admin).{why}")
    st.button("Sign out", on_click=st.logout, key="auth_sign_out_norole")
    st.stop()

# Every page is registered, grouped by who uses it; the menu shows only those the role may open. The others are
# hidden, not missing: opened by their URL they run and refuse ("Not allowed", no data) instead of a silent redirect.
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
        ("view", {"page": PAGES / "followups.py", "title": "Follow-ups", "icon": ":material/call:"}),
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
    section: [st.Page(**spec, visibility="visible" if user.can(permission) else "hidden")  # type: ignore[arg-type]
              for permission, spec in pages]
    for section, pages in ALL_PAGES.items()
}, expanded=True)  # every page the role may open in view: collapsed, the menu hides all after the tenth
if export_turned_off:
    st.rerun()  # the page resolved above is the rerun's: a link to /complaints opened first stays on it

def frame() -> None:
    """The shared frame (filters, who is signed in) and the page."""
    state.check_database()  # a clear error (and stop) when the database cannot be opened
    url_state.apply_filters_from_url()  # a shared link's period and filters, once per session
    state.sidebar_filters()
    state.data_notice(can_remove=user.can("upload"))  # demo and own data mixed: said on every page
    with st.sidebar:
        st.caption(f"Database: `{settings.db_path}`")
        if user.local and auth.is_loopback(address):
            st.info(":material/lock: **Local mode**: no login is configured, so the dashboard is served on "
                    f"{address} only and you have every right.")
        elif user.local:
            st.warning(f":material/lock_open: **No login**: served on {address or 'every interface'} without "
                       "login because [access] allow_unauthenticated is set; everyone who reaches it has every right.")
        else:
            st.caption(f"Signed in as **{md(user.name)}** ({user.role})")
            st.button("Sign out", on_click=st.logout, key="auth_sign_out")
    navigation.run()


try:
    frame()
except db.EngineError as exc:  # a full disk, a damaged file: say so in a sentence, not a traceback
    st.error(md(str(db.explain(exc, settings.db_path))))
