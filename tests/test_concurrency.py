"""Concurrency: 20 sessions computing pages from one shared connection (a cursor per query) while an import
writes through the same connection: no errors, no lost or half-seen rows."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.metrics import base, complaints, overview, resolution

ROWS = 60_000


def _page_work(conn: db.Connection) -> int:
    """What the overview, complaint-trends and resolution pages compute, and the ticket count seen."""
    period = base.default_period(conn)
    overview.kpis(conn, period=period)
    complaints.complaint_trend(conn, period=period)
    resolution.sla_breaches(conn, period=period)
    resolution.backlog(conn)
    return int(db.table_counts(conn).set_index("table_name").loc["tickets", "row_count"])


def test_twenty_readers_during_an_import(demo_db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    shutil.copy(demo_db_path, path)
    conn = db.connect(Settings().with_db(path))
    try:
        before = _page_work(conn)
        csv = "Ticket ID,Created at,Status,Channel\n" + "".join(
            f"B{i},2026-10-{1 + i % 28:02d} 10:00,open,email\n" for i in range(ROWS))
        pv = ingest.preview(csv.encode(), name="busy.csv")
        errors: list[BaseException] = []
        seen: list[int] = []
        done = threading.Event()
        lock = threading.Lock()

        def reader() -> None:
            rounds = 0
            while rounds < 2 or not done.is_set():
                try:
                    count = _page_work(conn)
                    with lock:
                        seen.append(count)
                except BaseException as exc:
                    with lock:
                        errors.append(exc)
                    return
                rounds += 1

        threads = [threading.Thread(target=reader) for _ in range(20)]
        for t in threads:
            t.start()
        result = ingest.load(conn, pv)
        done.set()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors[:3]
        assert result.rows_loaded == ROWS
        # every reader saw the data either before or after the import, never a part of it
        assert set(seen) <= {before, before + ROWS} and len(seen) >= 40
        assert _page_work(conn) == before + ROWS
    finally:
        conn.close()
