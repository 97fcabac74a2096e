"""Loopback servers that capture what is sent: SMTP with STARTTLS (a certificate authority made in the test) and
an HTTP server for webhook posts that can be told to fail."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from cx_metrics.delivery.secrets import Secrets, Smtp
from cx_ui.serve import free_port

USER, PASSWORD = "cx-digest", "s3cret-pass"


@dataclass
class Captured:
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)


class _Handler:
    def __init__(self, captured: Captured) -> None:
        self.captured = captured

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        self.captured.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.captured.tls.append(session.ssl is not None)
        return "250 OK"


def _authenticator(captured: Captured) -> Any:
    def check(server: SMTP, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
        if ok:
            captured.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def smtp_server(tmp: Path, *, starttls: bool = True) -> Iterator[tuple[Captured, Secrets]]:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS before AUTH (certificate for 127.0.0.1 signed by a CA made here)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_ctx = cert.configure_cert  # applied to a fresh server context below
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx(context)
    captured = Captured()
    kwargs: dict[str, Any] = {"authenticator": _authenticator(captured), "auth_require_tls": True}
    if starttls:
        kwargs.update(tls_context=context, require_starttls=True)
    port = free_port()
    controller = Controller(_Handler(captured), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        secrets = Secrets(smtp=Smtp(host="127.0.0.1", port=port, username=USER, password=PASSWORD,
                                    sender="CX dashboard <cx@example.com>", ca_file=str(ca_file)),
                          webhooks={}, source="test")
        yield captured, secrets
    finally:
        controller.stop()


@dataclass
class Posts:
    bodies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_next: int = 0  # answer this many posts with HTTP 500 first


@contextmanager
def webhook_server() -> Iterator[tuple[Posts, str]]:
    posts = Posts()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if posts.fail_next > 0:
                posts.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"busy")
                return
            posts.bodies.append((self.path, body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield posts, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
