"""Delivery credentials: the SMTP account and the webhook addresses, from the environment or a secrets file kept
outside the repository.

The file is ``$CX_SECRETS_FILE`` or ``~/.config/cx-dashboard/secrets.toml``::

    [smtp]
    host = "smtp.example.com"
    port = 587                 # STARTTLS; 465 with tls = "implicit"
    username = "cx-digest"
    password = "..."
    from = "CX dashboard <cx@example.com>"
    # ca_file = "/etc/ssl/private-ca.pem"   # a private CA to trust besides the system's

    [slack]
    cx-alerts = "https://hooks.slack.com/services/..."

    [teams]
    cx-leads = "https://....webhook.office.com/..."

Environment variables override the file: ``CX_SMTP_HOST``, ``CX_SMTP_PORT``, ``CX_SMTP_USERNAME``,
``CX_SMTP_PASSWORD``, ``CX_SMTP_FROM``, ``CX_SMTP_TLS``, ``CX_SMTP_CA_FILE``, and ``CX_SLACK_WEBHOOK_<NAME>`` /
``CX_TEAMS_WEBHOOK_<NAME>`` (the name in lower case, ``_`` read as ``-``). A recipient ``slack:cx-alerts`` is
posted to the Slack webhook named ``cx-alerts``.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cx_metrics.config import PROJECT_ROOT, ConfigError

CHANNELS = ("slack", "teams")


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    tls: str = "starttls"  # "starttls" or "implicit" (port 465)
    ca_file: str = ""


@dataclass(frozen=True)
class Secrets:
    smtp: Smtp | None = None
    webhooks: dict[str, str] = field(default_factory=dict, repr=False)  # "slack:name" -> URL
    source: str = ""  # where they were read from (for messages; never the values)

    def webhook(self, recipient: str) -> str:
        if recipient not in self.webhooks:
            kind, _, name = recipient.partition(":")
            raise ConfigError(
                f"No {kind} webhook named {name!r}: add it under [{kind}] in the secrets file ({self.source}) or "
                f"set CX_{kind.upper()}_WEBHOOK_{name.upper().replace('-', '_')}.")
        return self.webhooks[recipient]


def default_path() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "cx-dashboard" / "secrets.toml"


def _check_file(path: Path) -> None:
    resolved = path.resolve()
    if resolved.is_relative_to(PROJECT_ROOT.resolve()):
        raise ConfigError(f"The secrets file {path} is inside the project folder, where it could be committed. "
                          f"Move it out (the default is {default_path()}) and point CX_SECRETS_FILE at it.")
    mode = resolved.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"The secrets file {path} can be read by other users; run `chmod 600 {path}`.")


def load_secrets(env: dict[str, str] | None = None) -> Secrets:
    """Read the secrets (file first, then the environment over it). Raises ConfigError on an unusable file."""
    env = dict(os.environ) if env is None else env
    path = Path(env["CX_SECRETS_FILE"]).expanduser() if env.get("CX_SECRETS_FILE") else default_path()
    data: dict[str, object] = {}
    source = "environment"
    if env.get("CX_SECRETS_FILE") and not path.is_file():
        raise ConfigError(f"CX_SECRETS_FILE points at {path}, which does not exist.")
    if path.is_file():
        _check_file(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The secrets file {path} is not valid TOML: {exc}") from exc
        source = str(path)
    raw_smtp = dict(data.get("smtp", {}))  # type: ignore[call-overload]
    for key, name in (("host", "CX_SMTP_HOST"), ("port", "CX_SMTP_PORT"), ("username", "CX_SMTP_USERNAME"),
                      ("password", "CX_SMTP_PASSWORD"), ("from", "CX_SMTP_FROM"), ("tls", "CX_SMTP_TLS"),
                      ("ca_file", "CX_SMTP_CA_FILE")):
        if env.get(name):
            raw_smtp[key] = env[name]
    smtp = None
    if raw_smtp.get("host"):
        try:
            port = int(raw_smtp.get("port", 587))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[smtp] port must be a number, got {raw_smtp.get('port')!r}") from exc
        tls = str(raw_smtp.get("tls", "implicit" if port == 465 else "starttls"))
        if tls not in ("starttls", "implicit"):
            raise ConfigError(f"[smtp] tls must be 'starttls' or 'implicit', got {tls!r}; mail is never sent in "
                              "the clear.")
        smtp = Smtp(host=str(raw_smtp["host"]), port=port, username=str(raw_smtp.get("username", "")),
                    password=str(raw_smtp.get("password", "")), sender=str(raw_smtp.get("from", "")), tls=tls,
                    ca_file=str(raw_smtp.get("ca_file", "")))
        if not smtp.sender:
            raise ConfigError("[smtp] needs a from address (from = \"CX dashboard <cx@example.com>\") or CX_SMTP_FROM.")
    webhooks: dict[str, str] = {}
    for kind in CHANNELS:
        for name, url in dict(data.get(kind, {})).items():  # type: ignore[call-overload]
            webhooks[f"{kind}:{name}"] = str(url)
        prefix = f"CX_{kind.upper()}_WEBHOOK_"
        for key, url in env.items():
            if key.startswith(prefix) and url:
                webhooks[f"{kind}:{key[len(prefix):].lower().replace('_', '-')}"] = url
    return Secrets(smtp=smtp, webhooks=webhooks, source=source)
