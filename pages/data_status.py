"""Data status for CX leads: what the database holds and where it came from."""

from __future__ import annotations

import streamlit as st

from cx_ui import auth, state, tables

st.title("Data status")
auth.require("upload")
path, version = state.key()
st.caption(f"Database file: `{path}` · data version {version}")

left, right = st.columns([1, 2])
with left:
    st.subheader("Rows per table")
    tables.show(state.table_counts(path, version), key="status_tables")
with right:
    st.subheader("Imports")
    imports = state.imports(path, version)
    if imports.empty:
        st.info("No imports yet. Run `cx demo` for the demo dataset.")
    else:
        tables.show(imports, key="status_imports")
        st.caption("Every loaded row carries its import id, so an import can be undone exactly.")
