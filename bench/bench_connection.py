"""The dashboard's connection model at scale: read-only, switched to read-write only while it writes.

    python bench/bench_connection.py [--tickets 1000000] [--repeats 5]

Measures on a seeded demo database (built here, or the 1M one `bench/run.py` builds):

* the page queries warm through the dashboard's read section (a read-only connection) against the same queries on
  a read-write connection, as the dashboard held before: switching modes must not make pages slower;
* an audit entry from a page load (a login, an export): alone, it costs the switch to read-write and back; in a
  burst (sessions starting together) the connection stays read-write for the linger and the burst costs one switch;
* the first KPI query after a switch (DuckDB's buffer cache is per connection: a switch empties it) against warm.

Writes bench/RESULTS-connection.md when run alone; `bench/run.py` adds the same section to RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from queries import QUERIES  # noqa: E402

from cx_metrics import audit, db, demo  # noqa: E402
from cx_metrics.config import Settings  # noqa: E402

BURST = 20
ROUNDS = 4


def _warm(conn: db.Connection, fn: Any, repeats: int) -> float:
    fn(conn)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(conn)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(db_path: Path, repeats: int) -> dict[str, Any]:
    """Warm queries (read section vs read-write connection), audit writes alone and in a burst, a query after a
    switch. Works on a copy: audit entries are written."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "connection.duckdb"
        shutil.copyfile(db_path, path)
        settings = Settings().with_db(path)
        out: dict[str, Any] = {"queries": {}}
        shared = db.SharedDatabase(settings, linger=0)
        rw: dict[str, list[float]] = {name: [] for name in QUERIES}
        ro: dict[str, list[float]] = {name: [] for name in QUERIES}
        # per query, the two modes alternate in ABBA order: the machine's load drifts over both alike
        for name, fn in QUERIES.items():
            for i in range(ROUNDS):
                for mode in ("read-write", "read section") if i % 2 == 0 else ("read section", "read-write"):
                    if mode == "read-write":
                        conn = db.connect(settings)
                        rw[name].append(_warm(conn, fn, repeats))
                        conn.close()
                    else:
                        with shared.reading() as conn:
                            ro[name].append(_warm(conn, fn, repeats))
                        shared.close()
        out["queries"] = {name: {"read_write": statistics.median(rw[name]),
                                 "read_section": statistics.median(ro[name])} for name in QUERIES}
        ro_kpis = out["queries"]["overview: KPI tiles"]["read_section"]

        alone = []
        for i in range(repeats):
            start = time.perf_counter()
            with shared.writing() as wconn:
                audit.log(wconn, f"bench{i}@example.com", "login")
            alone.append(time.perf_counter() - start)
        out["audit_alone_s"] = statistics.median(alone)
        out["audit_alone_opens"] = shared.write_opens

        kpis = QUERIES["overview: KPI tiles"]
        after = []
        for _ in range(repeats):
            with shared.writing() as wconn:
                audit.log(wconn, "bench@example.com", "export", {"file": "x.csv"})
            with shared.reading() as conn:
                start = time.perf_counter()
                kpis(conn)
                after.append(time.perf_counter() - start)
        out["kpis_after_switch_s"] = statistics.median(after)
        out["kpis_warm_s"] = ro_kpis
        shared.close()

        lingering = db.SharedDatabase(settings, linger=2.0)
        with lingering.reading():
            pass
        start = time.perf_counter()
        for i in range(BURST):
            with lingering.writing() as wconn:
                audit.log(wconn, f"burst{i}@example.com", "login")
        out["burst_s"] = time.perf_counter() - start
        out["burst_opens"] = lingering.write_opens
        lingering.close()
    return out


def markdown(result: dict[str, Any], heading: str = "##") -> list[str]:
    rows = result["queries"]
    ratios = [r["read_section"] / r["read_write"] for r in rows.values() if r["read_write"] > 0]
    lines = [
        f"{heading} Connection model: read-only, read-write only while writing",
        "",
        "The dashboard holds the file read-only (so `cx` commands read beside it) and switches its one connection to "
        "read-write for a write. Page queries warm, through the dashboard's read section and through a read-write "
        "connection (what the dashboard held before):",
        "",
        "| query | read section ms | read-write connection ms | ratio |",
        "|---|---:|---:|---:|",
        *[f"| {name} | {1000 * r['read_section']:.1f} | {1000 * r['read_write']:.1f} | "
          f"{r['read_section'] / r['read_write']:.2f} |" for name, r in rows.items()],
        "",
        f"Median ratio read section / read-write: **{statistics.median(ratios):.2f}** (1 = no change). Each figure "
        f"is the median of {ROUNDS} rounds per query in which the two modes alternate (ABBA), on a 2-core machine "
        "shared with other work: compare the ratio, not the milliseconds, with the page-query table above.",
        "",
        "| write | time | switches to read-write |",
        "|---|---:|---:|",
        f"| one audit entry (a login or an export) from read-only, back to read-only at once | "
        f"{1000 * result['audit_alone_s']:.0f} ms | 1 each |",
        f"| {BURST} audit entries in a burst (sessions starting together), 2 s linger | "
        f"{1000 * result['burst_s']:.0f} ms in all, {1000 * result['burst_s'] / BURST:.0f} ms each | "
        f"{result['burst_opens']} |",
        f"| the KPI tiles query, first after a switch / warm | {1000 * result['kpis_after_switch_s']:.0f} ms / "
        f"{1000 * result['kpis_warm_s']:.0f} ms | |",
        "",
        "An entry costs the switch to read-write and back (closing and opening the file, a checkpoint); entries that "
        "follow within the linger (2 s) reuse the read-write connection, so page loads that each write one entry do "
        "not switch once each. A switch empties DuckDB's buffer cache, so the first query after it reads from the OS "
        "page cache; the app's result cache (per data version, which an audit entry does not change) serves repeat "
        "views either way.",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", type=Path, help="an existing database to measure instead of building one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.db
        built = ""
        if path is None:
            path = Path(folder) / "bench.duckdb"
            started = time.perf_counter()
            conn = db.connect(Settings().with_db(path))
            demo.load(conn, demo.generate(seed=7, size=demo.DemoSize(customers=args.tickets // 5,
                                                                    tickets=args.tickets)), seed=7)
            conn.execute("CHECKPOINT")
            conn.close()
            built = f" (built in {time.perf_counter() - started:.0f} s)"
        result = measure(path, args.repeats)
    lines = ["# Connection model benchmark", "",
             f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, 2 cores; Python "
             f"{platform.python_version()}, DuckDB {duckdb.__version__}",
             f"- data: seeded demo generator, {args.tickets:,} tickets{built}; medians of {args.repeats} runs",
             f"- machine load (1-minute load average) at the end: {os.getloadavg()[0]:.1f} on 2 cores",
             "- reproduce: `python bench/bench_connection.py` (also a section of `make bench`)", "",
             *markdown(result)]
    (HERE / "RESULTS-connection.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
