"""Producing digests: one on demand (``cx digest``, the Overview's Download PDF), and every subscription that is
due (``cx digest --send-due`` under cron or a systemd timer), through the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from cx_metrics.config import Settings
from cx_metrics.db import Connection
from cx_metrics.delivery import outbox
from cx_metrics.delivery.secrets import Secrets, Smtp
from cx_metrics.delivery.transports import build_email, webhook_payload
from cx_metrics.digest import figures as figs
from cx_metrics.digest.links import view_link
from cx_metrics.digest.render import Rendered, Renderer, chromium, render
from cx_metrics.digest.subscriptions import PERIOD_OF, Subscription, all_subscriptions
from cx_metrics.filters import Filters, Period

RendererFactory = Callable[[], AbstractContextManager[Renderer]]


def make_digest(conn: Connection, settings: Settings, period: Period, filters: Filters | None, role: str,
                renderer: Renderer, *, email: bool = True, generated: dt.datetime | None = None) -> Rendered:
    """The digest of ``period`` and ``filters`` as ``role`` may read it, rendered (PDF, e-mail)."""
    f = filters or Filters()
    fig = figs.figures(conn, settings, period, f, role=role)
    link = view_link(settings.dashboard_url, "", period, f)
    return render(fig, renderer, link=link, generated=generated, email=email)


def digest_once(conn: Connection, settings: Settings, period: Period, filters: Filters | None, role: str, *,
                email: bool = True) -> Rendered:
    """One digest in a browser of its own: the figures are read from DuckDB on a second thread while Chromium
    starts (each cursor is its own, so the connection serves both), then rendered."""
    f = filters or Filters()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(figs.figures, conn, settings, period, f, role=role)
        with chromium() as renderer:
            fig = pending.result()
            return render(fig, renderer, link=view_link(settings.dashboard_url, "", period, f), email=email)


def pdf_bytes(conn: Connection, settings: Settings, period: Period, filters: Filters | None, role: str) -> bytes:
    """Just the PDF (the Overview's Download PDF button)."""
    return digest_once(conn, settings, period, filters, role, email=False).pdf


def file_name(period: Period, filters: Filters | None) -> str:
    suffix = "" if filters is None or filters.is_empty() else "-filtered"
    return f"cx-digest-{period.start}-{period.end}{suffix}.pdf"


def as_email(rendered: Rendered, recipient: str, sender: str, period: Period, filters: Filters) -> EmailMessage:
    """The digest as the e-mail sent to ``recipient`` (HTML with inline charts, a text part, the PDF attached)."""
    body = {"text": rendered.email_text, "html": rendered.email_html, "images": outbox.image_body(rendered.images)}
    return build_email(Smtp(host="", sender=sender), recipient, rendered.subject, body, rendered.pdf,
                       file_name(period, filters))


def chat_lines(rendered: Rendered) -> list[str]:
    m = rendered.model
    lines = [m.subtitle + " · " + m.filters]
    lines += [f"{t.label}: {t.value} ({t.delta})" for t in m.tiles]
    lines += [f"Anomaly: {a}" for a in m.anomalies]
    return lines


def due(conn: Connection, now: dt.datetime) -> list[tuple[Subscription, dt.datetime]]:
    """Active subscriptions whose latest slot has passed, is after their creation, and has not been queued."""
    out = []
    for sub in all_subscriptions(conn, active_only=True):
        slot = sub.latest_slot(now)
        if slot >= sub.created_at and not outbox.has_key(conn, sub.dedupe_key(slot)):
            out.append((sub, slot))
    return out


def period_for(conn: Connection, sub: Subscription, slot: dt.datetime) -> Period:
    """The last whole day / week / month before the slot's local date that the data reaches."""
    local_day = slot.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(sub.timezone)).date()
    span = figs.data_span(conn)
    as_of = local_day - dt.timedelta(days=1)
    if span is not None:
        as_of = min(as_of, span[1])
    return figs.latest_period(conn, PERIOD_OF[sub.frequency], as_of)


@dataclass
class SendReport:
    queued: list[str] = field(default_factory=list)
    skipped: int = 0
    delivery: outbox.DeliveryReport | None = None

    def lines(self) -> list[str]:
        out = [f"{len(self.queued)} digest(s) queued" + (":" if self.queued else "")]
        out += [f"  {q}" for q in self.queued]
        if self.delivery is not None:
            out += self.delivery.lines()
        return out


def send_due(conn: Connection, settings: Settings, secrets: Secrets, *, now: dt.datetime | None = None,
             renderer_factory: RendererFactory = chromium) -> SendReport:
    """Queue the digest of every due subscription (each distinct digest rendered once), then deliver what is due
    in the outbox (these digests and earlier messages waiting for a retry)."""
    at = now or outbox.now_utc()
    report = SendReport()
    todo = due(conn, at)
    if todo:
        cache: dict[tuple[Period, Filters, str], Rendered] = {}
        with renderer_factory() as renderer:
            for sub, slot in todo:
                period = period_for(conn, sub, slot)
                key = (period, sub.filters, sub.role)
                if key not in cache:
                    cache[key] = make_digest(conn, settings, period, sub.filters, sub.role, renderer, generated=at)
                rendered = cache[key]
                if sub.channel == "email":
                    body = {"text": rendered.email_text, "html": rendered.email_html,
                            "images": outbox.image_body(rendered.images)}
                    pdf, name = rendered.pdf, file_name(period, sub.filters)
                else:
                    body = {"webhook": webhook_payload(sub.channel, rendered.subject, chat_lines(rendered),
                                                       rendered.model.link)}
                    pdf, name = None, None
                cur = conn.cursor()
                try:
                    added = outbox.enqueue(cur, dedupe_key=sub.dedupe_key(slot), kind="digest",
                                           recipient=sub.recipient, subject=rendered.subject, body=body,
                                           attachment=pdf, attachment_name=name, now=at)
                finally:
                    cur.close()
                if added:
                    report.queued.append(f"#{sub.subscription_id} {sub.recipient}: {rendered.subject} "
                                         f"({sub.filters.describe()}, {sub.role} edition)")
                else:
                    report.skipped += 1
    report.delivery = outbox.deliver_due(conn, secrets, now=at)
    return report
