"""Deterministic synthetic vendor exports for the tests that load "one's own data" into a fresh database.

:func:`zendesk_without_first_reply` writes what a Zendesk UI export looks like when it carries no first-reply
timestamps (the common case): creation and solve times, statuses including pending and on-hold, priorities,
channels and types. Seeded, so every run loads the same tickets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np

#: the first and last day of the synthetic export (Monday 3 April to Sunday 14 May 2023: six whole weeks)
FIRST_DAY = dt.date(2023, 4, 3)
LAST_DAY = dt.date(2023, 5, 14)


def zendesk_without_first_reply(tickets: int = 600, seed: int = 11) -> bytes:
    """A Zendesk UI ticket export (``Id, Requester, Status, Priority, Via, Ticket type, Created at, Solved at...``)
    without any first-reply column: tickets created evenly over :data:`FIRST_DAY`..:data:`LAST_DAY`, about a
    third incidents (complaints), solved ones with a solve time, the rest open, pending or on hold."""
    rng = np.random.default_rng(seed)
    days = (LAST_DAY - FIRST_DAY).days + 1
    start = dt.datetime.combine(FIRST_DAY, dt.time())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Id", "Requester", "Group", "Subject", "Status", "Priority", "Via", "Ticket type", "Created at",
                     "Updated at", "Solved at"])
    subjects = ("Invoice charged twice", "Cannot log in to the app", "Parcel arrived damaged",
                "How do I export my data", "Refund still not received", "App crashes on start")
    for i in range(tickets):
        created = start + dt.timedelta(seconds=int(rng.uniform(0, days * 86_400 - 3_600)))
        # older tickets are mostly solved; recent ones still open, pending (waiting for the customer) or on hold
        age = (dt.datetime.combine(LAST_DAY, dt.time(23)) - created).days
        solved = rng.random() < min(0.95, 0.3 + age / 20)
        if solved:
            status = "Solved" if rng.random() < 0.6 else "Closed"
            solved_at = created + dt.timedelta(hours=float(rng.exponential(30)))
            solved_text = min(solved_at, dt.datetime.combine(LAST_DAY, dt.time(23, 30))).strftime("%Y-%m-%d %H:%M:%S")
        else:
            status = str(rng.choice(["Open", "Pending", "On-hold"], p=[0.5, 0.35, 0.15]))
            solved_text = ""
        created_text = created.strftime("%Y-%m-%d %H:%M:%S")
        writer.writerow([
            10_000 + i, f"Customer {int(rng.integers(1, 250))}", str(rng.choice(["Support", "Billing"])),
            subjects[i % len(subjects)], status,
            str(rng.choice(["Low", "Normal", "High", "Urgent"], p=[0.35, 0.4, 0.2, 0.05])),
            str(rng.choice(["Email", "Web Form", "Chat"])), "Incident" if rng.random() < 0.35 else "Question",
            created_text, solved_text or created_text, solved_text,
        ])
    return out.getvalue().encode()
