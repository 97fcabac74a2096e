"""Who is looking, and what they may see.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` the dashboard uses Streamlit's OpenID Connect login
(``st.login``); the role comes from the identity provider's claim (``[access] role_claim``, default ``roles``),
else from the email-to-role table admins edit in the app; ``[access] admins`` are always admins. A signed-in
user with no role sees no data. Without ``[auth]`` the app is in local mode: one local user with every right,
served on loopback only. On any other bind address (an unset ``server.address`` binds every interface) local mode
is never granted: :func:`current_user` returns nobody and :func:`require` shows the refusal, unless
``[access] allow_unauthenticated`` says another layer authenticates users.

Every page calls :func:`require` before reading anything, not only ``dashboard.py``: a page file must refuse by
itself wherever it runs. (The page files live in ``views/``, not ``pages/``: a ``pages/`` directory next to the entry
script turns on Streamlit's legacy multipage mode for the whole process until some session reaches
``st.navigation``, and a page URL opened first then ran its file alone, without the router.)
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import streamlit as st

from cx_metrics import audit
from cx_metrics.text.escape import md
from cx_ui import http_guard, state

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class User:
    email: str
    name: str
    role: str | None
    local: bool = False  # no login configured: the person at this machine
    subject: str = ""  # "<sub> at <issuer>": who the identity provider says this is, verified e-mail or not

    def can(self, permission: str) -> bool:
        return audit.can(self.role, permission)

    @property
    def label(self) -> str:
        if self.local:
            return "local user"
        return self.email or f"{self.subject} (no verified e-mail)"


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError):  # no secrets file at all
        return False


def is_loopback(address: str) -> bool:
    """Whether a server bound to ``address`` is reachable from this machine only ("" = unset = every interface)."""
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


def bind_address() -> str:
    return str(st.get_option("server.address") or "")


#: cookie secrets copied from documentation rather than generated
PLACEHOLDER_SECRETS = {"a long random string", "changeme", "change-me", "change_me", "secret", "cookie_secret",
                       "your-secret", "your_secret", "xxx", "...", "random", "replace-me", "todo"}
#: a word standing on its own (between separators or at an end) in a would-be secret: a phrase, not a key (a generated
#: key may contain such letters, but hardly ever between separators)
_WORDY = re.compile(r"(?<![A-Za-z0-9])(?:random|secret|cookie|password|passwd|changeme|change|example|placeholder|"
                    r"string|test|long)(?![A-Za-z0-9])", re.IGNORECASE)


def weak_secret(secret: object) -> str | None:
    """Why ``secret`` is not fit to sign login cookies (None: it is). A generated key is long, has no spaces and no
    words: ``python -c "import secrets; print(secrets.token_urlsafe(48))"``."""
    text = str(secret or "")
    if not text.strip():
        return "missing"
    if text.strip().lower() in PLACEHOLDER_SECRETS:
        return "the placeholder from the documentation"
    if len(text) < 32:
        return f"only {len(text)} characters long (a generated one has 64)"
    if any(ch.isspace() for ch in text) or _WORDY.search(text):
        return "a phrase, not a generated key"
    if len(set(text)) < 12:
        return "made of too few different characters"
    return None


def _unguarded() -> bool:
    """Served by a plain ``streamlit run dashboard.py``: without the HTTP guard of ``app.py`` (not under AppTest,
    which serves nothing over HTTP)."""
    from streamlit import config

    return getattr(config, "_server_mode", None) == "starlette-managed" and not http_guard.active()


def serving_refusal() -> str | None:
    """Why this process serves no data at all, or None when it may: local mode on a non-loopback address, a server
    reachable by others started without its HTTP guard (Streamlit would answer /_stcore/metrics to anyone), or a
    login whose cookie secret anyone could guess (a forged cookie is a login as anyone)."""
    loopback = is_loopback(bind_address())
    if not auth_configured() and not loopback and not state.settings().allow_unauthenticated:
        where = bind_address() or "every network interface (server.address is not set)"
        return (f"This dashboard holds customer data and no login is configured, so it will not serve on {where}. "
                "Configure OpenID Connect login ([auth] in .streamlit/secrets.toml, see the README), serve on "
                "127.0.0.1 (`make run`, or --server.address 127.0.0.1), or set [access] allow_unauthenticated = "
                "true in cx.toml if another layer authenticates users.")
    if (auth_configured() or not loopback) and _unguarded():
        return ("This dashboard was started with `streamlit run dashboard.py`, without its HTTP guard, so Streamlit "
                "would answer some requests (/_stcore/metrics) without a login; it will not serve like this. Start "
                "it with `streamlit run app.py` (what `make run` does), with the same options.")
    if not auth_configured():
        return None
    try:
        why = weak_secret(st.secrets["auth"].get("cookie_secret"))
    except (AttributeError, KeyError):
        why = "missing"
    if why is None:
        return None
    return (f"Login is configured, but its cookie_secret ([auth] in .streamlit/secrets.toml) is {why}: anyone who "
            "knows it can forge a login cookie, so the dashboard will not serve. Generate one with "
            "`python -c \"import secrets; print(secrets.token_urlsafe(48))\"`, put it there, and restart.")


def gate(*, rerun: bool = True) -> bool:
    """What every run passes before anything is drawn: the refusal when :func:`serving_refusal` says this process
    must serve nothing, and the data grid's own "Download as CSV" off (it would bypass the role check, the audit
    log and the formula guard of :func:`download_button`). The project's config and every server it starts turn
    it off; this holds it for a server started any other way (from the next run on, hence the rerun).

    Returns True when it turned the download off in this run. ``rerun=False``: the caller reruns instead, which
    dashboard.py does after ``st.navigation``: a rerun before it would lose the page a deep link asked for."""
    reason = serving_refusal()
    if reason:
        st.error(reason)
        st.stop()
    if not st.get_option("client.disableDataExport"):
        st.set_option("client.disableDataExport", True)
        if rerun:
            st.rerun()
        return True
    return False


#: seconds of clock difference with the identity provider tolerated when reading a token's expiry
CLOCK_LEEWAY = 10
_FRESH = "cx.login_fresh"  # session state: this session started from an unexpired sign-in
_audited_logins: set[tuple[str, str, str, str]] = set()  # (actor, issuer, subject, issued at) already logged


def trusted_email(claims: dict[str, Any], claim: str) -> str:
    """The address that names this user for the admins list and the role table, or "" when none is trusted.

    The ``email`` claim counts only with ``email_verified`` true: many providers let a user type any address into
    their profile. Another configured claim (``[access] email_claim``) is the administrator's decision to trust it.
    The subject is never used as an address: a ``sub`` that looks like an admin's address is not that admin."""
    value = str(claims.get(claim) or "").strip().lower()
    if claim == "email" and claims.get("email_verified") not in (True, "true", "True", 1):
        return ""
    return value


def _expired(claims: dict[str, Any]) -> bool:
    try:
        return float(claims["exp"]) < time.time() - CLOCK_LEEWAY
    except (KeyError, TypeError, ValueError):
        return False  # OpenID Connect ID tokens always carry exp; nothing to judge by otherwise


def current_user() -> User | None:
    """The signed-in user with their role (role None: signed in but not allowed), or None before login.

    Local mode (no login configured) is the local user with every right, granted only where
    :func:`serving_refusal` allows it; elsewhere nobody.

    With login, the role is worked out afresh on every run: ``[access] admins`` and the role table are read again,
    and the identity provider's claims are trusted only from a sign-in whose ID token had not expired when this
    session started. Streamlit's login cookie lasts 30 days; a session that starts after the token's expiry gets
    None (:func:`ask_to_sign_in` says why), so a role or an account removed at the provider ends with the token."""
    if not auth_configured():
        if serving_refusal():
            return None
        return User("local", "local user", "admin", local=True)
    if not st.user.is_logged_in:
        return None
    claims = st.user.to_dict()
    if not st.session_state.get(_FRESH):
        if _expired(claims):
            return None
        st.session_state[_FRESH] = True
    s = state.settings()
    email = trusted_email(claims, s.email_claim)
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    name = str(claims.get("name") or email or subject)
    if email and email in {a.strip().lower() for a in s.admins}:
        role: str | None = "admin"
    else:
        role = _claim_role(claims, s.role_claim) or (state.role_of(email) if email else None)
    user = User(email, name, role, subject=f"{subject} at {issuer}")
    signed_in = (user.label, issuer, subject, str(claims.get("iat") or ""))
    # once per sign-in, not per page load (on the Spark engine too: the audit log stays in the DuckDB file)
    if signed_in not in _audited_logins:
        _audited_logins.add(signed_in)
        detail = {"role": role, "name": name, "iss": issuer, "sub": subject, "iat": signed_in[3],
                  "email_claim": claims.get(s.email_claim), "email_verified": claims.get("email_verified")}
        with state.reading() as conn:
            recorded = audit.login_recorded(conn, *signed_in)
        if not recorded:  # a short write section: the connection is read-write only for this insert
            state.audit_log(user.label, "login" if role else "login_refused", detail)
    return user


def ask_to_sign_in(key: str) -> NoReturn:
    """The sign-in prompt (with why, when a sign-in has expired), then stop."""
    if auth_configured() and st.user.is_logged_in:
        st.warning("Your sign-in has expired, so your role is read again from your organisation's account: please "
                   "sign in again.")
        st.button("Sign in again", on_click=st.login, key=key, type="primary")
    else:
        st.warning("Please sign in to see this page.")
        st.button("Sign in", on_click=st.login, key=key, type="primary")
    st.stop()


def require(permission: str = "view") -> User:
    """Stop the page with a plain message unless the current user may ``permission``; return the user."""
    gate()
    user = current_user()
    if user is None:
        ask_to_sign_in("auth_sign_in_page")
    if not user.can(permission):
        st.error(f"Not allowed: {md(user.label)} ({user.role or 'no role'}) may not open this page. "
                 "Ask an admin for a role that includes it.")
        st.stop()
    return user


#: seconds an export's one-off link (/media/...) lives after the click that made it: long enough for the browser to
#: fetch it, too short to be fetched again later without a session
EXPORT_LINK_SECONDS = 10.0


def download_button(label: str, data: bytes | Callable[[], bytes], file_name: str, *, key: str,
                    mime: str = "text/csv", permission: str = "export", **kwargs: Any) -> None:
    """An export: shown only to roles with ``permission`` (default: export).

    Nothing is put at a download link until the person clicks: the file is made then (``data`` may be a function),
    the click is audited with the file's name and size, and the link is withdrawn :data:`EXPORT_LINK_SECONDS`
    later, so an export cannot be fetched by URL without a session, after the browser is closed, or unaudited."""
    user = current_user()
    if user is None or not user.can(permission):
        st.caption(f":material/lock: Downloads need the analyst role ({md(file_name)}).")
        return
    st.download_button(label, _on_click(user, file_name, data), file_name, mime, key=key,
                       on_click="ignore", **kwargs)


def _on_click(user: User, file_name: str, data: bytes | Callable[[], bytes]) -> Callable[[], bytes]:
    database = state.database()

    def produce() -> bytes:  # runs in the server when the button is clicked, outside the script run
        body = data() if callable(data) else data
        with database.writing() as conn:  # no audit entry, no file: a write that cannot happen fails the download
            audit.log(conn, user.label, "export", {"file": file_name, "bytes": len(body)})
        timer = threading.Timer(EXPORT_LINK_SECONDS, _withdraw_links)
        timer.daemon = True
        timer.start()
        return body

    return produce


def _withdraw_links() -> None:
    """Delete every download no session shows any more: the exports made by clicks (Streamlit marks such a file on
    one sweep and deletes it on the next, so two sweeps)."""
    from streamlit.runtime import Runtime

    if Runtime.exists():
        manager = Runtime.instance().media_file_mgr
        manager.remove_orphaned_files()
        manager.remove_orphaned_files()
