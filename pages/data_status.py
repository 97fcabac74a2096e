"""Data status for CX leads: what the database holds and where it came from."""

from __future__ import annotations

import streamlit as st

from cx_ui import auth, state

st.title("Data status")
auth.require("upload")
path, version = state.key()
st.caption(f"Database file: `{path}` · data version {version}")

left, right = st.columns([1, 2])
with left:
    st.subheader("Rows per table")
    st.dataframe(state.table_counts(path, version), hide_index=True, width="stretch")
with right:
    st.subheader("Imports")
    imports = state.imports(path, version)
    if imports.empty:
        st.info("No imports yet. Run `cx demo` for the demo dataset.")
    else:
        st.dataframe(imports, hide_index=True, width="stretch")
        st.caption("Every loaded row carries its import id, so an import can be undone exactly.")
