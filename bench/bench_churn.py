"""Churn-risk model speed: training and scoring time at N customers (seeded demo data, 5 tickets per customer).

    python bench/bench_churn.py [--customers 100000 1000000]

Prints a Markdown section; `bench/run.py` adds the same section to bench/RESULTS.md. Training covers the feature
SQL at every snapshot, fitting, calibration, evaluation and permutation importance; scoring covers the features at
the scoring snapshot for every customer still there, prediction, reasons for the 500 riskiest and their last
contact. Each figure is one run (a training run takes minutes at 1M customers); peak RSS is the process's.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cx_metrics import db, demo  # noqa: E402
from cx_metrics.config import Settings  # noqa: E402
from cx_metrics.models import churn_store  # noqa: E402
from cx_ui.serve import peak_rss_mb  # noqa: E402


def measure(customers: int, folder: Path) -> dict[str, float]:
    """Build a demo database of ``customers`` customers in ``folder``; time training and scoring."""
    path = folder / f"churn-{customers}.duckdb"
    settings = Settings().with_db(path)
    start = time.perf_counter()
    data = demo.generate(seed=7, size=demo.DemoSize(customers=customers, tickets=customers * 5))
    conn = db.connect(settings)
    demo.load(conn, data, seed=7)
    built = time.perf_counter() - start
    tickets = len(data.tickets)
    del data
    steps: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(fraction: float, text: str) -> None:
        steps[text.split(" ")[0]] = time.perf_counter() - t0

    model = churn_store.train(conn, settings, progress=progress)
    trained = time.perf_counter() - t0
    t1 = time.perf_counter()
    scores = churn_store.score(conn, settings, model=model, reasons_for=500)
    scored = time.perf_counter() - t1
    conn.close()
    return {
        "customers": float(customers), "tickets": float(tickets), "build_s": built, "train_s": trained,
        "features_s": steps.get("Fitting", 0.0) - steps.get("Computing", 0.0),
        "fit_s": steps.get("Calibrating", 0.0) - steps.get("Fitting", 0.0),
        "importance_s": steps.get("Saving", 0.0) - steps.get("Permutation", 0.0),
        "train_rows": float(model.card["split"]["train"]), "score_s": scored, "scored": float(len(scores)),
        "roc_auc": float(model.card["metrics"]["roc_auc"]),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """This process's own peak (VmHWM: 5.6 GB for 100k customers, the spawning bench's, came from ru_maxrss)."""
    peak = peak_rss_mb()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if math.isnan(peak) else peak  # no /proc


def section(sizes: list[int]) -> list[str]:
    """The RESULTS.md section for the given customer counts."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            # each size in a fresh process, so its peak RSS is its own (not that of whatever ran before it)
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
                rows.append(pool.submit(measure, n, Path(tmp)).result())
            print(f"churn bench at {n:,} customers: {rows[-1]}", file=sys.stderr, flush=True)
    return [
        "## Churn-risk model",
        "",
        "| customers | tickets | training rows | train s (features / fit / importance) | score s (customers) | "
        "held-out ROC-AUC | peak RSS MB |",
        "|---:|---:|---:|---|---:|---:|---:|",
        *[f"| {r['customers']:,.0f} | {r['tickets']:,.0f} | {r['train_rows']:,.0f} | {r['train_s']:.1f} "
          f"({r['features_s']:.1f} / {r['fit_s']:.1f} / {r['importance_s']:.1f}) | {r['score_s']:.1f} "
          f"({r['scored']:,.0f}) | {r['roc_auc']:.3f} | {r['peak_rss_mb']:,.0f} |" for r in rows],
        "",
        "Seeded demo data (5 tickets per customer); one run each. Training samples at most about 400,000 "
        "customer x snapshot rows in DuckDB; scoring computes features for every customer still there and reasons "
        "for the 500 riskiest. Reproduce: `python bench/bench_churn.py --customers N`.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print("\n".join(section(args.customers)))


if __name__ == "__main__":
    main()
