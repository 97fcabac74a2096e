"""Sending one message: e-mail over SMTP (STARTTLS or implicit TLS, certificates verified, never in the clear),
and JSON posts to Slack and Microsoft Teams incoming webhooks (https, or http to this machine only)."""

from __future__ import annotations

import base64
import ipaddress
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from cx_metrics.delivery.secrets import Secrets, Smtp

TIMEOUT_S = 20


class DeliveryError(RuntimeError):
    """One attempt failed; the message stays in the outbox and is tried again later."""


def channel_of(recipient: str) -> str:
    """'email', 'slack' or 'teams' for a recipient ('name@example.com', 'slack:NAME', 'teams:NAME')."""
    kind, sep, name = recipient.partition(":")
    if sep and kind in ("slack", "teams") and name:
        return kind
    if "@" in recipient and not sep and " " not in recipient.strip():
        return "email"
    raise ValueError(f"{recipient!r} is not a recipient: give an e-mail address, or slack:NAME / teams:NAME for a "
                     "webhook named in the secrets file")


def build_email(smtp: Smtp, recipient: str, subject: str, body: dict[str, Any], attachment: bytes | None,
                attachment_name: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = smtp.sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="cx-dashboard")
    msg.set_content(str(body.get("text", "")))
    if body.get("html"):
        msg.add_alternative(str(body["html"]), subtype="html")
        html_part = msg.get_body(preferencelist=("html",))
        assert isinstance(html_part, EmailMessage)
        for cid, data in dict(body.get("images", {})).items():
            html_part.add_related(base64.b64decode(data), "image", "png", cid=f"<{cid}>",
                                  filename=f"{cid.split('@')[0]}.png")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf",
                           filename=attachment_name or "digest.pdf")
    return msg


def _tls_context(smtp: Smtp) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if smtp.ca_file:
        context.load_verify_locations(cafile=smtp.ca_file)
    return context


def send_email(secrets: Secrets, msg: EmailMessage) -> None:
    smtp = secrets.smtp
    if smtp is None:
        raise DeliveryError(f"No SMTP server is configured ([smtp] in the secrets file {secrets.source}, or "
                            "CX_SMTP_HOST), so e-mail cannot be sent.")
    context = _tls_context(smtp)
    try:
        if smtp.tls == "implicit":
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT_S, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_S)
        with client:
            client.ehlo()
            if smtp.tls == "starttls":
                if not client.has_extn("starttls"):
                    raise DeliveryError(f"The SMTP server {smtp.host}:{smtp.port} does not offer STARTTLS; mail is "
                                        "never sent in the clear. Use its TLS port (tls = \"implicit\", port 465).")
                client.starttls(context=context)
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(msg)
    except DeliveryError:
        raise
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise DeliveryError(f"SMTP {smtp.host}:{smtp.port}: {type(exc).__name__}: {exc}") from exc


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme == "http" and loopback:
        return
    raise DeliveryError(f"Webhook addresses must be https (http only to this machine), got {parts.scheme}://{host}")


def post_webhook(url: str, payload: dict[str, Any]) -> None:
    _check_url(url)
    data = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "cx-dashboard"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:200].decode("utf-8", "replace")
        raise DeliveryError(f"webhook answered HTTP {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"webhook not reached: {exc}") from exc


def slack_payload(title: str, lines: list[str], link: str = "") -> dict[str, Any]:
    """A Slack incoming-webhook message: a header, the lines as mrkdwn, and a button to the dashboard."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    if link:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open in the dashboard"}, "url": link}]})
    return {"text": title, "blocks": blocks}


def teams_payload(title: str, lines: list[str], link: str = "") -> dict[str, Any]:
    """A Microsoft Teams message with an Adaptive Card (accepted by Workflows and incoming-webhook connectors)."""
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium",
                                   "wrap": True}]
    body += [{"type": "TextBlock", "text": line, "wrap": True, "spacing": "Small"} for line in lines]
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                            "version": "1.4", "body": body}
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in the dashboard", "url": link}]
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "contentUrl": None, "content": card}]}


def webhook_payload(channel: str, title: str, lines: list[str], link: str = "") -> dict[str, Any]:
    return slack_payload(title, lines, link) if channel == "slack" else teams_payload(title, lines, link)
