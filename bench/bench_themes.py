"""Theme model fitting time at N texts (standalone, and a section of bench/run.py).

    python bench/bench_themes.py --texts 100000 [--texts 1000000] [--kind diverse|demo|both]

Two corpora: ``demo`` is the seeded demo generator's tickets and comments (templated: a few hundred distinct
texts, the cheap case); ``diverse`` gives every ticket its own text (12 words drawn from 30 topics of 120
words each, plus an order number and now and then an e-mail), the expensive case of real free text. The fit is
the default one (`cx themes fit`): stability check, final NMF on a 100k sample, every text assigned and stored.
Writes bench/RESULTS-themes.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cx_metrics import db, demo  # noqa: E402
from cx_metrics.config import Settings  # noqa: E402
from cx_metrics.models import theme_store  # noqa: E402


def _diverse_tickets(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "pe", "da", "zu", "fo"]
    words = np.array(sorted({"".join(rng.choice(syllables, size=4)) for _ in range(20_000)}))[:3_600]
    topics = words.reshape(30, 120)
    topic = rng.integers(0, 30, n)
    picks = rng.integers(0, 120, (n, 12))
    texts = [" ".join(topics[t, p]) for t, p in zip(topic, picks, strict=True)]
    texts = [f"{t[:40]}. {t[40:]} order {100000 + i}" + (f" mail me at u{i}@example.com" if i % 50 == 0 else "")
             for i, t in enumerate(texts)]
    start = dt.datetime(2025, 1, 1)
    return pd.DataFrame({
        "source": "bench", "ticket_id": [f"B{i}" for i in range(n)],
        "created_at": [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 600, n)],
        "status": "solved", "subject": None, "description": texts, "is_complaint": True})


def build(path: Path, texts: int, kind: str) -> int:
    conn = db.connect(Settings().with_db(path))
    if kind == "demo":
        data = demo.generate(seed=7, size=demo.DemoSize(customers=max(texts // 5, 1_000), tickets=texts))
        demo.load(conn, data, seed=7)
    else:
        cur = conn.cursor()
        cur.register("frame", _diverse_tickets(texts))
        cur.execute("INSERT INTO tickets (source, ticket_id, created_at, status, subject, description, "
                              "is_complaint) SELECT source, ticket_id, created_at, status, subject, description, "
                              "is_complaint FROM frame")
    n = int(conn.cursor().execute("SELECT count(*) FROM tickets").fetchall()[0][0])
    conn.close()
    return n


def time_fit(path: Path) -> dict[str, float]:
    """Fit themes the default way on the database at ``path``; seconds and what was fitted."""
    settings = Settings().with_db(path)
    conn = db.connect(settings)
    start = time.perf_counter()
    results = theme_store.fit_all(conn, settings)  # the ticket model, and the comment model when there are comments
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    theme_store.catalog(conn)
    catalog_s = time.perf_counter() - start
    conn.close()
    return {"seconds": seconds, "documents": sum(r.documents for r in results),
            "distinct": sum(r.distinct_texts for r in results), "sample": sum(r.sample_size for r in results),
            "themes": sum(r.n_themes for r in results), "catalog_s": catalog_s,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run(sizes: list[int], kinds: list[str]) -> list[str]:
    rows = []
    for kind in kinds:
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "themes.duckdb"
                start = time.perf_counter()
                build(path, n, kind)
                built = time.perf_counter() - start
                r = time_fit(path)
                print(f"{kind} {n:,}: built in {built:.1f} s, fitted in {r['seconds']:.1f} s", flush=True)
                rows.append(f"| {kind} | {n:,} | {int(r['documents']):,} | {int(r['distinct']):,} | "
                            f"{int(r['sample']):,} | {int(r['themes'])} | {r['seconds']:.1f} | "
                            f"{int(r['documents']) / r['seconds']:,.0f} | {1000 * r['catalog_s']:.0f} | "
                            f"{r['peak_rss_mb']:,.0f} |")
    return [
        "## Theme model fit",
        "",
        "| corpus | tickets | texts read | distinct | fitted on | themes | fit s | texts / s | catalogue ms | "
        "peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Fit = `cx themes fit` defaults (the ticket model, then the survey-comment model; figures are their sums): "
        "read texts, redact and fold them, stability check (3 seeded NMF refits per "
        "k on 2,000 sampled texts), final NMF on up to 100,000 sampled texts, assign every text, store the "
        "assignments and the model. Peak RSS is the benchmark process's maximum so far.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, action="append", help="corpus size (repeatable; default 100000)")
    parser.add_argument("--kind", choices=["diverse", "demo", "both"], default="both")
    args = parser.parse_args()
    sizes = args.texts or [100_000]
    kinds = ["demo", "diverse"] if args.kind == "both" else [args.kind]
    lines = [
        "# Theme benchmark results",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, 2 cores (shared); Python "
        f"{platform.python_version()}",
        "- reproduce: `python bench/bench_themes.py --texts 100000 --texts 1000000`",
        "",
        *run(sizes, kinds),
    ]
    (HERE / "RESULTS-themes.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
