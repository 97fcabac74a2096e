"""A local OpenID Connect provider (oidc-provider-mock) for the login tests, on loopback, and the steps a person
takes to sign in through it in Chromium."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cx_ui.serve import free_port


@contextmanager
def provider(users: Sequence[Mapping[str, Any]], *, token_max_age: int | None = None) -> Iterator[str]:
    """Run the mock provider with ``users`` (claims, each with a ``sub``); yield its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    if token_max_age is not None:
        cmd += ["--token-max-age", str(token_max_age)]
    for user in users:
        cmd += ["--user-claims", json.dumps(user)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the mock OIDC provider did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def set_claims(provider_url: str, sub: str, claims: Mapping[str, Any]) -> None:
    """Change what the provider says about ``sub`` from now on (its next login)."""
    request = urllib.request.Request(f"{provider_url}/users/{sub}", data=json.dumps(dict(claims)).encode(),
                                     method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass


def secrets_file(folder: Path, port: int, provider_url: str, *, cookie_secret: str | None = None) -> Path:
    """A secrets.toml with an ``[auth]`` section for a dashboard on ``port`` and this provider."""
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{cookie_secret or secrets.token_urlsafe(48)}"\n'
        'client_id = "cx-dashboard"\n'
        'client_secret = "test-only"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n'
    )
    return path


def sign_in(browser: Any, url: str, sub: str, *, wait_for: str | None = None, width: int = 1400) -> Any:
    """Open ``url`` in a new browser context ``width`` pixels wide, sign in as ``sub``; return the page."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name="Sign in").click(timeout=60_000)
    page.get_by_role("button", name=sub, exact=True).click(timeout=30_000)  # the provider's user picker
    if wait_for:
        page.locator(wait_for).first.wait_for(timeout=60_000)
    return page
