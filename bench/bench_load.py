"""Page computation under load for bench/run.py: 20 sessions computing the overview, complaint-trends and
resolution pages through the dashboard's shared connection (read sections, a cursor per query) while an import
writes in a write section; the p50/p95 of one page computation, against the same computation with nobody else
working (measured in the same run)."""

from __future__ import annotations

import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.metrics import base, complaints, overview, resolution


def page_work(conn: db.Connection) -> None:
    period = base.default_period(conn)
    overview.kpis(conn, period=period)
    complaints.complaint_trend(conn, period=period)
    complaints.top_movers(conn, period=period)
    resolution.time_to_event(conn, period=period, by="channel")
    resolution.sla_breaches(conn, period=period)
    resolution.backlog(conn)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def under_load(db_path: Path, csv: Path, sessions: int = 20) -> dict[str, float]:
    """Copy the database, then time page computations alone and with ``sessions`` readers plus an import, through
    the dashboard's connection model: readers in read sections, the import in a write section (they read on, through
    the same connection, while it writes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "load.duckdb"
        shutil.copy(db_path, path)
        shared = db.SharedDatabase(Settings().with_db(path))
        try:
            alone = []
            for _ in range(5):
                start = time.perf_counter()
                with shared.reading() as conn:
                    page_work(conn)
                alone.append(time.perf_counter() - start)
            pv = ingest.preview(csv)
            timings: list[float] = []
            errors: list[BaseException] = []
            done = threading.Event()
            lock = threading.Lock()

            def reader() -> None:
                rounds = 0
                while rounds < 2 or not done.is_set():
                    rounds += 1
                    start = time.perf_counter()
                    try:
                        with shared.reading() as conn:
                            page_work(conn)
                    except BaseException as exc:
                        with lock:
                            errors.append(exc)
                        return
                    with lock:
                        timings.append(time.perf_counter() - start)

            threads = [threading.Thread(target=reader) for _ in range(sessions)]
            for t in threads:
                t.start()
            started = time.perf_counter()
            with shared.writing() as conn:
                result = ingest.load(conn, pv)
            import_s = time.perf_counter() - started
            done.set()
            for t in threads:
                t.join()
        finally:
            shared.close()
    return {"sessions": sessions, "computations": len(timings), "errors": len(errors),
            "rows_imported": result.rows_loaded, "import_s": import_s,
            "alone_p50": statistics.median(alone), "p50": statistics.median(timings) if timings else float("nan"),
            "p95": _p95(timings) if timings else float("nan")}
