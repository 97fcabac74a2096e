"""Admin: who may see what (roles by email) and what happened (the audit log)."""

from __future__ import annotations

import json

import streamlit as st

from cx_metrics import audit, db
from cx_metrics.export import to_safe_csv
from cx_metrics.text.escape import md
from cx_ui import auth, state, tables

st.title("Users and audit log")
user = auth.require("admin")
s = state.settings()

st.subheader("Roles")
st.caption(
    "executive: the aggregate pages · cx_lead: that, plus uploads, undo and data status · analyst: the aggregate "
    "pages, the rows behind them, verbatim comments and exports · admin: everything, plus this page. "
    f"A role sent by the identity provider in the `{s.role_claim}` claim takes precedence over this table; "
    + (f"always admins (cx.toml [access] admins): {', '.join(s.admins)}." if s.admins else
       "no bootstrap admins are configured ([access] admins in cx.toml).")
)
with state.reading() as conn:
    roles = audit.roles(conn)
tables.show(roles, key="admin_roles")
with st.form("role_form", clear_on_submit=True):
    left, right = st.columns([2, 1])
    email = left.text_input("Email", key="admin_email", placeholder="name@company.com")
    role = right.selectbox("Role", [*audit.ROLES, "(remove)"], key="admin_role")
    if st.form_submit_button("Save"):
        try:
            with state.writing() as conn:
                audit.set_role(conn, email, None if role == "(remove)" else role, by=user.label)
        except (ValueError, db.DatabaseError) as exc:
            st.error(md(str(exc)))
        else:
            st.success(f"{md(email.strip().lower())}: {role}. The change is in the audit log.")

st.subheader("Audit log")
with state.reading() as conn:
    log = audit.recent(conn)
actions = st.multiselect("Actions", audit.ACTIONS, key="admin_actions")
if actions:
    log = log[log["action"].isin(actions)]
log = log.assign(detail=log["detail"].map(lambda d: json.dumps(json.loads(d)) if isinstance(d, str) else d))
tables.show(log, key="admin_log")
auth.download_button("Download the audit log (CSV)", lambda: to_safe_csv(log), "audit-log.csv",
                     key="admin_log_download", permission="admin")
st.caption("Logins (once per sign-in, and refused ones), imports, undos, demo removals, exports, role changes and "
           "data resets, newest first; append-only.")
