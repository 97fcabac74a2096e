"""Every page's queries on a local Apache Spark against DuckDB, on the same tickets (`cx lake export` Parquet).

For each size: the seeded demo database (or ``--db``), exported to a lake with `cx lake export`, then every query of
``bench/queries.py`` (what the pages call) on DuckDB (the file) and on a local Spark session reading the lake
(``local[2]``, this machine's two cores). Warm = the median of ``--repeats`` runs after one unmeasured run (caches,
JIT, Spark's code generation). The KPI tiles are compared between the engines at every size (same numbers).
Writes bench/RESULTS-spark.md (`make bench` folds it into bench/RESULTS.md).

    python bench/bench_spark.py --tickets 1000000 [10000000] [--db FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from queries import QUERIES  # noqa: E402

from cx_metrics import db, demo, lake, spark  # noqa: E402
from cx_metrics.config import EngineSettings, Settings  # noqa: E402
from cx_metrics.metrics import base, overview  # noqa: E402


def _timed(fn: Any, conn: Any, repeats: int) -> tuple[float, float]:
    started = time.perf_counter()
    fn(conn)
    cold = time.perf_counter() - started
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn(conn)
        runs.append(time.perf_counter() - started)
    return cold, statistics.median(runs)


def _same_tiles(duck: Any, sc: Any) -> str:
    period = base.default_period(duck)
    a, b = overview.kpis(duck, period=period), overview.kpis(sc, period=period)
    for column in ("value", "ci_low", "ci_high", "n", "prev_value", "prev_n"):
        for x, y in zip(a[column], b[column], strict=True):
            if not ((math.isnan(float(x)) and math.isnan(float(y))) or math.isclose(float(x), float(y),
                                                                                    rel_tol=1e-9, abs_tol=1e-9)):
                return f"DIFFERENT ({column}: {x} vs {y})"
    return "equal (value, interval, n, previous, to 1e-9)"


def measure(tickets: int, db_path: Path | None, repeats: int, work: Path) -> dict[str, Any]:
    if db_path is None:
        db_path = work / f"bench-{tickets}.duckdb"
        conn = db.connect(Settings().with_db(db_path))
        started = time.perf_counter()
        demo.build(conn, seed=7, size=demo.DemoSize(customers=max(tickets // 5, 1_000), tickets=tickets))
        conn.close()
        print(f"built {tickets:,} tickets in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    duck = db.connect(Settings().with_db(db_path), read_only=True)
    started = time.perf_counter()
    rows = lake.export(duck, work / f"lake-{tickets}")
    export_s = time.perf_counter() - started
    lake_conn = spark.connect(EngineSettings(kind="spark", lake=str(work / f"lake-{tickets}"), master="local[2]",
                                             driver_memory="3g", shuffle_partitions=4))
    # what the dashboard uses on Spark: the lake on Spark, its own state (follow-ups...) from the DuckDB file
    sc = spark.MixedConnection(lambda: lake_conn, duck, writable=False)
    out: dict[str, Any] = {"tickets": rows["tickets"], "export_s": export_s, "queries": {}}
    for name, fn in QUERIES.items():
        try:
            d_cold, d_warm = _timed(fn, duck, repeats)
            s_cold, s_warm = _timed(fn, sc, repeats)
            out["queries"][name] = (d_cold, d_warm, s_cold, s_warm)
        except Exception as exc:
            out["queries"][name] = str(exc).splitlines()[0][:160]
        print(name, out["queries"][name], file=sys.stderr, flush=True)
    out["same"] = _same_tiles(duck, sc)
    out["load"] = os.getloadavg()[0]
    duck.close()
    return out


def markdown(results: list[dict[str, Any]]) -> list[str]:
    sizes = " / ".join(f"{r['tickets']:,}" for r in results)
    lines = ["## Spark vs DuckDB (page queries)", "",
             f"Every page's queries (bench/queries.py) on DuckDB (the file) and on a local Spark session (`local[2]`, "
             f"the same 2 cores, driver memory 3 GB) reading the `cx lake export` Parquet of the same {sizes} "
             "tickets, the dashboard's own state (follow-ups) from the DuckDB file (mixed mode, as the dashboard). "
             "Warm = median of repeated runs after one unmeasured run. **Ratio = Spark s / DuckDB s** "
             "(how many times slower Spark is on one machine). `python bench/bench_spark.py --tickets N`.", "",
             "| query | " + " | ".join(f"DuckDB warm ms {r['tickets'] // 1_000_000}M | Spark warm ms "
                                       f"{r['tickets'] // 1_000_000}M | **ratio**" for r in results) + " |",
             "|---|" + "---:|---:|---:|" * len(results)]
    for name in results[0]["queries"]:
        cells = []
        for r in results:
            found = r["queries"][name]
            if isinstance(found, str):
                cells.append(f"fails on Spark: {found} | | ")
            else:
                _, d_warm, _, s_warm = found
                cells.append(f"{d_warm * 1e3:,.0f} | {s_warm * 1e3:,.0f} | **{s_warm / d_warm:,.1f}x**")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for r in results:
        timed = [v for v in r["queries"].values() if not isinstance(v, str)]
        d_total, s_total = sum(v[1] for v in timed), sum(v[3] for v in timed)
        lines += ["", f"- {r['tickets']:,} tickets: all pages' queries {d_total:.1f} s on DuckDB, {s_total:.1f} s on "
                  f"Spark (**{s_total / d_total:.1f}x**); `cx lake export` {r['export_s']:.1f} s; KPI tiles on both "
                  f"engines: {r['same']}; load average {r['load']:.1f} (2 shared cores)."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--db", type=Path, nargs="*", default=[], help="existing databases, one per --tickets")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cx-bench-spark-") as tmp:
        results = [measure(n, args.db[i] if i < len(args.db) else None, args.repeats, Path(tmp))
                   for i, n in enumerate(args.tickets)]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = [f"# Spark vs DuckDB ({stamp})", "", *markdown(results), ""]
    (HERE / "RESULTS-spark.md").write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
