"""Real sessions of a real dashboard server beside real `cx` processes (issue 15, issue 16 item 13).

* Reads work while the dashboard runs: it holds the file read-only, so `cx info` and `cx metric` run beside it, and a
  `cx` command that writes is told, by name, who holds the file and what to do instead.
* Reads during a write: the server's import is held inside its transaction (a failpoint injected into the server
  process by the test, through sitecustomize: production code has no hook), and new browser sessions, the Data status
  page and a `cx` reader are observed while it is held: the sessions show the state before the import, whole; the
  `cx` reader waits and then reads the state after it.
* The dashboard's write waits for a `cx` reader that holds the file, and says who holds it when it waits too long.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Period
from cx_metrics.metrics import overview
from cx_ui.serve import running_server

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")

ROWS = 4_000
#: reader periods, each holding a different share of the imported complaints (Mon 5 Oct - Sun 1 Nov 2026)
PERIODS = [Period(dt.date(2026, 9, 14), dt.date(2026, 10, 11)), Period(dt.date(2026, 10, 5), dt.date(2026, 10, 18)),
           Period(dt.date(2026, 10, 12), dt.date(2026, 11, 8))]
HOLD_HOOK = '''
"""Test failpoint (tests/test_concurrency_browser.py): hold an import inside its transaction, after its rows are
written and before it is recorded and committed, while the file named by CX_TEST_HOLD_IMPORT exists."""
import os
import pathlib
import time

_hold = os.environ.get("CX_TEST_HOLD_IMPORT")
if _hold:
    from cx_metrics.ingest import load as _load

    _close = _load._close_import

    def _held(*args, **kwargs):
        flag = pathlib.Path(_hold)
        pathlib.Path(_hold + ".reached").touch()
        while flag.exists():
            time.sleep(0.05)
        return _close(*args, **kwargs)

    _load._close_import = _held
'''


def _export(path: Path) -> Path:
    path.write_text("Ticket ID,Created at,Status,Channel,Ticket type\n" + "".join(
        f"H{i},2026-10-{5 + i % 27:02d} 10:00,open,email,incident\n" for i in range(ROWS)))
    return path


def _added(period: Period) -> int:
    """Imported complaints created in ``period``."""
    days = [dt.date(2026, 10, 5 + i % 27) for i in range(ROWS)]
    return sum(period.start <= d <= period.end for d in days)


def _complaints(path: Path) -> list[int]:
    conn = db.connect(Settings().with_db(path), read_only=True)
    try:
        return [int(overview.kpis(conn, period=p).set_index("metric").loc["complaints", "value"]) for p in PERIODS]
    finally:
        conn.close()


def _lock_mode(path: Path, pid: int) -> str | None:
    """The kind of lock process ``pid`` holds on ``path`` (READ or WRITE) as /proc/locks says; None: no lock."""
    inode = path.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if len(parts) > 5 and parts[4] == str(pid) and parts[5].endswith(f":{inode}"):
            return parts[3]
    return None


@pytest.fixture
def served(demo_db_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db_path, path)
    return path


def _cx(path: Path, *args: str, wait: float = 60) -> subprocess.Popen[str]:
    env = {**os.environ, "CX_DB_LOCK_WAIT": str(wait)}
    return subprocess.Popen([sys.executable, "-m", "cx_metrics.cli", *args, "--db", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _overview_tile(browser: Any, url: str, period: Period) -> int:
    """A new session (a new page load) on the overview for ``period``: its Complaints tile."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/?start={period.start}&end={period.end}")
        value = page.locator('[data-testid="stMetric"]').first.locator('[data-testid="stMetricValue"]')
        value.wait_for(timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        return int(value.inner_text().split(" ")[0].replace(",", ""))
    finally:
        page.close()


def _upload(browser: Any, url: str, csv: Path) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/upload")
    page.get_by_role("heading", name="Upload exports").wait_for(timeout=60_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    page.get_by_text("Detected: tickets").wait_for(timeout=60_000)
    page.get_by_text("Keep the demo data beside mine").click()
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Load", exact=True).click()
    return page


@pytest.fixture
def hold(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(HOLD_HOOK)
    flag = tmp_path / "hold-import"
    flag.touch()
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")])),
           "CX_TEST_HOLD_IMPORT": str(flag)}
    yield flag, env
    flag.unlink(missing_ok=True)  # never leave a server waiting


def test_sessions_read_the_old_state_while_the_dashboard_imports(served: Path, tmp_path: Path, browser: Any,
                                                                 hold: tuple[Path, dict[str, str]]) -> None:
    flag, env = hold
    before = _complaints(served)
    with running_server(served, env=env) as server:
        writer = _upload(browser, server.url, _export(tmp_path / "held-import.csv"))
        reached = Path(str(flag) + ".reached")
        deadline = time.monotonic() + 120
        while not reached.exists():
            assert time.monotonic() < deadline, "the import never reached its commit"
            time.sleep(0.05)
        # the import's rows are written, its transaction is open: the server holds the file read-write
        if Path("/proc/locks").exists():
            assert _lock_mode(served, server.pid) == "WRITE"
        reader = _cx(served, "info")  # a `cx` reader has to wait for the commit
        # real sessions, each on a period the import changes, read the state before it, whole
        assert [_overview_tile(browser, server.url, p) for p in PERIODS] == before
        status = browser.new_page()
        status.goto(f"{server.url}/data_status")
        status.get_by_role("heading", name="Data status").wait_for(timeout=60_000)
        status.get_by_text("data version").wait_for(timeout=60_000)
        assert "held-import.csv" not in status.locator("body").inner_text()  # the open import is not there yet
        assert reader.poll() is None  # still waiting
        assert _lock_mode(served, server.pid) == "WRITE" if Path("/proc/locks").exists() else True
        flag.unlink()  # let the import commit
        writer.get_by_text(f"{ROWS:,} rows loaded").wait_for(timeout=120_000)
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
        assert f"waiting up to 60 s for the dashboard (process {server.pid})" in err
        assert f"your own data ({ROWS:,} tickets)" in out  # the committed state, import included
        # after the commit, new sessions read the state after it, whole
        assert [_overview_tile(browser, server.url, p) for p in PERIODS] == [
            b + _added(p) for b, p in zip(before, PERIODS, strict=True)]
        writer.close()
        status.close()


def test_cx_reads_while_the_dashboard_runs_and_a_writer_is_told_what_to_do(served: Path, tmp_path: Path,
                                                                            browser: Any) -> None:
    with running_server(served) as server:
        page = browser.new_page()
        page.goto(server.url)
        page.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)  # the dashboard holds the file
        info = _cx(served, "info", wait=5)
        out, err = info.communicate(timeout=120)
        assert info.returncode == 0, err
        assert "schema version" in out and "contents: the demo dataset only" in out
        metric = _cx(served, "metric", "kpis", "--format", "json", wait=5)
        out, err = metric.communicate(timeout=120)
        assert metric.returncode == 0, err
        assert '"metric": "kpis"' in out
        # a command that writes cannot run beside the dashboard: it says who holds the file and what to do
        export = _export(tmp_path / "from-the-terminal.csv")
        imported = _cx(served, "import", str(export), wait=5)
        out, err = imported.communicate(timeout=120)
        assert imported.returncode == 2
        assert f"open in the dashboard (process {server.pid})" in err
        assert "Upload exports page" in err and "stop the dashboard first" in err and "--db" in err
        assert "Traceback" not in err
        # and the dashboard still serves
        page.reload()
        page.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)
        page.close()


def test_the_dashboard_waits_for_a_cx_reader_and_says_who_holds_the_file(served: Path, tmp_path: Path,
                                                                        browser: Any) -> None:
    with running_server(served, env={"CX_DB_LOCK_WAIT": "3"}) as server:
        page = browser.new_page()
        page.goto(server.url)
        page.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)
        holder = subprocess.Popen([sys.executable, "-c", (
            "import duckdb, time\n"
            f"c = duckdb.connect({str(served)!r}, read_only=True)\n"
            "print('ready', flush=True)\n"
            "time.sleep(120)\n")], stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
            upload = _upload(browser, server.url, _export(tmp_path / "while-a-reader-reads.csv"))
            alert = upload.locator('[data-testid="stAlertContentError"]')
            alert.wait_for(timeout=120_000)
            text = alert.inner_text()
            assert f"(process {holder.pid})" in text and "could not write to it" in text
            assert "nothing was changed" in text
        finally:
            holder.kill()
            holder.wait()
        # the reader has gone: the same load goes through
        upload.close()
        upload = _upload(browser, server.url, tmp_path / "while-a-reader-reads.csv")
        upload.get_by_text(f"{ROWS:,} rows loaded").wait_for(timeout=120_000)
        upload.close()
        page.close()
