"""``cx followups``: the follow-up worklist from the command line (the same functions as the Follow-ups page).

``list`` prints the worklist (``--format csv`` is the dialer's file, formula-guarded); ``claim`` and ``close`` work
an item as the person named by ``--by``; ``undo`` reverts the last action on an item (the command line runs with
the database file's owner's rights, an admin's); ``effect``, ``coverage`` and ``history`` read the rest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Callable
from typing import Any, cast

import pandas as pd

from cx_metrics import db, followups, spark
from cx_metrics.cli_output import emit
from cx_metrics.config import Settings
from cx_metrics.filters import Period

COMMANDS = ("followups",)


def _actor(args: argparse.Namespace) -> str:
    return str(args.by or f"{getpass.getuser()} (cli)")


def add_parsers(sub: Any, add_db: Callable[[argparse.ArgumentParser], None],
                date: Callable[[str], dt.date]) -> None:
    p = sub.add_parser("followups", help="the follow-up worklist: list, claim, close, undo; did it work (effect), "
                                         "coverage by team, history")
    p.add_argument("action", choices=["list", "claim", "close", "undo", "effect", "coverage", "history"])
    p.add_argument("key", nargs="?", help="claim/close/undo/history: the item's key (first column of `list`)")
    add_db(p)
    p.add_argument("--by", help="claim/close/undo: who acts (default: your login name, marked (cli))")
    p.add_argument("--outcome", choices=list(followups.OUTCOMES), help="close: what the follow-up came to")
    p.add_argument("--note", default="", help="close: a short note (what the customer said, what was agreed)")
    p.add_argument("--date", type=date, help="close: the day of the contact, YYYY-MM-DD (default today)")
    p.add_argument("--kind", choices=list(followups.KINDS), action="append", default=[],
                   help="list: keep this kind (repeatable)")
    p.add_argument("--team", action="append", default=[], help="list: keep this team (repeatable)")
    p.add_argument("--verbatims", action="store_true", help="list: add what the customer wrote")
    p.add_argument("--start", type=date, help="effect/coverage: first day (default: the year before --end)")
    p.add_argument("--end", type=date, help="effect/coverage: last day (default: the latest data)")
    p.add_argument("--group", choices=["team", "all"], default="team", help="coverage: per team or everyone")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")


def _period(conn: db.Connection, args: argparse.Namespace) -> Period:
    found = db.query(conn, "churn_as_of").iloc[0]["as_of"]
    latest = dt.date.today() if pd.isna(found) else pd.Timestamp(found).date()
    end = args.end or latest
    return Period(args.start or end - dt.timedelta(days=364), end)


def _meta(metric: str, period: Period) -> dict[str, Any]:
    return {"metric": metric, "period": {"start": str(period.start), "end": str(period.end), "days": period.days,
                                         "label": period.label()}}


def _need_key(args: argparse.Namespace) -> str:
    if not args.key:
        raise ValueError(f"`cx followups {args.action}` needs the item's key: `cx followups list` shows them")
    return str(args.key)


def run(args: argparse.Namespace, settings: Settings) -> int:
    writes = args.action in {"claim", "close", "undo"}
    # a writer waits (CX_DB_LOCK_WAIT seconds) while another process writes: of two people closing one item from two
    # shells, the second then finds it closed and is told by whom
    conn = db.connect(settings, read_only=not writes and settings.db_path.exists(), wait=None,
                      on_wait=lambda message: print(message, file=sys.stderr, flush=True))
    if settings.engine.kind == "spark":  # the failures from the lake, the follow-ups kept in the DuckDB file
        conn = cast(db.Connection, spark.mixed(settings, conn))
    try:
        if args.action == "list":
            frame = followups.worklist(conn, settings)
            if args.kind:
                frame = frame[frame["kind"].isin(args.kind)]
            if args.team:
                frame = frame[frame["team"].isin(args.team)]
            out = followups.dialer_frame(frame, verbatims=args.verbatims)
            out.attrs["notes"] = [followups.describe_policy(settings)]
            emit(out, args.format, empty="Nobody is waiting for a follow-up.")
        elif args.action == "claim":
            version = followups.claim(conn, _need_key(args), _actor(args), settings=settings)
            print(f"Claimed {args.key} for {_actor(args)} (version {version}).")
        elif args.action == "close":
            if not args.outcome:
                raise ValueError(f"`cx followups close` needs --outcome, one of {', '.join(followups.OUTCOMES)}")
            version = followups.close(conn, _need_key(args), _actor(args), outcome=args.outcome,
                                      contacted_on=args.date or dt.date.today(), note=args.note, settings=settings)
            print(f"Closed {args.key}: {followups.OUTCOMES[args.outcome]} (version {version}).")
        elif args.action == "undo":
            what = followups.undo(conn, _need_key(args), _actor(args), "admin")
            print(f"Undid the {what} of {args.key}.")
        elif args.action == "effect":
            period = _period(conn, args)
            est = followups.effect(conn, period, settings=settings)
            out = est.by_kind
            out.attrs["notes"] = [*out.attrs.get("notes", ()), est.design, followups.CAUTION]
            emit(out, args.format, _meta("followup_effect", period), empty="No failure to compare in this period.")
        elif args.action == "coverage":
            period = _period(conn, args)
            emit(followups.coverage(conn, period, by=args.group, settings=settings), args.format,
                 _meta("followup_coverage", period), empty="Nothing was due in this period.")
        else:
            emit(followups.history(conn, args.key or ""), args.format, empty="No follow-up has been claimed yet.")
        return 0
    finally:
        conn.close()
