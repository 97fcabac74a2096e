"""When the disk or the file fails (issue 16 item 10): a full disk during an import, a truncated or damaged
database file. Each gets a sentence that says what happened and what to do, never a traceback, and the data stays
as it was."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import cli, db
from cx_metrics.config import Settings
from tests.test_ingest import checksum

ROOT = Path(__file__).resolve().parent.parent
HEADER_BYTES = 3 * 4096


def _copy(src: Path, folder: Path, name: str) -> Path:
    path = folder / name
    shutil.copyfile(src, path)
    return path


def _truncate_half(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def _damage_data_blocks(path: Path) -> None:
    """Overwrite a few bytes inside every block but the first ones (the catalogue), so the file opens and a query
    that reads the data meets a block whose checksum fails."""
    blocks = (path.stat().st_size - HEADER_BYTES) // 262_144
    with path.open("r+b") as f:
        for block in range(3, blocks):
            f.seek(HEADER_BYTES + block * 262_144 + 4096)
            f.write(b"\xab" * 64)


def test_a_truncated_file_is_refused_by_every_command(demo_db_path: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(demo_db_path, tmp_path, "half.duckdb")
    _truncate_half(path)
    assert cli.main(["info", "--db", str(path)]) == 2  # it used to print normal row counts
    err = capsys.readouterr().err
    assert "is truncated" in err and "Restore it from a backup" in err and "Traceback" not in err
    assert cli.main(["metric", "kpis", "--db", str(path)]) == 2
    assert "is truncated" in capsys.readouterr().err
    with pytest.raises(db.DatabaseError, match="truncated"):
        db.connect(Settings().with_db(path))


def test_a_damaged_file_gets_a_sentence(demo_db_path: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(demo_db_path, tmp_path, "damaged.duckdb")
    assert cli.main(["info", "--db", str(path), "--verify"]) == 0
    assert "reads back with its checksum" in capsys.readouterr().out
    _damage_data_blocks(path)
    assert cli.main(["info", "--db", str(path), "--verify"]) == 2
    err = capsys.readouterr().err
    assert "is damaged" in err and "Traceback" not in err
    assert cli.main(["metric", "kpis", "--db", str(path)]) == 2  # a query meets the bad block
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is damaged" in err and "Traceback" not in err


def test_the_dashboard_says_a_damaged_file_in_a_sentence(demo_db_path: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = _copy(demo_db_path, tmp_path, "damaged-app.duckdb")
    _damage_data_blocks(path)
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert any("is damaged" in e.value for e in at.error), [e.value for e in at.error]


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_during_an_import(demo_db_path: Path, tmp_path: Path) -> None:
    """The database file may not grow (RLIMIT_FSIZE: the kernel refuses the write as a full disk would): the import
    stops with a sentence, and the database holds exactly what it held before."""
    path = _copy(demo_db_path, tmp_path, "full.duckdb")
    conn = db.connect(Settings().with_db(path))
    before = checksum(conn)
    conn.close()
    big = tmp_path / "big.csv"
    big.write_text("Ticket ID,Created at,Status,Channel,Subject\n" + "".join(
        f"Z{i},2026-03-01 10:00,open,email,subject number {i} with words enough to need new blocks\n"
        for i in range(200_000)))
    size = path.stat().st_size + (path.with_name(path.name + ".wal").stat().st_size
                                  if path.with_name(path.name + ".wal").exists() else 0)
    done = subprocess.run([sys.executable, "-m", "cx_metrics.cli", "import", str(big), "--db", str(path)],
                          preexec_fn=lambda: _limit_file_size(size + 256 * 1024),
                          capture_output=True, text=True, timeout=300, env={**os.environ})
    assert done.returncode == 2, done.stderr
    assert "is full" in done.stderr and "rolled back" in done.stderr and "Traceback" not in done.stderr
    conn = db.connect(Settings().with_db(path))
    try:
        assert checksum(conn) == before
        assert conn.execute("SELECT count(*) FROM tickets WHERE ticket_id LIKE 'Z%'").fetchall() == [(0,)]
    finally:
        conn.close()
