"""Data status for CX leads: what the database holds and where it came from."""

from __future__ import annotations

import streamlit as st

from cx_metrics.metrics import base
from cx_ui import auth, data_state, state, tables

st.title("Data status")
user = auth.require("upload")
state.show_flash()
path, version = state.key()
st.caption(f"Database file: `{path}` · data version {version}")

found = state.contents()
st.markdown(f"**What it holds:** {found.summary()}")
if found.has_demo:
    if st.session_state.get("status_remove_demo"):
        st.warning(f"Remove the demo dataset ({base.Contents.describe(found.demo_rows)})? "
                   + (f"Your own data stays ({base.Contents.describe(found.own_rows)}). " if found.has_own else
                      "Nothing else is in the database, so it will be empty until you import your exports. ")
                   + "Theme models fitted on its texts go with it. The removal is recorded in the audit log.")
        yes, no = st.columns([2, 3])
        if yes.button("Remove the demo data", type="primary", key="status_remove_demo_yes"):
            removed = data_state.remove_demo(actor=user.label)
            st.session_state.pop("status_remove_demo", None)
            state.flash("success", f"The demo dataset was removed ({base.Contents.describe(removed)}). "
                        + ("Every page now shows your data only." if found.has_own else "The database is empty."))
            st.rerun()
        if no.button("Cancel", key="status_remove_demo_no"):
            st.session_state.pop("status_remove_demo", None)
            st.rerun()
    elif st.button("Remove the demo data…", key="status_remove_demo_ask",
                   help="Deletes the demo's rows and keeps every import of yours."):
        st.session_state["status_remove_demo"] = True
        st.rerun()

left, right = st.columns([1, 2])
with left:
    st.subheader("Rows per table")
    tables.show(state.table_counts(), key="status_tables")
with right:
    st.subheader("Imports")
    imports = data_state.imports()
    if imports.empty:
        st.info("No imports yet. Run `cx demo` for the demo dataset.")
    else:
        tables.show(imports, key="status_imports")
        st.caption("Every loaded row carries its import id, so an import can be undone exactly.")
