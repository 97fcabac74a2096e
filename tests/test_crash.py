"""Crash safety: a process killed (SIGKILL, no cleanup) in the middle of an import leaves the database
consistent, with the import absent; the same file then imports normally."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from tests.test_ingest import TICKETS_CSV, checksum

ROOT = Path(__file__).resolve().parent.parent
ROWS = 300_000

IMPORTER = """
import sys
from pathlib import Path
from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest

conn = db.connect(Settings().with_db(Path(sys.argv[1])), wait=60)  # a machine under load may lag the parent's close
pv = ingest.preview(Path(sys.argv[2]))

def progress(fraction, message):
    if message.startswith("writing"):
        print("WRITING", flush=True)

ingest.load(conn, pv, progress=progress)
print("COMMITTED", flush=True)
"""


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "big.csv"
    lines = ["Ticket ID,Created at,Status,Channel,Priority,Subject"]
    lines += [f"K{i},2026-02-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d},{'open' if i % 3 else 'solved'},"
              f"{('email', 'chat', 'phone')[i % 3]},normal,subject number {i}" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("delay", [0.0, 0.15])
def test_sigkill_during_an_import_leaves_it_absent(tmp_path: Path, big_csv: Path, delay: float) -> None:
    path = tmp_path / "crash.duckdb"
    conn = db.connect(Settings().with_db(path))
    ingest.load(conn, ingest.preview(TICKETS_CSV.encode(), name="before.csv"))
    before = checksum(conn)
    conn.close()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    errors = tmp_path / "importer.stderr"  # kept for the failure message: why it ended before writing
    with errors.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", IMPORTER, str(path), str(big_csv)], stdout=subprocess.PIPE,
                                stderr=stderr, text=True, env=env)
    assert proc.stdout is not None
    seen: list[str] = []
    for raw in proc.stdout:  # blocks until the transaction is writing rows; anything else printed first is kept
        seen.append(raw.rstrip("\n"))
        if seen[-1].endswith("WRITING"):  # (a progress bar would share its line)
            break
    else:
        code = proc.wait(timeout=60)
        pytest.fail(f"the importer ended (exit {code}) before it began writing; stdout: {seen!r}; stderr:\n"
                    f"{errors.read_text()[-4000:]}")
    assert "COMMITTED" not in seen
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    conn = db.connect(Settings().with_db(path))  # recovery from the write-ahead log happens here
    try:
        assert checksum(conn) == before
        assert conn.execute("SELECT count(*) FROM imports WHERE file_name = 'big.csv'").fetchall() == [(0,)]
        assert conn.execute("SELECT count(*) FROM tickets").fetchall() == [(3,)]
        # and the same file imports normally afterwards
        result = ingest.load(conn, ingest.preview(big_csv))
        assert result.rows_loaded == ROWS
    finally:
        conn.close()
