"""Cohort and survey queries at scale: 1M survey responses (and 1M tickets, 200k customers) by default.

    python bench/bench_cohorts.py [--responses 1000000] [--repeats 3]

Builds a seeded synthetic database in DuckDB itself (hash-based values, so the same rows on every run and
machine), then times each Cohorts/Surveys page call cold (a fresh process) and warm, over the default period
(the last 13 full weeks) and over all the data. Writes bench/RESULTS-cohorts.md; `bench/run.py` also calls
:func:`measure` and adds the table to RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cx_metrics import db  # noqa: E402
from cx_metrics.config import Settings  # noqa: E402
from cx_metrics.filters import Period  # noqa: E402
from cx_metrics.metrics import base, cohorts, surveys  # noqa: E402

END = dt.datetime(2026, 11, 15)
DAYS = 728

# Values come from hash(row number, salt): deterministic, no random generator state to seed. Rows are stored in
# time order, as exports arrive (so DuckDB's min/max zone maps can skip old row groups, as on real data).
BUILD = """
INSERT INTO customers (customer_id, signup_at, birth_year, plan, segment, region, country, acquisition_channel,
                       status, churned_at, attributes)
SELECT
    'C' || i,
    $end - to_days(CAST(hash(i, 'signup') % 1800 AS INTEGER)) AS signup_at,
    1940 + CAST(hash(i, 'birth') % 66 AS INTEGER),
    ['Free', 'Basic', 'Pro', 'Enterprise'][1 + CAST(hash(i, 'plan') % 4 AS INTEGER)],
    ['Consumer', 'SMB', 'Mid-market', 'Enterprise'][1 + CAST(hash(i, 'seg') % 4 AS INTEGER)],
    ['EMEA', 'North America', 'APAC', 'LATAM'][1 + CAST(hash(i, 'region') % 4 AS INTEGER)],
    'C' || CAST(hash(i, 'country') % 30 AS VARCHAR),
    ['organic', 'paid search', 'referral', 'partner'][1 + CAST(hash(i, 'acq') % 4 AS INTEGER)],
    CASE WHEN hash(i, 'churn') % 5 = 0 THEN 'churned' ELSE 'active' END,
    CASE WHEN hash(i, 'churn') % 5 = 0 THEN $end - to_days(CAST(hash(i, 'churn_at') % 700 AS INTEGER)) END,
    json_object('industry', ['Retail', 'Media', 'Finance', 'Software', 'Travel'][
        1 + CAST(hash(i, 'ind') % 5 AS INTEGER)], 'seats', CAST(hash(i, 'seats') % 500 AS INTEGER))
FROM range($customers) AS r(i);

INSERT INTO tickets (source, ticket_id, customer_id, created_at, solved_at, status, channel, category, ticket_type,
                     is_complaint)
SELECT
    'bench', 'T' || i, 'C' || CAST(hash(i, 'cust') % $customers AS VARCHAR),
    $end - to_seconds(CAST(hash(i, 'created') % ($days * 86400) AS BIGINT)) AS created_at,
    CASE WHEN hash(i, 'open') % 20 <> 0
         THEN $end - to_seconds(CAST(hash(i, 'created') % ($days * 86400) AS BIGINT))
              + to_minutes(CAST(30 + hash(i, 'res') % 6000 AS BIGINT)) END,
    CASE WHEN hash(i, 'open') % 20 <> 0 THEN 'solved' ELSE 'open' END,
    ['email', 'chat', 'phone', 'web', 'social', 'messaging'][1 + CAST(hash(i, 'ch') % 6 AS INTEGER)],
    ['Billing', 'Bug report', 'How-to', 'Performance'][1 + CAST(hash(i, 'cat') % 4 AS INTEGER)],
    ['question', 'incident', 'problem', 'task'][1 + CAST(hash(i, 'type') % 4 AS INTEGER)],
    hash(i, 'type') % 4 IN (1, 2)
FROM range($tickets) AS r(i)
ORDER BY 4;

INSERT INTO survey_responses (source, response_id, survey_name, customer_id, ticket_id, responded_at, metric, score,
                              scale_min, scale_max, higher_is_better, comment, touchpoint, channel)
SELECT
    'bench', 'R' || i,
    CASE m WHEN 'nps' THEN 'Quarterly NPS' WHEN 'csat' THEN 'Post-ticket CSAT' ELSE 'Post-ticket effort' END,
    'C' || CAST(hash(i, 'rcust') % $customers AS VARCHAR),
    CASE WHEN m <> 'nps' THEN 'T' || CAST(hash(i, 'rt') % $tickets AS VARCHAR) END,
    $end - to_seconds(CAST(hash(i, 'resp') % ($days * 86400) AS BIGINT)),
    m,
    CASE m WHEN 'nps' THEN CAST(hash(i, 's') % 11 AS DOUBLE) WHEN 'csat' THEN CAST(1 + hash(i, 's') % 5 AS DOUBLE)
           ELSE CAST(1 + hash(i, 's') % 7 AS DOUBLE) END,
    CASE m WHEN 'nps' THEN 0 ELSE 1 END,
    CASE m WHEN 'nps' THEN 10 WHEN 'csat' THEN 5 ELSE 7 END,
    true,
    CASE WHEN hash(i, 'cmt') % 3 = 0 THEN ['Waiting too long for a refund', 'Great support, thanks',
        'The app keeps crashing', 'Prices went up'][1 + CAST(hash(i, 'txt') % 4 AS INTEGER)] END,
    CASE m WHEN 'nps' THEN 'relationship' ELSE 'ticket' END,
    CASE WHEN m <> 'nps' THEN ['email', 'chat', 'phone', 'web', 'social', 'messaging'][
        1 + CAST(hash(i, 'rch') % 6 AS INTEGER)] END
FROM (SELECT i, ['nps', 'csat', 'csat', 'ces'][1 + CAST(hash(i, 'metric') % 4 AS INTEGER)] AS m
      FROM range($responses) AS r(i))
ORDER BY 6;
"""


def build(path: Path, responses: int) -> dict[str, float]:
    """A seeded database with ``responses`` survey responses, as many tickets, responses / 5 customers."""
    started = time.perf_counter()
    conn = db.connect(Settings().with_db(path))
    params = {"end": END, "days": DAYS, "responses": responses, "tickets": responses,
              "customers": max(responses // 5, 1_000)}
    for statement in BUILD.split(";\n"):
        if statement.strip():
            conn.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    conn.execute("INSERT INTO meta VALUES ('data_version', '1') ON CONFLICT (key) DO NOTHING")
    conn.close()
    return {"responses": responses, "build_s": time.perf_counter() - started}


def _default(c: db.Connection) -> Period:
    return base.default_period(c)


def _all(c: db.Connection) -> Period:
    span = base.data_range(c)
    assert span is not None
    return Period(span[0], span[1])


#: name -> call (the page's calls, default period unless the name says "all data")
CALLS: dict[str, Callable[[db.Connection], Any]] = {
    "cohorts: CSAT by generation": lambda c: cohorts.breakdown(c, period=_default(c), metric="csat",
                                                              dim1="generation"),
    "cohorts: CSAT by generation x channel": lambda c: cohorts.breakdown(
        c, period=_default(c), metric="csat", dim1="generation", dim2="channel"),
    "cohorts: CSAT by generation x channel, all data": lambda c: cohorts.breakdown(
        c, period=_all(c), metric="csat", dim1="generation", dim2="channel"),
    "cohorts: NPS by attr:industry x tenure, all data": lambda c: cohorts.breakdown(
        c, period=_all(c), metric="nps", dim1="attr:industry", dim2="tenure_band"),
    "cohorts: CES by signup quarter, customer level, all data": lambda c: cohorts.breakdown(
        c, period=_all(c), metric="ces", dim1="signup_quarter", level="customer"),
    "cohorts: complaint rate by plan x age band": lambda c: cohorts.breakdown(
        c, period=_default(c), metric="complaint_rate", dim1="plan", dim2="age_band"),
    "cohorts: resolution hours by generation": lambda c: cohorts.breakdown(
        c, period=_default(c), metric="resolution_hours", dim1="generation"),
    "cohorts: churn rate by plan x generation": lambda c: cohorts.breakdown(
        c, period=_default(c), metric="churn_rate", dim1="plan", dim2="generation"),
    "cohorts: compare CSAT Millennials vs Gen X": lambda c: cohorts.compare(
        c, period=_default(c), metric="csat", dim1="generation", a="Millennials", b="Gen X"),
    "cohorts: compare resolution (Mann-Whitney)": lambda c: cohorts.compare(
        c, period=_default(c), metric="resolution_hours", dim1="plan", a="Free", b="Enterprise"),
    "cohorts: NPS spread by generation": lambda c: cohorts.spread(c, period=_default(c), metric="nps",
                                                                 dim1="generation"),
    "cohorts: retention grid by quarter": lambda c: cohorts.grid(c, metric="retention", grain="quarter"),
    "cohorts: NPS grid by quarter": lambda c: cohorts.grid(c, metric="nps", grain="quarter"),
    "cohorts: rows behind a cell": lambda c: cohorts.drill_rows(
        c, period=_default(c), metric="csat", dim1="generation", value1="Millennials"),
    "surveys: summary tiles": lambda c: surveys.survey_summary(c, period=_default(c)),
    "surveys: weekly NPS trend": lambda c: surveys.survey_trend(c, period=_default(c), metric="nps", grain="week"),
    "surveys: verbatims search": lambda c: surveys.verbatims(c, period=_default(c), metric="nps", search="refund"),
    "surveys: response rate": lambda c: surveys.response_rate(c, period=_default(c)),
}

COLD = """
import json, sys, time
sys.path.insert(0, {bench!r})
from bench_cohorts import CALLS
from cx_metrics import db
from cx_metrics.config import Settings
conn = db.connect(Settings().with_db({path!r}), read_only=True)
start = time.perf_counter()
CALLS[{name!r}](conn)
print(json.dumps(time.perf_counter() - start))
"""


def measure(path: Path, repeats: int) -> list[dict[str, object]]:
    """Median cold (fresh process) and warm seconds of every call in :data:`CALLS` on the database at ``path``."""
    rows = []
    conn = db.connect(Settings().with_db(path), read_only=True)
    for name, fn in CALLS.items():
        cold = [json.loads(subprocess.run(
            [sys.executable, "-c", COLD.format(bench=str(HERE), path=str(path), name=name)],
            capture_output=True, text=True, check=True).stdout) for _ in range(repeats)]
        fn(conn)
        warm = []
        for _ in range(max(repeats, 3)):
            start = time.perf_counter()
            fn(conn)
            warm.append(time.perf_counter() - start)
        rows.append({"query": name, "cold": statistics.median(cold), "warm": statistics.median(warm)})
    conn.close()
    return rows


def markdown(rows: list[dict[str, object]], heading: str = "##") -> list[str]:
    slowest = max(rows, key=lambda r: float(r["cold"]))  # type: ignore[arg-type]
    return [
        f"{heading} Cohort and survey queries",
        "",
        "| query | cold s (fresh process) | warm ms (same process) |",
        "|---|---:|---:|",
        *[f"| {r['query']} | {float(r['cold']):.3f} | {1000 * float(r['warm']):.1f} |" for r in rows],  # type: ignore[arg-type]
        "",
        f"Slowest cold: **{slowest['query']}**. Targets as for the other pages: under 1 s cold, under 100 ms warm "
        "(the app caches a repeated view).",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohorts.duckdb"
        built = build(path, args.responses)
        rows = measure(path, args.repeats)
    lines = [
        "# Benchmark: cohort and survey queries",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}",
        f"- data: {args.responses:,} survey responses, {args.responses:,} tickets, {max(args.responses // 5, 1000):,} "
        f"customers over {DAYS} days (synthetic, hash-seeded: `bench/bench_cohorts.py`), built in "
        f"{built['build_s']:.1f} s; medians of {args.repeats} runs",
        "- default period = the last 13 full weeks; 'all data' = the whole two years",
        "- reproduce: `python bench/bench_cohorts.py` (also part of `make bench`)",
        "",
        *markdown(rows),
    ]
    (HERE / "RESULTS-cohorts.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
