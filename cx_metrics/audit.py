"""Roles and the audit log (DuckDB tables ``user_roles`` and ``audit_log``).

Roles and what each may do live here, so the dashboard, the CLI and the tests share one definition:

* executive - the aggregate pages;
* cx_lead - that, plus uploading and undoing imports, the data status page, digest subscriptions and alert rules,
  and the follow-up worklist (claim, close, read follow-up notes);
* analyst - the aggregate pages plus the rows behind them (drill-through), verbatim comments and exports;
* admin - everything, plus users, roles, the audit log and undoing a follow-up.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pandas as pd

from cx_metrics.db import Connection, query

ROLES = ("executive", "cx_lead", "analyst", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "executive": frozenset({"view"}),
    "cx_lead": frozenset({"view", "upload", "subscriptions", "followup"}),
    "analyst": frozenset({"view", "rows", "verbatims", "export"}),
    "admin": frozenset({"view", "upload", "rows", "verbatims", "export", "admin", "subscriptions", "followup"}),
}
ACTIONS = ("login", "login_refused", "import", "undo", "remove_demo", "export", "role_change", "data_reset",
           # digests, alerts and their delivery (cx_metrics.digest, cx_metrics.alerts, cx_metrics.delivery)
           "subscription_change", "alert_rule_change", "alert", "delivery", "delivery_failed", "delivery_retry",
           # closed-loop follow-up (cx_metrics.followups)
           "followup_claim", "followup_close", "followup_undo")


def can(role: str | None, permission: str) -> bool:
    return role is not None and permission in PERMISSIONS.get(role, frozenset())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def record(cur: duckdb.DuckDBPyConnection, actor: str, action: str, detail: dict[str, Any] | None = None) -> None:
    """Append one event on ``cur`` (a cursor, e.g. inside the transaction the event belongs to)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    cur.execute("INSERT INTO audit_log (occurred_at, actor, action, detail) VALUES (?, ?, ?, ?)",
                [_now(), actor, action, json.dumps(detail or {}, default=str)])


def log(conn: Connection, actor: str, action: str, detail: dict[str, Any] | None = None) -> None:
    """Append one event on a cursor of its own."""
    cur = conn.cursor()
    try:
        record(cur, actor, action, detail)
    finally:
        cur.close()


def login_recorded(conn: Connection, actor: str, iss: str, sub: str, iat: str) -> bool:
    """Whether the sign-in of ``actor`` (``sub`` at ``iss``) whose ID token was issued at ``iat`` is already logged."""
    return bool(query(conn, "audit_login_recorded", {"actor": actor, "iss": iss, "sub": sub, "iat": iat}).iloc[0, 0])


def recent(conn: Connection, limit: int = 500) -> pd.DataFrame:
    return conn.cursor().execute(
        "SELECT event_id, occurred_at, actor, action, detail FROM audit_log ORDER BY event_id DESC LIMIT ?",
        [limit]).df()


def role_of(conn: Connection, email: str) -> str | None:
    rows = conn.cursor().execute("SELECT role FROM user_roles WHERE email = ?", [email.strip().lower()]).fetchall()
    return str(rows[0][0]) if rows else None


def roles(conn: Connection) -> pd.DataFrame:
    return conn.cursor().execute("SELECT email, role, updated_at, updated_by FROM user_roles ORDER BY email").df()


def set_role(conn: Connection, email: str, role: str | None, *, by: str) -> None:
    """Give ``email`` a role (None removes it); audited in the same transaction."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError(f"{email!r} is not an email address")
    if role is not None and role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    cur = conn.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        old = cur.execute("SELECT role FROM user_roles WHERE email = ?", [email]).fetchall()
        if role is None:
            cur.execute("DELETE FROM user_roles WHERE email = ?", [email])
        else:
            cur.execute("INSERT OR REPLACE INTO user_roles VALUES (?, ?, ?, ?)", [email, role, _now(), by])
        record(cur, by, "role_change", {"email": email, "from": old[0][0] if old else None, "to": role})
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()
