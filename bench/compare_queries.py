"""The page-query part of `make bench`, for two checkouts side by side on one database.

    python bench/compare_queries.py --db bench-1m.duckdb --base /path/to/other/checkout [--repeats 3] [--only overview]

Each measurement runs in a fresh process with one checkout's ``cx_metrics`` first on the path: the first call is the
cold time, the median of the next five the warm time. The two checkouts alternate, repeat by repeat, so the load of
a shared machine falls on both alike. Prints a markdown table of medians and the ratio (this checkout / base).
Build a database with ``python bench/run.py``'s generator: ``python -c "from run import build; ..."`` or reuse one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

RUN = """
import json, statistics, sys, time
sys.path[:0] = [{root!r}, {bench!r}]
from queries import QUERIES
from cx_metrics import db
from cx_metrics.config import Settings
conn = db.connect(Settings().with_db({path!r}), read_only=True)
fn = QUERIES[{name!r}]
start, cpu = time.perf_counter(), time.process_time()
fn(conn)
cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
warm, warm_cpu = [], []
for _ in range(5):
    start, cpu = time.perf_counter(), time.process_time()
    fn(conn)
    warm.append(time.perf_counter() - start)
    warm_cpu.append(time.process_time() - cpu)
print(json.dumps([cold, statistics.median(warm), cold_cpu, statistics.median(warm_cpu)]))
"""


def names(root: Path) -> list[str]:
    code = f"import json, sys; sys.path[:0] = [{str(root)!r}, {str(root / 'bench')!r}]; " \
           "from queries import QUERIES; print(json.dumps(list(QUERIES)))"
    return list(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                          check=True).stdout))


def measure(root: Path, db_path: Path, name: str) -> tuple[float, float, float, float]:
    code = RUN.format(root=str(root), bench=str(root / "bench"), path=str(db_path), name=name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    cold, warm, cold_cpu, warm_cpu = json.loads(out)
    return float(cold), float(warm), float(cold_cpu), float(warm_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (e.g. main's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="only the queries whose name contains this text")
    args = parser.parse_args()
    sides = {"base": args.base.resolve(), "this": ROOT}
    chosen = [n for n in names(ROOT) if args.only in n and n in set(names(sides["base"]))]
    times: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
    load = []
    for _ in range(args.repeats):
        for name in chosen:
            for side, root in sides.items():
                times.setdefault((side, name), []).append(measure(root, args.db, name))
        load.append(os.getloadavg()[0])
    print("| query | base cold s | this cold s | ratio | base warm ms | this warm ms | ratio | warm CPU ms base / this "
          "| CPU ratio |\n|---|" + "---:|" * 8)
    for name in chosen:
        b, t = times[("base", name)], times[("this", name)]
        bc, tc = (statistics.median(x[0] for x in side) for side in (b, t))
        bw, tw = (statistics.median(x[1] for x in side) for side in (b, t))
        bu, tu = (statistics.median(x[3] for x in side) for side in (b, t))
        print(f"| {name} | {bc:.3f} | {tc:.3f} | {tc / bc:.2f} | {1000 * bw:.1f} | {1000 * tw:.1f} | {tw / bw:.2f} | "
              f"{1000 * bu:.0f} / {1000 * tu:.0f} | {tu / bu:.2f} |")
    print(f"\nMedians of {args.repeats} runs per side, alternating; 1-minute load average after each repeat: "
          + ", ".join(f"{x:.1f}" for x in load) + f" on {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
