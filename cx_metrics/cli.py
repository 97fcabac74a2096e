"""The ``cx`` command line: the same numbers as the dashboard, from the same functions."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import duckdb
import pandas as pd

from cx_metrics import catalog, cli_delivery, cli_followups, cli_surveys, db, demo, lake, spark
from cx_metrics.cli_output import dumps
from cx_metrics.cli_output import emit as _emit
from cx_metrics.config import ENGINES, ConfigError, Settings, load_settings
from cx_metrics.export import safe_csv_text
from cx_metrics.filters import Filters, Period
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.metrics import base, complaints, overview, resolution
from cx_metrics.metrics import churn as churn_metrics
from cx_metrics.metrics import themes as theme_metrics


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from exc


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, help="database file (default: CX_DB_PATH or data/cx.duckdb)")


def _add_yes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed when not at a terminal)")


def _add_view(p: argparse.ArgumentParser) -> None:
    _add_db(p)
    p.add_argument("--start", type=_date, help="first day, YYYY-MM-DD (default: 13 weeks before --end)")
    p.add_argument("--end", type=_date, help="last day, inclusive (default: the last full week of data)")
    p.add_argument("--plan", action="append", default=[], help="keep customers on this plan (repeatable)")
    p.add_argument("--region", action="append", default=[], help="keep customers in this region")
    p.add_argument("--segment", action="append", default=[], help="keep customers in this segment")
    p.add_argument("--channel", action="append", default=[], help="keep tickets/responses from this channel")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cx", description="CX analytics: the dashboard's numbers, on the CLI.")
    parser.add_argument("--engine", choices=ENGINES, help="which engine computes the metrics (default: [engine] kind "
                                                          "in cx.toml, else duckdb); spark reads [engine]'s tables")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create the database file and apply schema migrations")
    _add_db(p)

    p = sub.add_parser("demo", help="(re)build the seeded demo dataset")
    _add_db(p)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--customers", type=int, default=demo.DemoSize.customers)
    p.add_argument("--tickets", type=int, default=demo.DemoSize.tickets)
    p.add_argument("--if-missing", action="store_true", help="do nothing when the database already has data")
    p.add_argument("--force", action="store_true", help="replace data that came from real imports too")
    p.add_argument("--remove", action="store_true",
                   help="remove the demo dataset and keep your own imports (asks first; audited)")
    _add_yes(p)

    p = sub.add_parser("info", help="database path, schema version, rows per table, data span")
    _add_db(p)
    p.add_argument("--verify", action="store_true",
                   help="also read back every value of every table, checking each block's checksum (slower)")

    p = sub.add_parser("metric", help="compute a metric exactly as the dashboard does (--list: all of them)")
    p.add_argument("name", nargs="?", choices=sorted(catalog.commands()))
    p.add_argument("--list", action="store_true",
                   help="list the metric catalog: ids, labels, units, definitions, SQL, functions, pages, commands "
                        "(--format json: the catalog as strict JSON)")
    _add_view(p)
    p.add_argument("--grain", choices=list(complaints.GRAINS), default="week", help="time bucket")
    p.add_argument("--by", default=None,
                   help=f"breakdown: {', '.join(complaints.DIMENSIONS)} (default category); cohort figures: a "
                        "cohort dimension or attr:KEY (default generation)")
    p.add_argument("--value", help="complaint-rows / resolution-rows: the breakdown value whose tickets to list")
    p.add_argument("--metric", dest="metric", choices=list(resolution.METRICS), default="full_resolution",
                   help="time-to-resolution / km-curves / logrank: which end point")
    p.add_argument("--group", choices=list(resolution.GROUPS), default="all",
                   help="time-to-resolution / km-curves / logrank: compare by")
    p.add_argument("--handling", choices=list(resolution.OUTCOME_BUCKETS), default="resolution_time",
                   help="csat-by-handling: bucket by")
    p.add_argument("--clock", choices=list(resolution.CLOCKS), default="calendar",
                   help="time-to-resolution / km-curves / logrank / resolution-rows: calendar or business hours")
    p.add_argument("--sla-clock", dest="sla_clock", choices=list(resolution.CLOCKS),
                   help="sla-breaches / breaches-over-time: count targets on this clock (default: [sla] clock)")
    cli_surveys.add_arguments(p)
    p.add_argument("--cohort", choices=list(churn_metrics.COHORTS), default="all",
                   help="churn-rate / churn-cohorts / retention: compare customers by")
    p.add_argument("--mix-by", choices=list(theme_metrics.MIX_DIMENSIONS), default="channel",
                   help="theme-mix: compare themes across")
    p.add_argument("--theme", type=int, help="theme-verbatims: the theme key (see `cx themes show`)")
    p.add_argument("--kind", action="append", choices=list(theme_metrics.KINDS), default=[],
                   help="theme metrics: only tickets or only survey comments (repeatable; default both)")

    p = sub.add_parser("themes", help="themes in ticket and survey text: fit, show, rename, pin, merge")
    p.add_argument("action", choices=["fit", "show", "assign", "rename", "pin", "unpin", "merge", "unmerge"],
                   help="fit: (re)fit the model; show: list themes; assign: themes for texts imported since the "
                        "fit; rename KEY NAME; pin/unpin KEY; merge KEY INTO; unmerge KEY")
    p.add_argument("args", nargs="*", help="theme key(s) / new name")
    _add_db(p)
    p.add_argument("--themes", type=int, help="fit: this many themes instead of the stability choice")
    p.add_argument("--seed", type=int, default=7, help="fit: random seed (same seed, same themes)")
    p.add_argument("--all", action="store_true", help="show: also themes the latest fit did not find")
    p.add_argument("--source", choices=["all", "tickets", "comments"], default="all",
                   help="fit/assign/show: ticket text or survey comments (each has its own model; default both)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    p = sub.add_parser("import", help="import a vendor export (tickets, surveys, customers, activity)")
    p.add_argument("path", type=Path)
    _add_db(p)
    p.add_argument("--kind", choices=["tickets", "ticket_events", "surveys", "customers", "activity"],
                   help="override the detected kind")
    p.add_argument("--vendor", help="override the detected vendor (e.g. 'Zendesk (UI/Explore export)')")
    p.add_argument("--source", help="name of the system the file comes from (ids are unique per source)")
    p.add_argument("--mapping", type=Path, help='JSON file {"canonical_field": "column", ...}')
    p.add_argument("--sheet", help="workbook sheet to read (default: the first non-empty one)")
    dates = p.add_mutually_exclusive_group()
    dates.add_argument("--day-first", dest="day_first", action="store_const", const=True,
                       help="read ambiguous dates as DD/MM/YYYY")
    dates.add_argument("--month-first", dest="day_first", action="store_const", const=False,
                       help="read ambiguous dates as MM/DD/YYYY")
    p.add_argument("--timezone", default="UTC",
                   help="time zone of times written without an offset, e.g. Europe/Paris (default UTC)")
    p.add_argument("--keep-pii", action="store_true", help="store emails/names in clear (default: hashed or dropped)")
    p.add_argument("--save-mapping", action="store_true", help="reuse this mapping for the source's next files")
    p.add_argument("--dry-run", action="store_true", help="show what would load; write nothing")
    p.add_argument("--replace-demo", action="store_true",
                   help="remove the demo dataset in the same transaction, so figures count only your data (asks "
                        "first; audited)")
    _add_yes(p)
    p.add_argument("--accept", action="store_true",
                   help="load a file understood with low confidence as proposed (without it, the proposal is shown)")
    p.add_argument("--fieldwork-date", dest="fieldwork_date", type=_date,
                   help="files without a date per row: the day (YYYY-MM-DD) survey answers were collected or a "
                        "customer snapshot was taken (default: the import day, said in a warning)")
    p.add_argument("--format", choices=["table", "json"], default="table")

    p = sub.add_parser("imports", help="import history")
    _add_db(p)
    p = sub.add_parser("undo", help="remove exactly the rows of an import (says what, and asks first)")
    p.add_argument("import_id", type=int)
    _add_db(p)
    _add_yes(p)
    p = sub.add_parser("rejects", help="the rejected lines of an import")
    p.add_argument("import_id", type=int)
    _add_db(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    sub.add_parser("definitions", help="print every metric definition")

    p = sub.add_parser("sql", help="print a query with its fragments expanded and its parameters listed")
    p.add_argument("action", choices=["show", "list"], help="show NAME: the query, ready for the DuckDB shell; "
                                                            "list: every query name")
    p.add_argument("name", nargs="?", help="the query's name (a file of cx_metrics/sql without .sql)")

    p = sub.add_parser("churn", help="train the churn-risk model or list the customers most at risk")
    p.add_argument("action", choices=["train", "score"])
    _add_db(p)
    p.add_argument("--top", type=int, default=50, help="score: how many customers to list (0 = all)")
    p.add_argument("--plan", action="append", default=[], help="score: keep customers on this plan (repeatable)")
    p.add_argument("--region", action="append", default=[], help="score: keep customers in this region")
    p.add_argument("--segment", action="append", default=[], help="score: keep customers in this segment")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    p = sub.add_parser("lake", help="write the canonical tables as Parquet partitioned by month (for Spark)")
    p.add_argument("action", choices=["export"])
    _add_db(p)
    p.add_argument("--to", type=Path, required=True, help="the lake folder: one folder per table, month=YYYY-MM inside")

    cli_delivery.add_parsers(sub, _add_db, _date)
    cli_followups.add_parsers(sub, _add_db, _date)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    if getattr(args, "engine", None):
        settings = replace(settings, engine=replace(settings.engine, kind=args.engine))
    return settings.with_db(args.db) if getattr(args, "db", None) else settings


def _period(conn: db.Connection, args: argparse.Namespace) -> Period:
    default = base.default_period(conn)
    end = args.end or default.end
    start = args.start or (end - (default.end - default.start))
    return Period(start, end)


def _filters(args: argparse.Namespace) -> Filters:
    return Filters.of(plans=args.plan, regions=args.region, segments=args.segment,
                      channels=getattr(args, "channel", []))


#: filter name -> (flag, noun for the message)
_FILTER_FLAGS = {"plans": ("--plan", "plan"), "regions": ("--region", "region"),
                 "segments": ("--segment", "segment"), "channels": ("--channel", "channel")}


def check_filters(conn: db.Connection, filters: Filters) -> None:
    """Refuse a filter value the database does not hold (it would silently select nothing), naming the valid
    ones, as the dashboard does for a link's values."""
    options = base.filter_options(conn)
    for name, (flag, noun) in _FILTER_FLAGS.items():
        known = options.get(name, [])
        for value in getattr(filters, name):
            if value in known:
                continue
            near = [k for k in known if k.casefold() == value.casefold()]
            hint = f" Did you mean {near[0]!r}? Values are matched exactly." if near else ""
            listed = ", ".join(known) if known else f"none (no {noun} is recorded)"
            raise ValueError(f"{flag} {value!r} is not in this database, so it would select nothing.{hint} "
                             f"The {noun}s here: {listed}.")


def _with_origin_note(conn: db.Connection, frame: pd.DataFrame) -> pd.DataFrame:
    """Add a note when the demo dataset and the user's own rows are mixed (every figure counts both), as every
    dashboard page says: on stderr for the table and CSV output, under "notes" in the JSON."""
    found = base.contents(conn)
    if found.mixed:
        note = (f"Demo and your own data are mixed: the demo dataset ({found.describe(found.demo_rows)}) beside "
                f"yours ({found.describe(found.own_rows)}); every figure counts both. `cx demo --remove` removes the "
                "demo rows and keeps yours.")
        frame.attrs["notes"] = [*frame.attrs.get("notes", ()), note]
    return frame


def _check_surveys(conn: db.Connection, names: Sequence[str]) -> None:
    if not names:
        return
    from cx_metrics.metrics import surveys

    known = [str(n) for n in surveys.survey_inventory(conn)["survey_name"].dropna().unique()]
    for name in names:
        if name not in known:
            raise ValueError(f"--survey {name!r} is not in this database, so it would select nothing. The surveys "
                             f"here: {', '.join(known) or 'none'} (`cx metric survey-inventory` lists them).")


def _connect(settings: Settings, *, read_only: bool, state_only: bool = False) -> db.Connection:
    """Open the database as a `cx` command: readers wait (CX_DB_LOCK_WAIT seconds) for a writer to finish. With
    the Spark engine, mixed mode: the metric queries run on Spark (read only: a lake is written by its own pipelines),
    what the dashboard keeps (follow-ups, themes, roles...) is read from and, for a command that writes only that
    (``state_only``: `cx themes`), written to the DuckDB file; a command that writes the data is refused."""
    if settings.engine.kind == "spark":
        if not read_only and not state_only:
            raise ValueError("this command writes to the database, and the engine is Spark, which cx only reads: "
                             "run it with `cx --engine duckdb ...` on the DuckDB file, then `cx lake export --to "
                             "PATH` to move the data to the lake")
        # the mixed connection answers the DuckDB connection calls the metric code makes (cx_metrics.spark)
        state = db.connect(settings, read_only=read_only and settings.db_path.exists(), wait=None,
                           on_wait=lambda message: print(message, file=sys.stderr, flush=True))
        return cast(db.Connection, spark.mixed(settings, state))
    return db.connect(settings, read_only=read_only, wait=None,
                      on_wait=lambda message: print(message, file=sys.stderr, flush=True))


def _confirm(args: argparse.Namespace, question: str) -> bool:
    """Ask ``question`` at a terminal; elsewhere only --yes confirms. False: the user declined."""
    if getattr(args, "yes", False):
        return True
    if not sys.stdin.isatty():
        raise ValueError(f"{question} This command asks before it removes data, and there is no terminal to ask "
                         "at: add --yes to confirm.")
    print(question, file=sys.stderr)
    try:
        answer = input("Continue? [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in {"y", "yes"}


#: figures computed over all the data, whatever --start/--end say
NO_PERIOD = frozenset({"backlog", "retention", "complaint-lift", "cohort-grid", "survey-inventory", "survey-answers",
                       "cohort-attributes", "churn-definition"})


def _uses_period(name: str, args: argparse.Namespace) -> bool:
    if name in ("service-recovery", "recovery-verdict"):
        return bool(args.start or args.end)
    return name not in NO_PERIOD and name not in UNTIMED


def _view(period: Period | None, filters: Filters) -> dict[str, Any]:
    """The period and filters of a result, for the JSON output (the table output prints the same line)."""
    def span(p: Period) -> dict[str, Any]:
        return {"start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days, "label": p.label()}

    return {"period": span(period) if period else None,
            "previous_period": span(period.previous()) if period else None,
            "filters": {name: list(getattr(filters, name)) for name in _FILTER_FLAGS},
            "filters_label": filters.describe()}


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    if args.remove:
        return _cmd_demo_remove(args, settings)
    conn = _connect(settings, read_only=False)
    try:
        if args.if_missing and demo.has_data(conn):
            print(f"{settings.db_path} already has data; leaving it as it is.")
            return 0
        if demo.non_demo_imports(conn) and not args.force:
            print(
                f"{settings.db_path} holds {demo.non_demo_imports(conn)} real import(s); rebuilding the demo "
                "would replace them. Use another --db, or --force to replace them.",
                file=sys.stderr,
            )
            return 2
        print(f"Building the demo dataset (seed {args.seed}) in {settings.db_path} ...", flush=True)
        counts = demo.build(conn, seed=args.seed, size=demo.DemoSize(args.customers, args.tickets))
        print(", ".join(f"{v:,} {k}" for k, v in counts.items() if k != "import_id"))
        return 0
    finally:
        conn.close()


def _cmd_demo_remove(args: argparse.Namespace, settings: Settings) -> int:
    conn = _connect(settings, read_only=False)
    try:
        found = base.contents(conn)
        if not found.has_demo:
            print(f"{settings.db_path} holds no demo data; nothing to remove.")
            return 0
        kept = (f" Your own data stays: {base.Contents.describe(found.own_rows)}." if found.has_own
                else " Nothing else is in the database, so it will be empty.")
        if not _confirm(args, f"This removes the demo dataset from {settings.db_path}: "
                              f"{base.Contents.describe(found.demo_rows)}.{kept}"):
            print("Nothing removed.", file=sys.stderr)
            return 1
        removed = demo.remove(conn, actor="cli")
        print(f"Removed the demo dataset: {base.Contents.describe(removed)} (in the audit log as remove_demo).")
        return 0
    finally:
        conn.close()


#: `cx metric` command -> function(conn, period, filters, settings, args) -> frame. The commands, and what each one
#: prints, are :mod:`cx_metrics.catalog`'s (its entries list them); these only say how to call each function.
RUNNERS: dict[str, Any] = {
    "kpis": lambda c, p, f, s, a: overview.kpis(c, period=p, filters=f, settings=s),
    "complaint-trend": lambda c, p, f, s, a: complaints.complaint_trend(
        c, period=p, grain=a.grain, filters=f, settings=s),
    "complaint-volume": lambda c, p, f, s, a: complaints.complaint_volume(
        c, period=p, grain=a.grain, by=a.by, filters=f, settings=s),
    "top-movers": lambda c, p, f, s, a: complaints.top_movers(
        c, period=p, by=a.by, filters=f, settings=s),
    "anomalies": lambda c, p, f, s, a: complaints.anomalies(
        c, period=p, grain=a.grain, by=a.by, filters=f, settings=s),
    "repeat-complaints": lambda c, p, f, s, a: complaints.repeat_complaints(
        c, period=p, filters=f, settings=s),
    "time-to-resolution": lambda c, p, f, s, a: resolution.time_to_event(
        c, period=p, metric=a.metric, by=a.group, filters=f, settings=s, clock=a.clock),
    "km-curves": lambda c, p, f, s, a: resolution.km_curves(
        c, period=p, metric=a.metric, by=a.group, filters=f, settings=s, clock=a.clock),
    "logrank": lambda c, p, f, s, a: resolution.logrank(
        c, period=p, metric=a.metric, by=a.group, filters=f, settings=s, clock=a.clock),
    "resolution-trend": lambda c, p, f, s, a: resolution.resolution_trend(
        c, period=p, grain=a.grain if a.grain != "day" else "week", metric=a.metric, filters=f, settings=s,
        clock=a.clock),
    "resolution-rows": lambda c, p, f, s, a: resolution.resolution_rows(
        c, period=p, metric=a.metric, by=a.group if a.value else "all", value=a.value, filters=f, settings=s,
        clock=a.clock),
    "vendor-agreement": lambda c, p, f, s, a: resolution.vendor_agreement(
        c, period=p, filters=f, settings=s),
    "sla-breaches": lambda c, p, f, s, a: resolution.sla_breaches(
        c, period=p, filters=f, settings=s, clock=a.sla_clock),
    "breaches-over-time": lambda c, p, f, s, a: resolution.sla_breach_trend(
        c, period=p, grain=a.grain, filters=f, settings=s, clock=a.sla_clock),
    "backlog": lambda c, p, f, s, a: resolution.backlog(c, filters=f),
    "handoffs": lambda c, p, f, s, a: resolution.handoff_distribution(
        c, period=p, filters=f, settings=s),
    "backlog-history": lambda c, p, f, s, a: resolution.backlog_history(
        c, period=p, filters=f),
    "follow-through": lambda c, p, f, s, a: resolution.follow_through(
        c, period=p, by=a.group, filters=f, settings=s),
    "csat-by-handling": lambda c, p, f, s, a: resolution.experience_vs_outcome(
        c, period=p, by=a.handling, filters=f, settings=s),
    "nps-by-handling": lambda c, p, f, s, a: resolution.experience_vs_outcome(
        c, period=p, by=a.handling, filters=f, settings=s, metric="nps"),
    "theme-volume": lambda c, p, f, s, a: theme_metrics.theme_volume(
        c, period=p, grain=a.grain, filters=f, kinds=tuple(a.kind) or None, settings=s),
    "theme-anomalies": lambda c, p, f, s, a: theme_metrics.theme_anomalies(
        c, period=p, grain=a.grain, filters=f, kinds=tuple(a.kind) or None, settings=s),
    "theme-mix": lambda c, p, f, s, a: theme_metrics.theme_mix(
        c, period=p, by=a.mix_by, filters=f, kinds=tuple(a.kind) or None, settings=s),
    "emerging-themes": lambda c, p, f, s, a: theme_metrics.emerging_themes(
        c, period=p, filters=f, kinds=tuple(a.kind) or None, settings=s),
    "theme-impact": lambda c, p, f, s, a: theme_metrics.theme_impact(
        c, period=p, metric=a.score, filters=f, settings=s),
    "product-requests": lambda c, p, f, s, a: theme_metrics.product_requests(
        c, period=p, filters=f, kinds=tuple(a.kind) or None),
    "themes-behind": lambda c, p, f, s, a: theme_metrics.themes_behind(
        c, period=p, by=a.by, value=a.value, filters=f, settings=s),
    "theme-verbatims": lambda c, p, f, s, a: theme_metrics.theme_verbatims(
        c, theme_key=_theme_key(a), period=p, filters=f, kinds=tuple(a.kind) or None),
    "complaint-rows": lambda c, p, f, s, a: complaints.complaint_rows(
        c, start=p.start_ts, end=p.end_ts, by=a.by if a.value else "all", value=a.value, filters=f, settings=s),
}
RUNNERS.update(cli_surveys.RUNNERS)


RUNNERS.update({
    "churn-definition": lambda c, p, f, s, a: _churn_definition_frame(c, s),
    "churn-share": lambda c, p, f, s, a: churn_metrics.snapshot_churn(
        c, by=a.cohort, filters=f, settings=s),
    "churn-rate": lambda c, p, f, s, a: churn_metrics.churn_rates(
        c, period=p, grain=a.grain, by=a.cohort, filters=f, settings=s),
    "churn-cohorts": lambda c, p, f, s, a: churn_metrics.churn_by_cohort(
        c, period=p, by="plan" if a.cohort == "all" else a.cohort, filters=f, settings=s),
    "retention": lambda c, p, f, s, a: churn_metrics.retention_curves(
        c, by=a.cohort, filters=f, settings=s),
    "complaint-lift": lambda c, p, f, s, a: churn_metrics.complaint_lift(
        c, filters=f, settings=s),
    "service-recovery": lambda c, p, f, s, a: churn_metrics.service_recovery(
        c, window=p if (a.start or a.end) else None, filters=f, settings=s),
    "recovery-verdict": lambda c, p, f, s, a: churn_metrics.recovery_verdict(
        churn_metrics.service_recovery(c, window=p if (a.start or a.end) else None, filters=f, settings=s), s),
})


#: metrics of the data as it stands, with no period
UNTIMED = {"churn-share"}


def _churn_definition_frame(conn: db.Connection, settings: Settings) -> pd.DataFrame:
    d = churn_metrics.definition(conn, settings)
    return pd.DataFrame([{"mode": d.mode, "inactivity_days": d.inactivity_days, "suggested_days": d.suggested_days,
                          "as_of": d.as_of, "observable_until": d.obs_end, "horizon_days": d.horizon_days,
                          "timed": d.timed, "definition": d.describe()}])


def _cmd_churn(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.models import churn_store

    conn = _connect(settings, read_only=True)
    try:
        def progress(fraction: float, text: str) -> None:
            print(f"[{fraction:4.0%}] {text}", file=sys.stderr, flush=True)

        if args.action == "train":
            model = churn_store.train(conn, settings, progress=progress)
            print(churn_store.card_markdown(model.card))
            print(f"saved: {churn_store.model_paths(settings)['model']}", file=sys.stderr)
            return 0
        status, why = churn_store.model_status(conn, settings)
        if status != "current":
            print(f"{why} Training first.", file=sys.stderr)
        model = churn_store.ensure_model(conn, settings, progress=progress)
        filters = Filters.of(plans=args.plan, regions=args.region, segments=args.segment)
        check_filters(conn, filters)
        frame = churn_store.score(conn, settings, model=model, filters=filters, top=args.top or None)
        _emit(_with_origin_note(conn, frame), args.format)
        return 0
    finally:
        conn.close()


def _theme_key(args: argparse.Namespace) -> int:
    if args.theme is None:
        raise ValueError("theme-verbatims needs --theme KEY (`cx themes show` lists the keys)")
    return int(args.theme)


def _cmd_themes(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.models import theme_store
    from cx_metrics.models.themes import ThemeModel

    def key(i: int) -> int:
        try:
            return int(args.args[i])
        except (IndexError, ValueError):
            raise ValueError(f"`cx themes {args.action}` needs a theme key (a number from `cx themes show`) "
                             f"as argument {i + 1}") from None

    conn = _connect(settings, read_only=args.action == "show", state_only=True)  # themes are the dashboard's state
    try:
        if args.action == "fit":
            options = ThemeModel(n_themes=args.themes, random_state=args.seed)
            for result in theme_store.fit_all(
                    conn, settings, options, source=args.source, actor="cli",
                    progress=lambda f, m: print(f"[{f:4.0%}] {m}", file=sys.stderr, flush=True)):
                how = (f"chosen by stability ({', '.join(f'{k}: {v:.2f}' for k, v in result.stability.items())})"
                       if result.chosen_by == "stability" else "fixed by --themes")
                if result.split:
                    how += (f", then {result.split} theme(s) holding unrelated kinds of text split into one theme "
                            "per kind")
                print(f"fit #{result.fit_id} ({result.source}): {result.n_themes} themes over {result.documents:,} "
                      f"texts ({result.distinct_texts:,} distinct) in {result.seconds:.1f} s; number of themes {how}; "
                      f"{len(result.kept)} kept from the previous fit, {len(result.new)} new, "
                      f"{len(result.pinned_kept)} pinned kept; {result.template_sentences} template sentences "
                      f"ignored; model saved to {result.model_path}")
        elif args.action == "assign":
            print(f"{theme_store.assign_new(conn, settings, source=args.source):,} new texts assigned with the saved "
                  "model")
        elif args.action == "rename":
            theme_store.rename(conn, key(0), " ".join(args.args[1:]) or None)
        elif args.action in ("pin", "unpin"):
            theme_store.pin(conn, key(0), args.action == "pin")
        elif args.action == "merge":
            theme_store.merge(conn, key(0), key(1))
        elif args.action == "unmerge":
            theme_store.unmerge(conn, key(0))
        if args.action in ("show", "rename", "pin", "unpin", "merge", "unmerge"):
            frame = theme_store.catalog(conn, args.source)
            if not args.all:
                frame = frame[frame["active"] | frame["pinned"] | frame["merged_into"].notna()]
            if frame.empty:
                print("No themes yet: run `cx themes fit`.", file=sys.stderr)
                return 0
            frame = frame.assign(top_terms=frame["top_terms"].map(", ".join),
                                 example=frame["examples"].map(lambda e: e[0] if e else ""))
            _emit(frame[["theme_key", "theme", "corpus", "pinned", "merged_into", "active", "documents", "share",
                         "top_terms", "example"]], args.format)
        return 0
    finally:
        conn.close()


def _cmd_metric(args: argparse.Namespace, settings: Settings) -> int:
    if args.list or not args.name:
        return _list_metrics(args.format)
    conn = _connect(settings, read_only=True)
    try:
        period = _period(conn, args)
        filters = _filters(args)
        check_filters(conn, filters)
        _check_surveys(conn, args.survey)
        if args.by is None:
            args.by = cli_surveys.DEFAULT_BY.get(args.name, "category")
        frame = RUNNERS[args.name](conn, period, filters, settings, args)
        if args.name == "kpis" and args.format == "table":
            frame = frame[["label", "value", "ci_low", "ci_high", "n", "prev_value", "delta", "p_value",
                           "significant"]]
        shown = period if _uses_period(args.name, args) else None
        if args.format != "json":  # the same line the JSON carries as "period" and "filters"
            scope = (f"{shown.label()} vs {shown.previous().label()}" if shown else
                     "the customer table as it stands" if args.name in UNTIMED else "all data (no period applies)")
            print(f"# {args.name}: {scope}; {filters.describe()}", file=sys.stderr)
        _emit(_with_origin_note(conn, frame), args.format, {"metric": args.name, **_view(shown, filters)})
        return 0
    finally:
        conn.close()


def _list_metrics(fmt: str) -> int:
    """The metric catalog: as strict JSON (``--format json``), csv, or readable text."""
    if fmt == "json":
        print(json.dumps(catalog.as_json(), indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    if fmt == "csv":
        frame = pd.DataFrame(catalog.as_json())
        for col in ("sql", "sql_files", "pages", "page_files", "commands"):
            frame[col] = frame[col].map(" ".join)
        sys.stdout.write(safe_csv_text(frame))
        return 0
    reading = {"higher": "higher is better", "lower": "lower is better", "neither": "descriptive"}
    for m in catalog.METRICS.values():
        print(f"{m.id}: {m.label} ({m.unit}; {reading[m.direction]})")
        print(f"    {m.definition}")
        print(f"    grain: {m.grain}")
        print(f"    computed by {m.function}, reading " + ", ".join(f"{q}.sql" for q in m.sql))
        print("    shown on " + ", ".join(f"views/{page}.py" for page in m.pages)
              + (f"; cx metric {' | '.join(m.commands)}" if m.commands else ""))
        print()
    return 0


def _cmd_sql(args: argparse.Namespace) -> int:
    if args.action == "list":
        print("\n".join(db.sql_names()))
        return 0
    if not args.name:
        raise ValueError("`cx sql show` needs a query name; `cx sql list` lists them")
    if args.engine == "spark":  # the same query as Spark runs it: rendered from the one DuckDB text, parameters unbound
        if args.name not in db.sql_names():
            raise ValueError(f"no query named {args.name!r}; `cx sql list` lists them")
        print(f"-- {args.name}: cx_metrics/sql/{args.name}.sql rendered for Spark SQL; parameters: "
              + (", ".join(f":{p}" for p in sorted(db.sql_params(args.name))) or "none"))
        print(spark.render_unbound(db.sql_text(args.name)) + ";")
        return 0
    print(db.sql_script(args.name, Filters().params()))
    return 0


def _cmd_info(settings: Settings, *, verify: bool = False) -> int:
    conn = _connect(settings, read_only=True)  # refuses a truncated file (db.check_file)
    try:
        print(f"database: {settings.db_path}")
        print(f"schema version: {db.schema_version(conn)}")
        span = base.data_range(conn)
        print(f"data: {span[0]} to {span[1]}" if span else "data: none")
        found = base.contents(conn)
        print(f"contents: {found.summary()}")
        if found.mixed:
            print("  `cx demo --remove` removes the demo rows and keeps yours.")
        elif found.has_demo:
            print("  `cx import FILE --replace-demo` loads your export and removes the demo in one step.")
        print(f"default period: {base.default_period(conn).label()} (the last 13 full weeks of "
              f"{'your' if found.has_own else 'the'} data)")
        _emit(db.table_counts(conn), "table")
        if verify:
            rows = db.verify(conn)
            print(f"verified: every value of {len(rows)} tables ({sum(rows.values()):,} rows) reads back with its "
                  "checksum")
        return 0
    finally:
        conn.close()


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.ingest import parts
    from cx_metrics.ingest.contract import Options
    from cx_metrics.ingest.limits import Limits

    if not args.path.is_file():
        raise ImportRefused(f"{args.path} is not a file.")
    mapping = None
    if args.mapping:
        try:
            mapping = json.loads(args.mapping.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ImportRefused(f"The mapping file {args.mapping} is not readable JSON: {exc}.") from exc
    options = Options(source=args.source, day_first=args.day_first, keep_pii=args.keep_pii, timezone=args.timezone,
                      fieldwork_date=args.fieldwork_date)
    limits = Limits.from_megabytes(settings.max_upload_mb, settings.max_columns)
    # a large CSV is imported in parts inside one transaction (a dry run rolls it back, so it needs write access)
    large = args.sheet is None and args.path.stat().st_size > parts.PART_BYTES
    conn = _connect(settings, read_only=args.dry_run and settings.db_path.exists() and not large)
    try:
        found = base.contents(conn)
        replace_demo = args.replace_demo and found.has_demo
        if replace_demo and not args.dry_run and not _confirm(
                args, f"This loads {args.path.name} and removes the demo dataset from {settings.db_path} "
                      f"({base.Contents.describe(found.demo_rows)}) in one transaction."):
            print("Nothing imported, nothing removed.", file=sys.stderr)
            return 1
        result, rejects = parts.import_file(conn, args.path, kind=args.kind, vendor=args.vendor, mapping=mapping,
                                            options=options, sheet=args.sheet, dry_run=args.dry_run,
                                            save_mapping=args.save_mapping, limits=limits,
                                            replace_demo=replace_demo and not args.dry_run,
                                            confirm=not (args.accept or args.kind or mapping))
    finally:
        conn.close()
    summary = {**result.summary, "status": result.status}
    if found.has_demo:
        demo_rows = base.Contents.describe(found.demo_rows)
        if result.status == "already imported":
            summary["demo"] = f"kept ({demo_rows}); nothing was imported"
        elif replace_demo:
            summary["demo"] = f"{'would be ' if args.dry_run else ''}removed ({demo_rows})"
        elif args.dry_run:
            summary["demo"] = f"would stay beside your data ({demo_rows}); --replace-demo removes it"
        else:
            summary["demo"] = f"kept beside your data ({demo_rows})"
    if args.format == "json":
        print(dumps(summary))
    else:
        for key, value in summary.items():
            if value not in (None, [], {}):
                print(f"{key:>16}: {value}")
        if len(rejects):
            print(f"\nfirst rejected lines (of {len(rejects):,}):")
            _emit(rejects.head(10), "table")
    if result.status == "already imported":
        print(f"This file was already imported as #{result.duplicate_of}; nothing changed.", file=sys.stderr)
    elif result.status == "loaded" and found.has_demo and not replace_demo:
        print(f"note: the database also holds the demo dataset ({base.Contents.describe(found.demo_rows)}), so "
              "every figure now mixes demo rows with yours. `cx demo --remove` removes the demo and keeps your "
              "data.", file=sys.stderr)
    return 0


def _cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from cx_metrics.ingest import load as ingest

    conn = _connect(settings, read_only=args.command in {"imports", "rejects"})
    try:
        if args.command == "imports":
            _emit(ingest.history(conn), "table")
        elif args.command == "rejects":
            _emit(ingest.rejects_of(conn, args.import_id), args.format,
                  empty=f"Import #{args.import_id} has no rejected lines.")
        else:
            plan = ingest.footprint(conn, args.import_id)
            if plan["status"] == "loaded" and plan["kind"] != "demo" and not _confirm(
                    args, f"Undo: {ingest.describe_undo(plan)}"):
                print("Nothing undone.", file=sys.stderr)
                return 1
            removed = ingest.undo(conn, args.import_id, actor="cli")
            print(f"Import #{args.import_id} undone: removed {base.Contents.describe(removed)}"
                  + (f", restored {base.Contents.describe(plan['restores'])}" if plan["restores"] else "") + ".")
        return 0
    finally:
        conn.close()


def _cmd_lake(args: argparse.Namespace, settings: Settings) -> int:
    conn = _connect(replace(settings, engine=replace(settings.engine, kind="duckdb")), read_only=True)
    try:
        rows = lake.export(conn, args.to)
    finally:
        conn.close()
    for table, count in rows.items():
        print(f"{table}: {count:,} rows", file=sys.stderr)
    print(args.to.expanduser().resolve())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader went away (`cx ... | head`): stop quietly, as other Unix tools do. Python would also complain
        # when it flushes stdout at exit, so stdout is pointed at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        if args.command == "metric" and (args.list or not args.name):
            return _cmd_metric(args, Settings())
        if args.command == "definitions":
            for m in catalog.METRICS.values():
                print(f"{m.id} ({m.label})\n    {m.definition}\n")
            return 0
        if args.command == "sql":
            return _cmd_sql(args)
        settings = _settings(args)
        if args.command == "init":
            conn = _connect(settings, read_only=False)
            print(f"{settings.db_path}: schema version {db.schema_version(conn)}")
            conn.close()
            return 0
        if args.command == "demo":
            return _cmd_demo(args, settings)
        if args.command == "info":
            return _cmd_info(settings, verify=args.verify)
        if args.command == "import":
            return _cmd_import(args, settings)
        if args.command in {"imports", "undo", "rejects"}:
            return _cmd_history(args, settings)
        if args.command == "churn":
            return _cmd_churn(args, settings)
        if args.command == "lake":
            return _cmd_lake(args, settings)
        if args.command == "themes":
            return _cmd_themes(args, settings)
        if args.command in cli_delivery.COMMANDS:
            return cli_delivery.run(args, settings)
        if args.command in cli_followups.COMMANDS:
            return cli_followups.run(args, settings)
        return _cmd_metric(args, settings)
    except ImportRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 3
    except (db.DatabaseError, ConfigError, ValueError, spark.SparkQueryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:  # a full disk, a damaged file: a sentence, not a traceback
        print(f"error: {db.explain(exc, getattr(settings, 'db_path', None))}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
