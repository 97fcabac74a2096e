"""Import throughput against DuckDB's own ``read_csv`` on the same file, measured in the same run, on several
real export layouts (bench/layouts.py) and the demo generator's Zendesk-shaped file.

    python bench/bench_import.py [--rows 1000000] [--repeats 3] [--layouts zendesk kaggle ...]

Each measurement runs in a fresh process (one import into a fresh database on disk), alternating DuckDB and
ours, so both see the same machine load; it records wall seconds, CPU seconds (user + system, all threads), the
process's peak resident memory and, for ours, the seconds spent inferring the file's kind and columns (every call
of detect / detection_for: profiles of a sample of rows, name and value scores). Medians of ``--repeats``. Writes
the "Import" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

#: file name -> what it is (the order of the table)
LAYOUT_NAMES = {
    "zendesk": "demo generator, Zendesk UI export (21 columns, short texts)",
    "kaggle": "Kaggle support tickets, long multi-line descriptions (17 columns)",
    "fivetran": "Zendesk API tickets via Fivetran, CRLF, multi-line descriptions (36 columns)",
    "field_history": "Zendesk ticket field history: ticket events (6 columns)",
    "telco": "IBM Telco customer churn: customers (21 columns)",
}

_ONE = """
import json, resource, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, {root!r})
sys.path.insert(0, {here!r})
which, path = sys.argv[1], Path(sys.argv[2])
inference = 0.0
with tempfile.TemporaryDirectory() as tmp:
    if which == "duckdb":
        import duckdb
        conn = duckdb.connect(str(Path(tmp) / "b.duckdb"))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        conn.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
        rows = conn.execute("SELECT count(*) FROM t").fetchall()[0][0]
    else:
        from bench_import import timed_inference
        from cx_metrics import db
        from cx_metrics.config import Settings
        from cx_metrics.ingest import parts
        from cx_metrics.ingest.limits import Limits
        conn = db.connect(Settings().with_db(Path(tmp) / "b.duckdb"))
        limits = Limits(max_bytes=16 << 30, max_unzipped_bytes=16 << 30)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        with timed_inference() as spent:
            result, _ = parts.import_file(conn, path, limits=limits)  # what `cx import` does
        inference = sum(spent)
        rows = result.rows_loaded
    wall = time.perf_counter() - start
    conn.close()
usage_end = resource.getrusage(resource.RUSAGE_SELF)
begin = usage.ru_utime + usage.ru_stime
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({{"wall": wall, "cpu": usage_end.ru_utime + usage_end.ru_stime - begin, "peak_mb": peak,
                  "rows": rows, "inference": inference}}))
"""


@contextmanager
def timed_inference() -> Iterator[list[float]]:
    """Seconds spent inferring the kind and the columns (every call of detect / detection_for during an import)."""
    from cx_metrics.ingest import load as single

    spent: list[float] = []
    names = ("detect", "detection_for")  # what load.preview calls to infer a file's reading
    originals = {name: getattr(single, name) for name in names}

    def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - start)
        return call

    for name in names:
        setattr(single, name, timed(originals[name]))
    try:
        yield spent
    finally:
        for name in names:
            setattr(single, name, originals[name])


def run_one(which: str, path: Path) -> dict[str, float]:
    """One import of ``path`` by ``which`` ("duckdb" or "ours") in a fresh process: wall and CPU seconds from the
    import's start to its end (the database closed), the process's peak MB, rows loaded."""
    code = _ONE.format(root=str(HERE.parent), here=str(HERE))
    out = subprocess.run([sys.executable, "-c", code, which, str(path)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def measure(path: Path, repeats: int) -> dict[str, Any]:
    """Medians of ``repeats`` alternating runs of DuckDB and ours on one file, and the machine's load meanwhile."""
    runs: dict[str, list[dict[str, float]]] = {"duckdb": [], "ours": []}
    loads = [load_average()]
    for _ in range(repeats):
        for which in ("duckdb", "ours"):
            runs[which].append(run_one(which, path))
            loads.append(load_average())
    out: dict[str, Any] = {"bytes": path.stat().st_size, "load": statistics.median(loads)}
    for which, figures in runs.items():
        for key in ("wall", "cpu", "peak_mb", "inference"):
            out[f"{which}_{key}"] = statistics.median(f[key] for f in figures)
        out[f"{which}_rows"] = int(figures[-1]["rows"])
        out[f"{which}_walls"] = [f["wall"] for f in figures]
    return out


def make_file(layout: str, rows: int, folder: Path) -> Path:
    """The benchmark file of ``layout`` with ``rows`` rows (generated once per folder)."""
    path = folder / f"{layout}-{rows}.csv"
    if not path.exists():
        if layout == "zendesk":
            from generate import zendesk_tickets

            from cx_metrics import demo

            data = demo.generate(seed=11, size=demo.DemoSize(customers=max(rows // 5, 1000), tickets=rows))
            zendesk_tickets(data).to_csv(path, index=False)
        else:
            import layouts

            layouts.write(layout, rows, path)
    return path


def section(results: dict[tuple[str, int], dict[str, Any]], repeats: int) -> list[str]:
    """The "Import" section of RESULTS.md; ``results`` by (layout, rows)."""
    from cx_metrics.ingest import parts
    from cx_metrics.ingest.profile import SAMPLE_ROWS

    lines = [
        "## Import",
        "",
        f"Medians of {repeats} runs, DuckDB and `cx import` alternating, each in a fresh process writing a fresh "
        "database on disk (`python bench/bench_import.py`). Ratio = DuckDB's seconds / ours (target at least "
        "0.5x, wall clock, at 1M rows). CPU = user + system seconds of all threads.",
        "",
        "| file | rows | MB | DuckDB `read_csv` s | `cx import` s | **ratio** | of which inference s (share) | "
        "CPU s DuckDB / ours (ratio) | peak MB DuckDB / ours | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (layout, rows), r in results.items():
        lines.append(
            f"| {layout}: {LAYOUT_NAMES[layout]} | {rows:,} | {r['bytes'] / 1e6:,.0f} | {r['duckdb_wall']:.2f} | "
            f"{r['ours_wall']:.2f} | **{r['duckdb_wall'] / r['ours_wall']:.2f}x** | {r['ours_inference']:.2f} "
            f"({r['ours_inference'] / r['ours_wall']:.1%}) | {r['duckdb_cpu']:.1f} / "
            f"{r['ours_cpu']:.1f} ({r['duckdb_cpu'] / r['ours_cpu']:.2f}x) | {r['duckdb_peak_mb']:,.0f} / "
            f"{r['ours_peak_mb']:,.0f} | {r['load']:.1f} |")
    lines += [
        "",
        f"`cx import` = read, detect, validate, normalise and load in one transaction (files over "
        f"{parts.PART_BYTES >> 20} MB in parts, as `cx import` does); DuckDB = `CREATE TABLE t AS SELECT * FROM "
        "read_csv(file)`. Rows loaded: "
        + "; ".join(f"{layout} {r['ours_rows']:,} (DuckDB {r['duckdb_rows']:,})"
                    for (layout, _), r in results.items())
        + ". Load = the machine's 1-minute load average during the runs (2 cores, shared): above 2, both sides "
        "wait for a core, so wall seconds are longer than on an idle machine and vary more than the CPU seconds.",
        "",
        f"Inference = working out the file's kind and which column holds which field: every column profiled on at "
        f"most {SAMPLE_ROWS:,} rows spread over the file (types by parsing, uniqueness, value vocabularies), then "
        "each field scored against each column by name and values. Its cost does not grow with the file; a file "
        "imported in parts is inferred once, on its first part (the other parts are read as it was).",
        "",
    ]
    return lines


def replace_section(results_md: Path, new: list[str]) -> None:
    """Put ``new`` in place of the "## Import" section of RESULTS.md (up to the next "## ")."""
    text = results_md.read_text().splitlines()
    start = next(i for i, line in enumerate(text) if line.strip() == "## Import")
    end = next((i for i in range(start + 1, len(text)) if text[i].startswith("## ")), len(text))
    results_md.write_text("\n".join([*text[:start], *new, *text[end:]]) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layouts", nargs="+", default=list(LAYOUT_NAMES), choices=list(LAYOUT_NAMES))
    parser.add_argument("--folder", type=Path, help="keep the generated files here (default: a temporary folder)")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave RESULTS.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results = {}
        for layout in args.layouts:
            started = time.perf_counter()
            path = make_file(layout, args.rows, folder)
            results[layout, args.rows] = measure(path, args.repeats)
            print(f"{layout}: {json.dumps(results[layout, args.rows])} ({time.perf_counter() - started:.0f} s)",
                  flush=True)
    lines = section(results, args.repeats)
    print("\n".join(lines))
    if not args.no_write:
        replace_section(HERE / "RESULTS.md", lines)


if __name__ == "__main__":
    main()
