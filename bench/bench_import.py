"""Import throughput: our importer (detection, validation, load) vs DuckDB's own read_csv on the same file.

Usage: python bench/bench_import.py [--rows 1000000] [--repeats 3]. Writes bench/RESULTS-import.md.
Each figure is the median of --repeats runs in fresh temporary databases, measured in the same process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from cx_metrics import db, demo
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest

HERE = Path(__file__).resolve().parent


def make_csv(rows: int, path: Path) -> None:
    """A Zendesk-UI-shaped ticket export from the seeded demo generator."""
    data = demo.generate(seed=11, size=demo.DemoSize(customers=max(rows // 5, 1000), tickets=rows))
    t = data.tickets
    out = t.rename(columns={
        "ticket_id": "Id", "customer_id": "Requester id", "created_at": "Created at", "solved_at": "Solved at",
        "status": "Status", "channel": "Via", "category": "Category [list]", "ticket_type": "Ticket type",
        "priority": "Priority", "subject": "Subject", "group_name": "Group", "assignee": "Assignee",
        "reopens": "Reopens", "replies": "Replies", "group_stations": "Group stations",
        "assignee_stations": "Assignee stations",
    })
    out["First reply time in minutes"] = ((t["first_response_at"] - t["created_at"]).dt.total_seconds() / 60).round()
    out["Tags"] = t["tags"].map(" ".join)
    cols = ["Id", "Requester id", "Subject", "Status", "Priority", "Via", "Ticket type", "Created at", "Solved at",
            "Group", "Assignee", "Tags", "Reopens", "Replies", "Group stations", "Assignee stations",
            "First reply time in minutes", "Category [list]"]
    out[cols].to_csv(path, index=False)


def time_ours(path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = db.connect(Settings().with_db(Path(tmp) / "b.duckdb"))
        start = time.perf_counter()
        result = ingest.load(conn, ingest.preview(path))
        elapsed = time.perf_counter() - start
        assert result.rows_loaded > 0
        conn.close()
    return elapsed


def time_duckdb(path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = duckdb.connect(str(Path(tmp) / "b.duckdb"))
        start = time.perf_counter()
        conn.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
        elapsed = time.perf_counter() - start
        conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tickets.csv"
        make_csv(args.rows, path)
        size_mb = path.stat().st_size / 1e6
        rows = sum(1 for _ in path.open()) - 1
        baseline = [time_duckdb(path) for _ in range(args.repeats)]
        ours = [time_ours(path) for _ in range(args.repeats)]
    b, o = statistics.median(baseline), statistics.median(ours)
    report = f"""# Import benchmark

- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, {platform.processor() or "?"},
  Python {platform.python_version()}, DuckDB {duckdb.__version__}; median of {args.repeats} runs each
- file: Zendesk-UI-shaped ticket CSV from the seeded demo generator, {rows:,} rows, {size_mb:,.0f} MB

| measurement | median seconds | rows / s |
|---|---:|---:|
| DuckDB `CREATE TABLE AS SELECT * FROM read_csv(file)` (baseline) | {b:.2f} | {rows / b:,.0f} |
| `cx import` path: read, detect, validate, normalise, load in one transaction | {o:.2f} | {rows / o:,.0f} |

Throughput ratio (ours / DuckDB): **{b / o:.2f}x** (target: at least 0.5x).
"""
    (HERE / "RESULTS-import.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
