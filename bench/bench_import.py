"""Import throughput pieces for bench/run.py: a Zendesk-shaped CSV from the demo generator, our importer
(detection, validation, load) and DuckDB's own read_csv on the same file, each in a fresh database; and how much of
the import the inference of the file's kind and columns takes (profiles of a sample of rows, name and value scores).

Alone: ``python bench/bench_import.py [--rows 1000000] [--repeats 3] [--keep FILE | --csv FILE]`` writes
bench/RESULTS-import.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cx_metrics import db, demo  # noqa: E402
from cx_metrics.config import Settings  # noqa: E402
from cx_metrics.ingest import load as single  # noqa: E402
from cx_metrics.ingest import parts  # noqa: E402
from cx_metrics.ingest.limits import Limits  # noqa: E402
from cx_metrics.ingest.profile import SAMPLE_ROWS  # noqa: E402


def make_csv(rows: int, path: Path) -> None:
    """A Zendesk-UI-shaped ticket export from the seeded demo generator (bench/generate.py)."""
    sys.path.insert(0, str(HERE))
    from generate import zendesk_tickets

    data = demo.generate(seed=11, size=demo.DemoSize(customers=max(rows // 5, 1000), tickets=rows))
    zendesk_tickets(data).to_csv(path, index=False)


@contextmanager
def timed_inference() -> Iterator[list[float]]:
    """Seconds spent inferring the kind and the columns (every call of detect / detection_for during an import)."""
    spent: list[float] = []
    originals = single.detect, single.detection_for

    def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - start)
        return call

    single.detect, single.detection_for = timed(originals[0]), timed(originals[1])  # type: ignore[assignment]
    try:
        yield spent
    finally:
        single.detect, single.detection_for = originals  # type: ignore[assignment]


def time_ours(path: Path) -> tuple[float, float, float]:
    """(seconds for the whole import as `cx import` does it, seconds of it spent inferring the file's reading,
    CPU seconds of the whole import over all threads)."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = db.connect(Settings().with_db(Path(tmp) / "b.duckdb"))
        limits = Limits(max_bytes=16 << 30, max_unzipped_bytes=16 << 30)
        with timed_inference() as spent:
            start, cpu = time.perf_counter(), time.process_time()
            result, _ = parts.import_file(conn, path, limits=limits)  # what `cx import` does
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert result.rows_loaded > 0
        conn.close()
    return elapsed, sum(spent), cpu


def time_duckdb(path: Path) -> tuple[float, float]:
    """(seconds, CPU seconds over all threads) of DuckDB's own read_csv into a table."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = duckdb.connect(str(Path(tmp) / "b.duckdb"))
        start, cpu = time.perf_counter(), time.process_time()
        conn.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        conn.close()
    return elapsed, cpu


def measure(path: Path, repeats: int) -> dict[str, float]:
    theirs, ours = [], []
    for _ in range(repeats):  # interleaved: a burst of load on the shared machine hits both sides
        theirs.append(time_duckdb(path))
        ours.append(time_ours(path))
    return {"duckdb": statistics.median(t for t, _ in theirs), "duckdb_cpu": statistics.median(c for _, c in theirs),
            "ours": statistics.median(t for t, _, _ in ours), "inference": statistics.median(i for _, i, _ in ours),
            "ours_cpu": statistics.median(c for _, _, c in ours), "mb": path.stat().st_size / 1e6}


def markdown(rows: int, m: dict[str, float]) -> list[str]:
    return [
        "| rows | file MB | DuckDB `read_csv` s | `cx import` s | ratio ours / DuckDB | inference s | "
        "inference share | CPU s DuckDB / ours | CPU ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {rows:,} | {m['mb']:,.0f} | {m['duckdb']:.2f} | {m['ours']:.2f} | **{m['duckdb'] / m['ours']:.2f}x** | "
        f"{m['inference']:.2f} | **{m['inference'] / m['ours']:.1%}** | {m['duckdb_cpu']:.2f} / {m['ours_cpu']:.2f} | "
        f"{m['duckdb_cpu'] / m['ours_cpu']:.2f}x |",
        "",
        "CPU seconds are summed over every thread of the process (`time.process_time`): on a shared machine they move "
        "less with other people's load than the wall-clock seconds, which are the target's measure.",
        "",
        f"Inference = working out the file's kind and which column holds which field: every column profiled on at "
        f"most {SAMPLE_ROWS:,} rows spread over the file (types by parsing, uniqueness, value vocabularies), then "
        "each field scored against each column by name and values. Its cost does not grow with the file; a file "
        "imported in parts is inferred once per part.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--csv", type=Path, help="an export made earlier by this script (kept with --keep)")
    parser.add_argument("--keep", type=Path, help="keep the generated export at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.csv or args.keep or Path(folder) / "tickets.csv"
        if args.csv is None:
            make_csv(args.rows, path)
        m = measure(path, args.repeats)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = ["# Import benchmark", "",
             f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, 2 cores (shared); Python "
             f"{platform.python_version()}, DuckDB {duckdb.__version__}; medians of {args.repeats} interleaved runs; "
             f"load average after the runs {load} (1/5/15 min)",
             "- data: the seeded demo generator's Zendesk-shaped export (bench/generate.py); reproduce: "
             f"`python bench/bench_import.py --rows {args.rows}`", "", *markdown(args.rows, m), "",
             "Target: at least 0.5x DuckDB's `read_csv` into a table, on the same file.", ""]
    (HERE / "RESULTS-import.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
