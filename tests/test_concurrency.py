"""Concurrency: reads observed DURING a write, through the dashboard's connection model (one connection per process,
read-only except while writing: cx_metrics.db.SharedDatabase), with threads and with other processes.

The writer is held inside its import transaction (after every row is written, before the commit) while readers
compute pages: they must see the state before the import, whole, never a part of it. The same observer, pointed at a
writer that does not use one transaction, must see the half state: the test can fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Period
from cx_metrics.ingest import load as ingest
from cx_metrics.metrics import overview

ROWS = 20_000
#: the imported tickets' days (inside the small demo's data), and the period every reader computes
DAYS = Period(dt.date(2026, 10, 5), dt.date(2026, 11, 1))
READERS = 20

#: (tickets, loaded imports, data version) read by one statement, and the complaints tile of DAYS (its own queries)
State = tuple[tuple[int, int, int], float]


def _export(rows: int = ROWS) -> bytes:
    """Complaints (incidents) spread over DAYS: each one moves the complaints tile of that period."""
    return ("Ticket ID,Created at,Status,Channel,Ticket type\n" + "".join(
        f"B{i},2026-10-{5 + i % 27:02d} 10:00,open,email,incident\n" for i in range(rows))).encode()


def observe(conn: db.Connection) -> State:
    """What a page run reads: the rows, the import records and the data version in one statement (one snapshot:
    they must agree), and the complaints tile of DAYS. Each query sees one committed state; a page's queries are
    separate statements, so one run may straddle a commit, but no statement may see half an import."""
    cur = conn.cursor()
    try:
        tickets, loaded, version = cur.execute(
            "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM imports WHERE status = 'loaded'), "
            "(SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'data_version')").fetchall()[0]
    finally:
        cur.close()
    tiles = overview.kpis(conn, period=DAYS).set_index("metric")
    return (int(tickets), int(loaded), int(version)), float(tiles.loc["complaints", "value"])


def _copy(demo_db_path: Path, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.copyfile(demo_db_path, path)
    return path


def _readers(read: Callable[[], State], paused: threading.Event, released: threading.Event,
             done: threading.Event) -> tuple[list[threading.Thread], list[tuple[bool, State]], list[BaseException]]:
    """READERS threads observing until ``done``; each observation is marked when it ran entirely while the
    writer was paused inside its transaction."""
    seen: list[tuple[bool, State]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        while not done.is_set():
            during = paused.is_set() and not released.is_set()
            try:
                state = read()
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                return
            during = during and not released.is_set()
            with lock:
                seen.append((during, state))

    threads = [threading.Thread(target=work, daemon=True) for _ in range(READERS)]
    for t in threads:
        t.start()
    return threads, seen, errors


def _hold_until(paused: threading.Event, released: threading.Event) -> Callable[[float, str], None]:
    """An import progress callback that stops inside the transaction once every row is written."""
    def progress(fraction: float, message: str) -> None:
        if message.startswith("recording rejects and committing"):
            paused.set()
            assert released.wait(timeout=300), "the test never released the writer"

    return progress


def _let_readers_look(paused: threading.Event, seen: list[tuple[bool, State]], at_least: int) -> int:
    assert paused.wait(timeout=300), "the writer never reached its commit"
    deadline = time.monotonic() + 300
    while sum(1 for during, _ in seen if during) < at_least:
        assert time.monotonic() < deadline, "readers did not get through during the write"
        time.sleep(0.05)
    return sum(1 for during, _ in seen if during)


def _scene(demo_db_path: Path, tmp_path: Path, name: str) -> tuple[db.SharedDatabase, State, ingest.Preview,
                                                                  threading.Event, threading.Event, threading.Event]:
    """A shared connection on a copy of the demo, the state before, the export to write, and the events that hold
    the writer (paused, released) and stop the readers (done)."""
    shared = db.SharedDatabase(Settings().with_db(_copy(demo_db_path, tmp_path, f"{name}.duckdb")), linger=0.5)
    before = _read(shared)
    pv = ingest.preview(_export(), name=f"{name}.csv")
    return shared, before, pv, threading.Event(), threading.Event(), threading.Event()


def test_readers_see_the_old_state_whole_while_an_import_writes(demo_db_path: Path, tmp_path: Path) -> None:
    """The dashboard's model: one shared connection; the import in a write section, pages in read sections."""
    shared, before, pv, paused, released, done = _scene(demo_db_path, tmp_path, "busy")
    try:
        result: list[ingest.ImportResult] = []

        def write() -> None:
            with shared.writing() as conn:
                result.append(ingest.load(conn, pv, progress=_hold_until(paused, released)))

        writer = threading.Thread(target=write)
        threads, seen, errors = _readers(lambda: _read(shared), paused, released, done)
        writer.start()
        during = _let_readers_look(paused, seen, at_least=2 * READERS)
        assert shared.mode == "write"  # the readers above read through the writer's (read-write) connection
        released.set()
        writer.join(timeout=300)
        after = _settle(shared, seen, before)
        done.set()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors[:3]
        assert result and result[0].rows_loaded == ROWS
        (tickets, loaded, version), complaints = before
        assert after == ((tickets + ROWS, loaded + 1, version + 1), complaints + ROWS)
        # during the write every reader saw the state before it, whole; afterwards the state after it, whole
        assert during >= 2 * READERS
        assert {state for was_during, state in seen if was_during} == {before}
        assert {state[0] for _, state in seen} <= {before[0], after[0]}
        assert {state[1] for _, state in seen} <= {before[1], after[1]}
        # back to read-only once the write is done (other processes may read): the switch comes after the linger,
        # and reopening the file takes its time on a loaded machine, so wait for it (bounded), not a fixed 0.5 s more
        deadline = time.monotonic() + shared.linger + 30
        while shared.mode != "read" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert shared.mode == "read"
    finally:
        shared.close()


def test_the_observer_catches_a_write_that_is_not_one_transaction(demo_db_path: Path, tmp_path: Path) -> None:
    """The same readers against a writer that commits its rows before the import record: they see it half done."""
    shared, before, pv, paused, released, done = _scene(demo_db_path, tmp_path, "torn")
    try:

        def torn_write() -> None:
            with shared.writing() as conn:
                cur = conn.cursor()
                cur.register("rows", pv.prepared.tables["tickets"])
                cur.execute("INSERT INTO tickets (source, ticket_id, created_at, status, channel, ticket_type, "
                            "is_complaint) SELECT source, ticket_id, created_at, status, channel, ticket_type, "
                            "is_complaint FROM rows")  # committed on its own: no transaction around the import
                paused.set()
                assert released.wait(timeout=300)
                cur.execute("INSERT INTO imports (file_name, kind, started_at, status) "
                            "VALUES ('torn.csv', 'tickets', now(), 'loaded')")

        writer = threading.Thread(target=torn_write)
        threads, seen, errors = _readers(lambda: _read(shared), paused, released, done)
        writer.start()
        _let_readers_look(paused, seen, at_least=READERS)
        released.set()
        writer.join(timeout=300)
        done.set()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors[:3]
        torn = {state[0] for was_during, state in seen if was_during}
        # rows without their import record, in one statement's snapshot: neither before nor after a whole import
        assert torn == {(before[0][0] + ROWS, before[0][1], before[0][2])}
    finally:
        shared.close()


def _read(shared: db.SharedDatabase) -> State:
    with shared.reading() as conn:
        return observe(conn)


def _settle(shared: db.SharedDatabase, seen: list[tuple[bool, State]], before: State) -> State:
    """The state after the write, once readers have seen it."""
    deadline = time.monotonic() + 300
    after = _read(shared)
    while not any(state == after for _, state in list(seen)[-READERS:]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert after != before
    return after


# --- other processes: `cx` readers beside the dashboard's connection ------------------------------------------


def _cx(*args: str, wait: float = 30, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "CX_DB_LOCK_WAIT": str(wait)}
    return subprocess.Popen([sys.executable, "-m", "cx_metrics.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **popen)  # type: ignore[call-overload]


@contextmanager
def _reader_process(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the file read-only for ``seconds`` (a long `cx metric`)."""
    proc = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time\n"
        f"c = duckdb.connect({str(path)!r}, read_only=True)\n"
        "print('ready', flush=True)\n"
        f"time.sleep({seconds})\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_cx_reads_while_the_shared_connection_is_open_and_waits_out_a_write(demo_db_path: Path,
                                                                            tmp_path: Path) -> None:
    path = _copy(demo_db_path, tmp_path, "cli.duckdb")
    shared = db.SharedDatabase(Settings().with_db(path), linger=0.3)
    try:
        with shared.reading() as conn:
            before = observe(conn)
        # read-only in this process: another process reads at the same time
        info = _cx("info", "--db", str(path))
        out, err = info.communicate(timeout=120)
        assert info.returncode == 0, err
        assert f"tickets {before[0][0]}" in " ".join(out.split())
        # while this process writes, a `cx` reader waits (and says for whom), then reads the committed state
        pv = ingest.preview(_export(2_000), name="more.csv")
        paused, released = threading.Event(), threading.Event()
        writer = threading.Thread(target=lambda: _write(shared, pv, _hold_until(paused, released)))
        writer.start()
        assert paused.wait(timeout=300)
        waiting = _cx("metric", "kpis", "--db", str(path), "--start", DAYS.start.isoformat(), "--end",
                      DAYS.end.isoformat(), "--format", "csv")
        assert waiting.stderr is not None
        said: list[str] = []
        listener = threading.Thread(target=lambda: said.append(waiting.stderr.readline()), daemon=True)
        listener.start()
        listener.join(timeout=120)  # the command found the file held read-write, and says whom it waits for
        assert said and said[0].startswith(f"waiting up to 30 s for `python -m pytest` (process {os.getpid()})")
        assert waiting.poll() is None
        released.set()
        writer.join(timeout=300)
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
        complaints = next(line for line in out.splitlines() if line.startswith("complaints,"))
        assert complaints.split(",")[3] == f"{before[1] + 2_000:.1f}"  # the state after the import, whole
    finally:
        shared.close()


def _write(shared: db.SharedDatabase, pv: ingest.Preview, progress: Callable[[float, str], None]) -> None:
    with shared.writing() as conn:
        ingest.load(conn, pv, progress=progress)


def test_a_write_waits_for_a_cx_reader_then_says_who_holds_the_file(demo_db_path: Path, tmp_path: Path) -> None:
    path = _copy(demo_db_path, tmp_path, "held.duckdb")
    settings = Settings().with_db(path)
    shared = db.SharedDatabase(dataclasses.replace(settings, lock_wait_seconds=20.0), linger=0)
    try:
        with shared.reading():
            pass
        # a short reader: the write waits for it, then goes through
        with _reader_process(path, 1.5):
            started = time.monotonic()
            with shared.writing() as conn:
                ingest.load(conn, ingest.preview(_export(100), name="after-reader.csv"))
            assert time.monotonic() - started >= 1.0
        assert shared.mode == "read"
        # a reader that stays: after lock_wait_seconds the write gives up, says who, changes nothing, reads go on
        shared.settings = dataclasses.replace(settings, lock_wait_seconds=1.0)
        with _reader_process(path, 60) as holder:
            with pytest.raises(db.DatabaseLockedError) as info:
                with shared.writing() as conn:
                    raise AssertionError("the write section must not start")
            message = str(info.value)
            assert f"(process {holder.pid})" in message and "nothing was changed" in message
            assert "`python" in message  # the other process, by its command
            with shared.reading() as conn:
                assert observe(conn)[0][1] == 2  # the demo and the first import; the refused write left no trace
    finally:
        shared.close()


def test_sections_are_used_as_documented(demo_db_path: Path, tmp_path: Path) -> None:
    shared = db.SharedDatabase(Settings().with_db(_copy(demo_db_path, tmp_path, "rules.duckdb")), linger=0)
    try:
        with pytest.raises(RuntimeError, match="outside a read or write section"):
            shared.connection()
        with shared.reading() as outer, shared.reading() as inner:
            assert outer is inner and shared.mode == "read"
            with pytest.raises(RuntimeError, match="cannot start inside a read section"):
                with shared.writing():
                    pass
        with shared.writing() as conn, shared.writing() as nested, shared.reading() as read:
            assert conn is nested is read and shared.mode == "write"
        assert shared.mode == "read" and shared.write_opens == 1
    finally:
        shared.close()


def test_short_writes_in_a_burst_share_one_switch(demo_db_path: Path, tmp_path: Path) -> None:
    """Audit entries of sessions starting together: one switch to read-write, not one each."""
    from cx_metrics import audit

    shared = db.SharedDatabase(Settings().with_db(_copy(demo_db_path, tmp_path, "audit.duckdb")), linger=1.0)
    try:
        with shared.reading():
            pass
        for i in range(10):
            with shared.writing() as conn:
                audit.log(conn, f"user{i}@example.com", "login")
        assert shared.write_opens == 1 and shared.mode == "write"
        deadline = time.monotonic() + 30
        while shared.mode != "read":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with shared.reading() as conn:
            assert (audit.recent(conn)["action"] == "login").sum() == 10
    finally:
        shared.close()


def test_a_long_read_does_not_freeze_other_sessions_while_a_write_waits(demo_db_path: Path, tmp_path: Path) -> None:
    """A model being trained holds a read section for long; an import waits for it to end, but the other sessions'
    reads go on meanwhile instead of queueing behind the waiting import."""
    shared = db.SharedDatabase(Settings().with_db(_copy(demo_db_path, tmp_path, "long.duckdb")), linger=0)
    try:
        training, finish = threading.Event(), threading.Event()

        def train() -> None:
            with shared.reading() as conn:
                observe(conn)
                training.set()
                assert finish.wait(timeout=300)  # a long computation inside the section

        trainer = threading.Thread(target=train)
        trainer.start()
        assert training.wait(timeout=300)
        time.sleep(db.LONG_READ + 0.2)
        pv = ingest.preview(_export(100), name="waits.csv")
        wrote = threading.Event()
        writer = threading.Thread(target=lambda: (_write(shared, pv, lambda f, m: None), wrote.set()))
        writer.start()
        time.sleep(0.5)  # the write is waiting for the training to end
        started = time.monotonic()
        for _ in range(5):
            _read(shared)  # other sessions: not held back
        assert time.monotonic() - started < 30 and not wrote.is_set()
        finish.set()
        trainer.join(timeout=300)
        writer.join(timeout=300)
        assert wrote.is_set()
        assert _read(shared)[0][1] == 2
    finally:
        shared.close()


def test_close_is_final_even_with_a_switch_back_pending(demo_db_path: Path, tmp_path: Path) -> None:
    """A linger's switch back that was waiting for a long read must not reopen the file after close()."""
    from cx_metrics import audit

    shared = db.SharedDatabase(Settings().with_db(_copy(demo_db_path, tmp_path, "close.duckdb")), linger=0.2)
    with shared.writing() as conn:
        audit.log(conn, "someone@example.com", "login")
    reading, stop = threading.Event(), threading.Event()

    def long_read() -> None:
        with shared.reading():
            reading.set()
            stop.wait(timeout=300)

    reader = threading.Thread(target=long_read)
    reader.start()
    assert reading.wait(timeout=60)
    time.sleep(db.LONG_READ + 0.5)  # the switch back has fired and waits for the long read
    threading.Timer(0.5, stop.set).start()
    shared.close()
    reader.join(timeout=60)
    time.sleep(0.5)
    assert shared.mode == ""  # closed, and nothing opened it again
