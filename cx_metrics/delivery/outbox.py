"""The outbox: every message is written here first (in the transaction that decided to send it) and leaves only
by being delivered. A failed attempt is retried with exponential backoff (1, 2, 4 ... minutes, at most 6 hours
apart); after :data:`MAX_ATTEMPTS` the message is marked failed, reported, and kept until it is retried on request
(`cx outbox retry`). Each delivery and each failure is in the audit log."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from cx_metrics import audit
from cx_metrics.db import Connection, transaction
from cx_metrics.delivery.secrets import Secrets
from cx_metrics.delivery.transports import DeliveryError, build_email, channel_of, post_webhook, send_email

MAX_ATTEMPTS = 8
FIRST_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=6)
ACTOR = "delivery"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, ... minutes, capped at 6 hours."""
    wait: dt.timedelta = FIRST_BACKOFF * (2 ** max(attempts - 1, 0))
    return min(wait, MAX_BACKOFF)


def enqueue(cur: duckdb.DuckDBPyConnection, *, dedupe_key: str, kind: str, recipient: str, subject: str,
            body: dict[str, Any], attachment: bytes | None = None, attachment_name: str | None = None,
            now: dt.datetime | None = None) -> bool:
    """Add a message unless one with ``dedupe_key`` exists (then nothing changes). True when it was added."""
    exists = cur.execute("SELECT 1 FROM outbox WHERE dedupe_key = ?", [dedupe_key]).fetchall()
    if exists:
        return False
    at = now or now_utc()
    cur.execute(
        "INSERT INTO outbox (dedupe_key, kind, channel, recipient, subject, body, attachment, attachment_name, status,"
        " attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        [dedupe_key, kind, channel_of(recipient), recipient, subject, json.dumps(body), attachment, attachment_name,
         at, at])
    return True


def has_due(conn: Connection, now: dt.datetime | None = None) -> bool:
    """Whether a pending message is due for an attempt (what :func:`deliver_due` would try now)."""
    return bool(conn.cursor().execute("SELECT 1 FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? "
                                      "LIMIT 1", [now or now_utc()]).fetchall())


def has_key(conn: Connection, dedupe_key: str) -> bool:
    return bool(conn.cursor().execute("SELECT 1 FROM outbox WHERE dedupe_key = ?", [dedupe_key]).fetchall())


@dataclass
class DeliveryReport:
    sent: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    errors: list[str] | None = None

    def lines(self) -> list[str]:
        out = [f"{self.sent} message(s) delivered, {self.failed_attempts} attempt(s) failed"
               + (f", {self.gave_up} message(s) gave up after {MAX_ATTEMPTS} attempts (`cx outbox retry`)"
                  if self.gave_up else "")]
        return out + [f"  {e}" for e in (self.errors or [])]


def _send(row: dict[str, Any], secrets: Secrets) -> None:
    body = json.loads(row["body"]) if isinstance(row["body"], str) else dict(row["body"])
    if row["channel"] == "email":
        if secrets.smtp is None:
            raise DeliveryError(f"No SMTP server is configured ([smtp] in the secrets file {secrets.source}, or "
                                "CX_SMTP_HOST), so e-mail cannot be sent.")
        attachment = bytes(row["attachment"]) if row["attachment"] is not None else None
        send_email(secrets, build_email(secrets.smtp, row["recipient"], row["subject"], body, attachment,
                                        row["attachment_name"]))
    else:
        try:
            url = secrets.webhook(row["recipient"])
        except ValueError as exc:
            raise DeliveryError(str(exc)) from exc
        post_webhook(url, body["webhook"])


def deliver_due(conn: Connection, secrets: Secrets, *, now: dt.datetime | None = None,
                limit: int = 500) -> DeliveryReport:
    """Try every pending message whose next attempt is due; record the outcome of each attempt."""
    at = now or now_utc()
    cur = conn.cursor()
    found = cur.execute(
        "SELECT message_id, kind, channel, recipient, subject, body, attachment, attachment_name, attempts "
        "FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY message_id LIMIT ?",
        [at, limit]).df().to_dict("records")
    rows = [{str(k): v for k, v in r.items()} for r in found]
    report = DeliveryReport(errors=[])
    for row in rows:
        detail = {"message_id": int(row["message_id"]), "kind": row["kind"], "channel": row["channel"],
                  "recipient": row["recipient"], "subject": row["subject"]}
        try:
            _send(row, secrets)
        except DeliveryError as exc:
            attempts = int(row["attempts"]) + 1
            gave_up = attempts >= MAX_ATTEMPTS
            with transaction(conn) as tx:
                tx.execute("UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, status = ? "
                           "WHERE message_id = ?",
                           [attempts, str(exc)[:1000], at + backoff(attempts), "failed" if gave_up else "pending",
                            int(row["message_id"])])
                audit.record(tx, ACTOR, "delivery_failed", {**detail, "attempt": attempts, "error": str(exc)[:500],
                                                            "gave_up": gave_up})
            report.failed_attempts += 1
            report.gave_up += gave_up
            assert report.errors is not None
            report.errors.append(f"#{row['message_id']} to {row['recipient']}: attempt {attempts} failed: {exc}"
                                 + (" (gave up)" if gave_up else f"; next try after {at + backoff(attempts):%H:%M}"))
            continue
        with transaction(conn) as tx:
            tx.execute("UPDATE outbox SET attempts = attempts + 1, status = 'sent', sent_at = ?, last_error = NULL "
                       "WHERE message_id = ?", [at, int(row["message_id"])])
            audit.record(tx, ACTOR, "delivery", {**detail, "attempt": int(row["attempts"]) + 1})
        report.sent += 1
    cur.close()
    return report


def retry(conn: Connection, message_id: int | None = None, *, actor: str) -> int:
    """Put failed messages (one, or all with ``message_id`` None) back in the queue, due now."""
    with transaction(conn) as cur:
        ids = [int(r[0]) for r in cur.execute("SELECT message_id FROM outbox WHERE status = 'failed' AND "
                                              "(? IS NULL OR message_id = ?)", [message_id, message_id]).fetchall()]
        if ids:
            cur.execute("UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE message_id IN "
                        "(SELECT unnest(?::BIGINT[]))", [now_utc(), ids])
            audit.record(cur, actor, "delivery_retry", {"message_ids": ids})
    return len(ids)


def messages(conn: Connection, *, status: str | None = None, limit: int = 200) -> pd.DataFrame:
    """The outbox, newest first, without bodies: id, kind, channel, recipient, subject, status, attempts, next
    attempt, last error, created, sent."""
    return conn.cursor().execute(
        "SELECT message_id, kind, channel, recipient, subject, status, attempts, next_attempt_at, last_error, "
        "created_at, sent_at FROM outbox WHERE (? IS NULL OR status = ?) ORDER BY message_id DESC LIMIT ?",
        [status, status, limit]).df()


def attachment(conn: Connection, message_id: int) -> tuple[str, bytes] | None:
    rows = conn.cursor().execute("SELECT attachment_name, attachment FROM outbox WHERE message_id = ?",
                                 [message_id]).fetchall()
    if not rows or rows[0][1] is None:
        return None
    return str(rows[0][0]), bytes(rows[0][1])


def image_body(images: dict[str, bytes]) -> dict[str, str]:
    return {cid: base64.b64encode(data).decode("ascii") for cid, data in images.items()}
