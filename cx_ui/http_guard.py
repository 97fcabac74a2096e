"""The dashboard's HTTP guard: ASGI middleware in front of Streamlit (``app.py`` mounts it with ``st.App``).

Streamlit answers some routes itself, before any script runs and so before any login check. This refuses those the
dashboard does not need: ``/_stcore/metrics`` (OpenMetrics of the server: sessions, and every cached function
with its size) answers nobody. Everything else passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: paths (after any base URL path) answered with 404 for everyone
REFUSED = ("/_stcore/metrics",)
_active = False


def active() -> bool:
    """Whether this process serves the dashboard behind the guard (``streamlit run app.py``)."""
    return _active


class Guard:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        global _active
        _active = True
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", "")).rstrip("/")
        if scope.get("type") == "http" and any(path.endswith(refused) for refused in REFUSED):
            body = b"Not served by this dashboard.\n"
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
