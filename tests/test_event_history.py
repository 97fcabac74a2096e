"""Solve times, reopens and stations derived from a ticket's status history (Zendesk field history), the way
Explore does when the ticket table itself has no solved time; re-derived on every import and undo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Period
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.normalize import Options
from cx_metrics.metrics import resolution as R
from tests.conftest import REALDATA

TICKETS = (
    "Ticket ID,Created at,Status,Channel,Priority,Solved at\n"
    "A,2026-03-02 09:00,closed,Email,High,\n"
    "B,2026-03-02 10:00,open,Chat,Normal,\n"
    "C,2026-03-03 08:00,solved,Email,Low,2026-03-03 09:00\n"
)
# A: solved, reopened, solved again, closed, two groups; B: solved then reopened and open now;
# C: the export has its own solved time, which the history (solved later) must not overwrite
EVENTS = (
    "field_name,ticket_id,updated,value,user_id\n"
    "status,A,2026-03-02 09:00:00,new,\n"
    "group_id,A,2026-03-02 09:00:00,10,\n"
    "status,A,2026-03-02 09:05:00,open,\n"
    "status,A,2026-03-02 10:00:00,solved,\n"
    "status,A,2026-03-02 12:00:00,open,\n"
    "group_id,A,2026-03-02 12:00:00,20,\n"
    "assignee_id,A,2026-03-02 12:00:00,7,\n"
    "status,A,2026-03-02 15:00:00,solved,\n"
    "status,A,2026-03-03 15:00:00,closed,\n"
    "status,B,2026-03-02 10:00:00,open,\n"
    "status,B,2026-03-02 11:00:00,pending,\n"
    "status,B,2026-03-02 13:00:00,solved,\n"
    "status,B,2026-03-04 09:00:00,open,\n"
    "status,C,2026-03-03 08:00:00,open,\n"
    "status,C,2026-03-03 11:00:00,solved,\n"
)
OPTS = Options(source="helpdesk")


@pytest.fixture
def conn(tmp_path: Path) -> db.Connection:
    c = db.connect(Settings().with_db(tmp_path / "t.duckdb"))
    yield c
    c.close()


def load(conn: db.Connection, text: str, name: str) -> ingest.ImportResult:
    return ingest.load(conn, ingest.preview(text.encode(), name=name, options=OPTS))


def times(conn: db.Connection) -> dict[str, tuple[object, ...]]:
    rows = conn.execute("SELECT ticket_id, first_solved_at, solved_at, closed_at, reopens, group_stations, "
                        "assignee_stations FROM tickets ORDER BY ticket_id").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_history_fills_what_the_export_lacks_and_undo_clears_it(conn: db.Connection) -> None:
    load(conn, TICKETS, "tickets.csv")
    before = times(conn)
    events = load(conn, EVENTS, "history.csv")
    assert events.rows_loaded == 15
    got = times(conn)
    d = dt.datetime
    assert got["A"] == (d(2026, 3, 2, 10), d(2026, 3, 2, 15), d(2026, 3, 3, 15), 1, 2, 1)
    assert got["B"][:4] == (d(2026, 3, 2, 13), None, None, 1)  # reopened and open again: no solved time
    assert got["C"][:2] == (d(2026, 3, 3, 9),) * 2  # the export's own solved time wins over the history's 11:00
    assert got["C"][3] == 0  # ... while the reopens it lacked come from the history
    # resolution metrics now see A's full resolution after 6 h; B is still waiting
    period = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    full = R.time_to_event(conn, period=period).iloc[0]
    assert (full["completed"], full["censored"]) == (2, 1)
    assert full["median_hours"] == pytest.approx(6.0)  # Kaplan-Meier: C after 1 h (S = 2/3), A after 6 h (S = 1/3)
    follow = R.follow_through(conn, period=period).iloc[0]
    assert follow["solved"] == 2 and follow["reopen_rate"] == pytest.approx(0.5)  # A reopened, C not
    ingest.undo(conn, int(events.import_id or 0))
    assert times(conn) == before


def test_history_loaded_first_applies_when_the_tickets_arrive(conn: db.Connection) -> None:
    load(conn, EVENTS, "history.csv")
    load(conn, TICKETS, "tickets.csv")
    assert times(conn)["A"][1] == dt.datetime(2026, 3, 2, 15)


@pytest.mark.realdata
def test_zendesk_fivetran_ticket_and_field_history(conn: db.Connection) -> None:
    if not REALDATA.exists():
        pytest.skip("../shared/realdata is absent")
    ingest.load(conn, ingest.preview(REALDATA / "zendesk_fivetran_seed_ticket_data.csv"))
    assert conn.execute("SELECT count(*) FROM tickets WHERE solved_at IS NOT NULL").fetchone() == (0,)
    ingest.load(conn, ingest.preview(REALDATA / "zendesk_fivetran_seed_ticket_field_history.csv"))
    row = conn.execute("SELECT first_solved_at, solved_at, closed_at, reopens, assignee_stations FROM tickets "
                       "WHERE ticket_id = '11071'").fetchone()
    d = dt.datetime
    # open 28 Aug, pending / on-hold / open several times, solved 14 Nov, closed 15 Nov; never reopened after a solve
    assert row == (d(2020, 11, 14, 11, 1, 27), d(2020, 11, 14, 11, 1, 27), d(2020, 11, 15, 11, 1, 27), 0, 1)


def test_backlog_over_time_follows_the_status_history(conn: db.Connection) -> None:
    load(conn, TICKETS, "tickets.csv")
    load(conn, EVENTS, "history.csv")
    frame = R.backlog_history(conn, period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 5))).set_index("day")
    # 1 Mar: nothing yet. 2 Mar: A and B open, A solved 10:00, reopened 12:00, solved 15:00; B solved 13:00 -> 0
    # 3 Mar: C open 08:00, solved 11:00 -> 0. 4 Mar: B reopened -> 1. 5 Mar: still 1.
    assert list(frame["backlog"]) == [0, 0, 0, 1, 1]
    march2 = frame.loc[pd.Timestamp("2026-03-02")]
    assert (march2["opened"], march2["left_backlog"]) == (3, 3)
    assert frame.loc[pd.Timestamp("2026-03-04"), "opened"] == 1


def test_backlog_over_time_without_history(tiny_conn: db.Connection) -> None:
    # t1 Mon 10:00-14:00, t2 Tue 09:00-Wed 09:00, t3 open since Wed 12:00, t4 open since Thu 08:00
    frame = R.backlog_history(tiny_conn, period=Period(dt.date(2026, 1, 4), dt.date(2026, 1, 9)))
    assert list(frame["backlog"]) == [0, 0, 1, 1, 2, 2]
    assert list(frame["opened"]) == [0, 1, 1, 1, 1, 0] and list(frame["left_backlog"]) == [0, 1, 0, 1, 0, 0]


def test_sla_breaches_over_time(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("UPDATE tickets SET priority = 'urgent'")
    trend = R.sla_breach_trend(tiny_conn, period=Period(dt.date(2026, 1, 5), dt.date(2026, 1, 8)), grain="day")
    res = trend[trend["target"] == "resolution"].set_index("period_start")
    # resolution target 8 h: t1 (Mon) achieved, t2 (Tue) breached, t3 (Wed, open 20 h) breached, t4 (Thu) pending
    assert list(res["breached"]) == [0, 1, 1, 0] and list(res["pending"]) == [0, 0, 0, 1]
    assert list(res["breach_rate"].fillna(-1)) == [0.0, 1.0, 1.0, -1]
