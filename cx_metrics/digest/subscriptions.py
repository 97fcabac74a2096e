"""Digest subscriptions: who gets which digest, how often, with which filters (table ``subscriptions``).

A subscription is due at its schedule's slots (daily at ``hour``, weekly on ``weekday`` at ``hour``, monthly on
the 1st at ``hour``, in its ``timezone``). Each slot is sent at most once: the outbox keeps one message per
subscription and slot, so a second run in the same hour (or a month later) sends nothing again. Only the latest
slot is sent; a subscription never sends the slots before it was created.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from cx_metrics import audit
from cx_metrics.db import Connection, transaction
from cx_metrics.delivery.transports import channel_of
from cx_metrics.filters import Filters

DIGESTS = {"executive": "Executive digest: key figures, complaint trend and anomalies, top movers and their themes, "
                        "resolution and SLA, NPS/CSAT/CES, churn"}
FREQUENCIES = ("daily", "weekly", "monthly")
#: the period a digest of each frequency covers
PERIOD_OF = {"daily": "day", "weekly": "week", "monthly": "month"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Subscription:
    subscription_id: int
    recipient: str
    role: str
    digest: str
    frequency: str
    weekday: int
    hour: int
    timezone: str
    filters: Filters
    active: bool
    created_at: dt.datetime
    created_by: str

    @property
    def channel(self) -> str:
        return channel_of(self.recipient)

    def describe_schedule(self) -> str:
        at = f"{self.hour:02d}:00 {self.timezone}"
        if self.frequency == "daily":
            return f"daily at {at}"
        if self.frequency == "weekly":
            return f"weekly on {WEEKDAYS[self.weekday]} at {at}"
        return f"monthly on the 1st at {at}"

    def latest_slot(self, now: dt.datetime) -> dt.datetime:
        """The latest scheduled send time at or before ``now`` (both naive UTC)."""
        zone = ZoneInfo(self.timezone)
        local = now.replace(tzinfo=dt.UTC).astimezone(zone)
        day = local.date()
        for _ in range(400):
            if ((self.frequency == "daily") or (self.frequency == "weekly" and day.weekday() == self.weekday)
                    or (self.frequency == "monthly" and day.day == 1)):
                slot = dt.datetime.combine(day, dt.time(self.hour), tzinfo=zone)
                if slot <= local:
                    return slot.astimezone(dt.UTC).replace(tzinfo=None)
            day -= dt.timedelta(days=1)
        raise AssertionError("no slot within 400 days")  # pragma: no cover

    def dedupe_key(self, slot: dt.datetime) -> str:
        return f"digest:{self.subscription_id}:{slot:%Y-%m-%dT%H:%M}"


def _filters_json(filters: Filters) -> str:
    return json.dumps({k: list(v) for k, v in asdict(filters).items() if v})


def _from_row(row: dict[str, Any]) -> Subscription:
    raw = json.loads(row["filters"]) if isinstance(row["filters"], str) else dict(row["filters"] or {})
    return Subscription(
        subscription_id=int(row["subscription_id"]), recipient=str(row["recipient"]), role=str(row["role"]),
        digest=str(row["digest"]), frequency=str(row["frequency"]), weekday=int(row["weekday"]),
        hour=int(row["hour"]), timezone=str(row["timezone"]), filters=Filters.of(**raw), active=bool(row["active"]),
        created_at=pd.Timestamp(row["created_at"]).to_pydatetime(), created_by=str(row["created_by"]))


def all_subscriptions(conn: Connection, *, active_only: bool = False) -> list[Subscription]:
    rows = conn.cursor().execute("SELECT * FROM subscriptions ORDER BY subscription_id").df().to_dict("records")
    subs = [_from_row({str(k): v for k, v in r.items()}) for r in rows]
    return [s for s in subs if s.active or not active_only]


def table(conn: Connection) -> pd.DataFrame:
    """The subscriptions as the page and the CLI list them."""
    subs = all_subscriptions(conn)
    return pd.DataFrame([{"id": s.subscription_id, "recipient": s.recipient, "role": s.role, "digest": s.digest,
                          "schedule": s.describe_schedule(), "filters": s.filters.describe(), "active": s.active,
                          "created_by": s.created_by} for s in subs],
                        columns=["id", "recipient", "role", "digest", "schedule", "filters", "active", "created_by"])


def validate(conn: Connection, *, recipient: str, role: str, digest: str, frequency: str, weekday: int, hour: int,
             timezone: str, filters: Filters) -> str:
    """Check a subscription; return the recipient as stored. Raises ValueError saying what to change."""
    recipient = recipient.strip()
    channel = channel_of(recipient)
    if channel == "email":
        recipient = recipient.lower()
    if role not in audit.ROLES:
        raise ValueError(f"role must be one of {', '.join(audit.ROLES)}, got {role!r}")
    if channel != "email" and (audit.can(role, "verbatims") or audit.can(role, "rows")):
        raise ValueError(f"A {channel} channel is read by many people, so it gets the executive edition (no comments "
                         f"or ticket rows); use role executive for {recipient}.")
    if channel == "email":
        granted = audit.role_of(conn, recipient)
        if granted is not None and not audit.PERMISSIONS[role] <= audit.PERMISSIONS[granted]:
            raise ValueError(f"{recipient} has the role {granted} here; a {role} digest would show them more than "
                             f"that role may see. Choose {granted} or a lesser role.")
    if digest not in DIGESTS:
        raise ValueError(f"digest must be one of {', '.join(DIGESTS)}, got {digest!r}")
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}, got {frequency!r}")
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0 to 23, got {hour}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{timezone!r} is not a time zone name; use one like Europe/Paris or UTC") from exc
    del filters  # any combination is allowed; values unknown to the data give an empty digest that says so
    return recipient


def add(conn: Connection, *, recipient: str, role: str = "executive", digest: str = "executive",
        frequency: str = "weekly", weekday: int = 0, hour: int = 7, timezone: str = "UTC",
        filters: Filters | None = None, by: str, now: dt.datetime | None = None) -> int:
    """Create a subscription (audited in the same transaction); returns its id."""
    f = filters or Filters()
    recipient = validate(conn, recipient=recipient, role=role, digest=digest, frequency=frequency, weekday=weekday,
                         hour=hour, timezone=timezone, filters=f)
    at = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with transaction(conn) as cur:
        new_id = int(cur.execute(
            "INSERT INTO subscriptions (recipient, role, digest, frequency, weekday, hour, timezone, filters, active, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, true, ?, ?) RETURNING subscription_id",
            [recipient, role, digest, frequency, weekday, hour, timezone, _filters_json(f), at, by]).fetchall()[0][0])
        audit.record(cur, by, "subscription_change", {"action": "add", "subscription_id": new_id,
                                                      "recipient": recipient, "role": role, "digest": digest,
                                                      "frequency": frequency, "filters": f.describe()})
    return new_id


def get(conn: Connection, subscription_id: int) -> Subscription:
    rows = conn.cursor().execute("SELECT * FROM subscriptions WHERE subscription_id = ?",
                                 [subscription_id]).df().to_dict("records")
    if not rows:
        raise ValueError(f"There is no subscription #{subscription_id} (`cx subscriptions list` shows them).")
    return _from_row({str(k): v for k, v in rows[0].items()})


def change(conn: Connection, subscription_id: int, action: str, *, by: str) -> None:
    """pause / resume / remove a subscription (audited)."""
    get(conn, subscription_id)
    statements = {"pause": "UPDATE subscriptions SET active = false WHERE subscription_id = ?",
                  "resume": "UPDATE subscriptions SET active = true WHERE subscription_id = ?",
                  "remove": "DELETE FROM subscriptions WHERE subscription_id = ?"}
    if action not in statements:
        raise ValueError(f"action must be one of {', '.join(statements)}, got {action!r}")
    with transaction(conn) as cur:
        cur.execute(statements[action], [subscription_id])
        audit.record(cur, by, "subscription_change", {"action": action, "subscription_id": subscription_id})


