"""Who is looking, and what they may see.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` the dashboard uses Streamlit's OpenID Connect login
(``st.login``); the role comes from the identity provider's claim (``[access] role_claim``, default ``roles``),
else from the email-to-role table admins edit in the app; ``[access] admins`` are always admins. A signed-in
user with no role sees no data. Without ``[auth]`` the app is in local mode: one local user with every right,
served on 127.0.0.1 only (a non-loopback address is refused unless ``[access] allow_unauthenticated``).

Every page calls :func:`require` before reading anything, so a page reached by URL (Streamlit serves files in
``pages/`` by path) checks the role itself; navigation also lists only the pages a role may open.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from cx_metrics import audit
from cx_ui import state

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", ""}


@dataclass(frozen=True)
class User:
    email: str
    name: str
    role: str | None
    local: bool = False  # no login configured: the person at this machine

    def can(self, permission: str) -> bool:
        return audit.can(self.role, permission)

    @property
    def label(self) -> str:
        return "local user" if self.local else self.email


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError):  # no secrets file at all
        return False


def is_loopback(address: str) -> bool:
    if address in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _claim_role(claims: dict[str, Any], claim: str) -> str | None:
    value = claims.get(claim)
    values = value if isinstance(value, list) else [value] if value else []
    found = [str(v).strip().lower().replace("-", "_").replace(" ", "_") for v in values]
    for role in reversed(audit.ROLES):  # the most privileged role named wins
        if role in found:
            return role
    return None


def current_user() -> User | None:
    """The signed-in user with their role (role None: signed in but not allowed), or None before login."""
    if not auth_configured():
        return User("local", "local user", "admin", local=True)
    if not st.user.is_logged_in:
        return None
    claims = st.user.to_dict()
    email = str(claims.get("email") or claims.get("sub") or "").strip().lower()
    name = str(claims.get("name") or email)
    s = state.settings()
    if email in {a.strip().lower() for a in s.admins}:
        role: str | None = "admin"
    else:
        role = _claim_role(claims, s.role_claim) or audit.role_of(state.connection(), email)
    user = User(email, name, role)
    if not st.session_state.get("cx.audited_login"):
        st.session_state["cx.audited_login"] = True
        audit.log(state.connection(), email or "(no email)", "login" if role else "login_refused",
                  {"role": role, "name": name})
    return user


def require(permission: str = "view") -> User:
    """Stop the page with a plain message unless the current user may ``permission``; return the user."""
    user = current_user()
    if user is None:
        st.warning("Please sign in to see this page.")
        st.button("Sign in", on_click=st.login, key="auth_sign_in_page")
        st.stop()
    if not user.can(permission):
        st.error(f"Not allowed: {user.label} ({user.role or 'no role'}) may not open this page. "
                 "Ask an admin for a role that includes it.")
        st.stop()
    return user


def download_button(label: str, data: bytes | Callable[[], bytes], file_name: str, *, key: str, mime: str = "text/csv",
                    permission: str = "export", **kwargs: Any) -> None:
    """An export: shown only to roles with ``permission`` (default: export); each download is audited."""
    user = current_user()
    if user is None or not user.can(permission):
        st.caption(f":material/lock: Downloads need the analyst role ({file_name}).")
        return
    st.download_button(label, data, file_name, mime, key=key, on_click=_log_export(user, file_name), **kwargs)


def _log_export(user: User, file_name: str) -> Callable[[], None]:
    def log() -> None:
        audit.log(state.connection(), user.label, "export", {"file": file_name})

    return log
