"""``cx digest``, ``cx subscriptions``, ``cx alerts`` and ``cx outbox``: digests, their schedules, alerts and
delivery from the command line (cron or a systemd timer runs ``cx digest --send-due`` and ``cx alerts run``)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pandas as pd

from cx_metrics import audit, db, spark
from cx_metrics.cli_output import emit
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period

COMMANDS = ("digest", "subscriptions", "alerts", "outbox")
ACTOR = "cli"


def _filters_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plan", action="append", default=[], help="keep customers on this plan (repeatable)")
    p.add_argument("--region", action="append", default=[], help="keep customers in this region")
    p.add_argument("--segment", action="append", default=[], help="keep customers in this segment")
    p.add_argument("--channel", action="append", default=[], help="keep tickets/responses from this channel")


def _filters(args: argparse.Namespace) -> Filters:
    return Filters.of(plans=args.plan, regions=args.region, segments=args.segment, channels=args.channel)


def _time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time in YYYY-MM-DDTHH:MM form (UTC)") from exc
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def add_parsers(sub: Any, add_db: Callable[[argparse.ArgumentParser], None],
                date: Callable[[str], dt.date]) -> None:
    p = sub.add_parser("digest", help="render the executive digest (PDF and HTML e-mail), or send the due ones")
    add_db(p)
    p.add_argument("--period", choices=["day", "week", "month"], default="week",
                   help="the last whole day / week (Mon-Sun) / calendar month of data (default week)")
    p.add_argument("--start", type=date, help="first day instead of --period, YYYY-MM-DD (with --end)")
    p.add_argument("--end", type=date, help="last day: with --start, the period; alone, the --period ending by it")
    _filters_args(p)
    p.add_argument("--role", choices=list(audit.ROLES), default="executive",
                   help="the reader's role: executives and CX leads get no comments or ticket rows (default executive)")
    p.add_argument("--out", type=Path, help="folder for the files (default: digests/ next to the database)")
    p.add_argument("--send-due", action="store_true",
                   help="queue every subscription that is due and deliver the outbox (for cron / systemd timers)")
    p.add_argument("--now", type=_time, help=argparse.SUPPRESS)  # tests and backfills: the clock, in UTC

    p = sub.add_parser("subscriptions", help="who gets which digest, how often, with which filters")
    p.add_argument("action", choices=["list", "add", "pause", "resume", "remove"])
    p.add_argument("id", nargs="?", type=int, help="pause/resume/remove: the subscription id")
    add_db(p)
    p.add_argument("--to", dest="recipient", help="add: an e-mail address, or slack:NAME / teams:NAME")
    p.add_argument("--role", choices=list(audit.ROLES), default="executive", help="add: the reader's role")
    p.add_argument("--digest", default="executive", help="add: which digest (executive)")
    p.add_argument("--every", dest="frequency", choices=["daily", "weekly", "monthly"], default="weekly")
    p.add_argument("--weekday", type=int, default=0, help="add, weekly: 0 = Monday ... 6 = Sunday (default 0)")
    p.add_argument("--hour", type=int, default=7, help="add: local hour of sending, 0-23 (default 7)")
    p.add_argument("--timezone", default="UTC", help="add: e.g. Europe/Paris (default UTC)")
    _filters_args(p)

    p = sub.add_parser("alerts", help="alert rules: list, add, snooze, run them, backtest them over the history")
    p.add_argument("action", choices=["list", "add", "defaults", "run", "backtest", "events", "snooze", "unsnooze",
                                      "pause", "resume", "remove", "recipients"])
    p.add_argument("id", nargs="?", type=int, help="the rule id (snooze, unsnooze, pause, resume, remove, "
                                                   "recipients; backtest: one rule)")
    add_db(p)
    p.add_argument("--name", default="", help="add: a name (default: the rule described)")
    p.add_argument("--metric", help="add: complaints, first_response, resolution, sla, nps, csat, ces, churn")
    p.add_argument("--kind", choices=["anomaly", "change", "threshold"], help="add: the test")
    p.add_argument("--grain", choices=["day", "week", "month"], default="week")
    p.add_argument("--by", default="all", help="add, complaints: a breakdown (category, channel, region...)")
    p.add_argument("--value", help="add: one value of --by (default: every value is its own series)")
    p.add_argument("--direction", help="add: change: worse/better/either; threshold: above/below")
    p.add_argument("--threshold", type=float, help="add, threshold: the value in the metric's unit")
    p.add_argument("--alpha", type=float, default=0.001, help="add, change: significance level (default 0.001)")
    p.add_argument("--min-count", type=int, default=30, help="add: fewer observations never fire (default 30)")
    p.add_argument("--to", dest="recipients", action="append", default=[],
                   help="add/defaults/recipients: who is told (e-mail, slack:NAME, teams:NAME; repeatable)")
    p.add_argument("--until", type=_time, help="snooze: until this time, YYYY-MM-DDTHH:MM UTC")
    p.add_argument("--hours", type=float, help="snooze: for this many hours")
    p.add_argument("--defaults", action="store_true", help="backtest: the default rule set (installed or not)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--now", type=_time, help=argparse.SUPPRESS)
    _filters_args(p)

    p = sub.add_parser("outbox", help="messages waiting, sent and failed; deliver now or retry failed ones")
    p.add_argument("action", choices=["list", "deliver", "retry"])
    p.add_argument("id", nargs="?", type=int, help="retry: one message (default: every failed one)")
    add_db(p)
    p.add_argument("--status", choices=["pending", "sent", "failed"])
    p.add_argument("--now", type=_time, help=argparse.SUPPRESS)


def _emit(frame: pd.DataFrame, fmt: str = "table") -> None:
    emit(frame, fmt)


def _secrets() -> Any:
    from cx_metrics.delivery.secrets import load_secrets

    return load_secrets()


def _on_engine(settings: Settings, conn: db.Connection) -> db.Connection:
    """``conn`` (the DuckDB file) as the commands read it: on the Spark engine, mixed mode (the figures from the lake,
    the subscriptions, rules, outbox and audit log from and to the file; closing it closes both)."""
    if settings.engine.kind == "spark":
        return cast(db.Connection, spark.mixed(settings, conn))
    return conn


def _reader(settings: Settings, *, read_only: bool = True) -> db.Connection:
    """The database for a command; on Spark a DuckDB file not made yet is made (it keeps the dashboard's state)."""
    spark_without_file = settings.engine.kind == "spark" and not settings.db_path.exists()
    return _on_engine(settings, db.connect(settings, read_only=read_only and not spark_without_file))


def _writer(settings: Settings, command: str) -> db.Connection | int:
    """A read-write connection for a scheduled delivery command, or its exit code when a dashboard holds the file:
    0 when that dashboard delivers itself (its scheduler beats), 1 with what to do otherwise."""
    from cx_metrics import scheduler

    try:
        return _reader(settings, read_only=False)
    except db.DatabaseLockedError as exc:
        if exc.holder is None or not exc.holder.dashboard:
            raise
        code, message = scheduler.describe_holder(settings, exc.holder, command)
        print(message if code == 0 else f"error: {message}", file=sys.stdout if code == 0 else sys.stderr)
        return code


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.delivery.secrets import load_secrets
    from cx_metrics.digest import figures, send

    if args.send_due:
        secrets = load_secrets()
        conn = _writer(settings, "cx digest --send-due")
        if isinstance(conn, int):
            return conn
        try:
            report = send.send_due(conn, settings, secrets, now=args.now)
        finally:
            conn.close()
        print("\n".join(report.lines()))
        return 1 if report.delivery and report.delivery.gave_up else 0
    conn = _reader(settings)
    try:
        if args.start:
            span = figures.data_span(conn)
            period = Period(args.start, args.end or (span[1] if span else args.start))
        else:
            period = figures.latest_period(conn, args.period, args.end)
        filters = _filters(args)
        rendered = send.digest_once(conn, settings, period, filters, args.role)
    finally:
        conn.close()
    out = args.out or settings.db_path.parent / "digests"
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / send.file_name(period, filters)
    pdf.write_bytes(rendered.pdf)
    eml = pdf.with_suffix(".eml")
    secrets = load_secrets()
    sender = secrets.smtp.sender if secrets.smtp else "CX dashboard <cx-dashboard@localhost>"
    eml.write_bytes(bytes(send.as_email(rendered, "reader@localhost", sender, period, filters)))
    html = pdf.with_suffix(".html")
    html.write_text(rendered.web_html, encoding="utf-8")
    t = rendered.seconds
    print(f"{rendered.subject} ({filters.describe()}, {args.role} edition)\n  PDF:    {pdf}\n  e-mail: {eml} "
          f"(HTML with inline charts, text part, PDF attached)\n  HTML:   {html}\n  charts {t.get('charts', 0):.1f} s, "
          f"PDF "
          f"{t.get('pdf', 0):.1f} s")
    return 0


def _subscriptions(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.digest import subscriptions as subs

    conn = _reader(settings, read_only=args.action == "list")
    try:
        if args.action == "add":
            if not args.recipient:
                raise ValueError("`cx subscriptions add` needs --to (an e-mail address, or slack:NAME / teams:NAME)")
            new = subs.add(conn, recipient=args.recipient, role=args.role, digest=args.digest,
                           frequency=args.frequency, weekday=args.weekday, hour=args.hour, timezone=args.timezone,
                           filters=_filters(args), by=ACTOR)
            print(f"subscription #{new}: {subs.get(conn, new).describe_schedule()}")
        elif args.action != "list":
            if args.id is None:
                raise ValueError(f"`cx subscriptions {args.action}` needs the subscription id (from `list`)")
            subs.change(conn, args.id, args.action, by=ACTOR)
        frame = subs.table(conn)
        if frame.empty:
            print("No subscriptions yet: `cx subscriptions add --to name@example.com --every weekly`.",
                  file=sys.stderr)
        else:
            _emit(frame)
        return 0
    finally:
        conn.close()


def _rule_from_args(args: argparse.Namespace) -> Any:
    from cx_metrics.alerts.rules import Rule

    if not args.metric or not args.kind:
        raise ValueError("`cx alerts add` needs --metric and --kind (anomaly, change or threshold)")
    direction = args.direction or {"threshold": "above"}.get(args.kind, "worse")
    return Rule(name=args.name, metric=args.metric, kind=args.kind, grain=args.grain, by=args.by, value=args.value,
                filters=_filters(args), direction=direction, threshold=args.threshold, alpha=args.alpha,
                min_count=args.min_count, recipients=tuple(args.recipients))


def _alerts(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.alerts import evaluate, rules

    read_only = args.action in ("list", "backtest", "events")
    conn = _writer(settings, "cx alerts run") if args.action == "run" else _reader(settings, read_only=read_only)
    if isinstance(conn, int):
        return conn
    try:
        if args.action == "run":
            report = evaluate.run(conn, settings, _secrets(), now=args.now)
            print("\n".join(report.lines()))
            return 1 if report.delivery and report.delivery.gave_up else 0
        if args.action == "backtest":
            chosen = (list(rules.DEFAULT_RULES) if args.defaults else
                      [rules.get(conn, args.id)] if args.id else rules.all_rules(conn, active_only=True))
            if not chosen:
                print("No rules: `cx alerts defaults` installs the default set (or use --defaults).", file=sys.stderr)
                return 0
            _emit(evaluate.backtest_summary(conn, settings, chosen), args.format)
            return 0
        if args.action == "events":
            _emit(evaluate.events(conn), args.format)
            return 0
        if args.action == "add":
            new = rules.add(conn, _rule_from_args(args), by=ACTOR)
            print(f"rule #{new}: {rules.get(conn, new).describe()}")
        elif args.action == "defaults":
            added = rules.install_defaults(conn, by=ACTOR, recipients=tuple(args.recipients))
            print(f"{len(added)} default rule(s) added")
        elif args.action != "list":
            if args.id is None:
                raise ValueError(f"`cx alerts {args.action}` needs the rule id (from `cx alerts list`)")
            until = args.until
            if args.action == "snooze" and until is None:
                if args.hours is None:
                    raise ValueError("`cx alerts snooze ID` needs --until YYYY-MM-DDTHH:MM or --hours N")
                until = (args.now or dt.datetime.now(dt.UTC).replace(tzinfo=None)) + dt.timedelta(hours=args.hours)
            rules.change(conn, args.id, args.action, by=ACTOR, until=until, recipients=tuple(args.recipients))
        frame = rules.table(conn)
        if frame.empty:
            print("No alert rules yet: `cx alerts defaults` installs the default set.", file=sys.stderr)
        else:
            _emit(frame, args.format)
        return 0
    finally:
        conn.close()


def _outbox(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.delivery import outbox

    conn = (_writer(settings, "cx outbox deliver") if args.action == "deliver" else
            _reader(settings, read_only=args.action == "list"))
    if isinstance(conn, int):
        return conn
    try:
        if args.action == "deliver":
            report = outbox.deliver_due(conn, _secrets(), now=args.now)
            print("\n".join(report.lines()))
            return 1 if report.gave_up else 0
        if args.action == "retry":
            print(f"{outbox.retry(conn, args.id, actor=ACTOR)} failed message(s) queued again")
        _emit(outbox.messages(conn, status=args.status))
        return 0
    finally:
        conn.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.digest.render import RenderError

    try:
        return _run(args, settings)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    return {"digest": _digest, "subscriptions": _subscriptions, "alerts": _alerts, "outbox": _outbox}[args.command](
        args, settings)
