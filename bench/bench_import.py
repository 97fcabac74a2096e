"""Import throughput pieces for bench/run.py: a Zendesk-shaped CSV from the demo generator, our importer
(detection, validation, load) and DuckDB's own read_csv on the same file, each in a fresh database."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb

from cx_metrics import db, demo
from cx_metrics.config import Settings
from cx_metrics.ingest import parts
from cx_metrics.ingest.limits import Limits


def make_csv(rows: int, path: Path) -> None:
    """A Zendesk-UI-shaped ticket export from the seeded demo generator (bench/generate.py)."""
    from generate import zendesk_tickets

    data = demo.generate(seed=11, size=demo.DemoSize(customers=max(rows // 5, 1000), tickets=rows))
    zendesk_tickets(data).to_csv(path, index=False)


def time_ours(path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = db.connect(Settings().with_db(Path(tmp) / "b.duckdb"))
        limits = Limits(max_bytes=16 << 30, max_unzipped_bytes=16 << 30)
        start = time.perf_counter()
        result, _ = parts.import_file(conn, path, limits=limits)  # what `cx import` does
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
