"""The only module that opens DuckDB. One connection per process; a cursor per query.

* :func:`connect` opens (creating if needed) the database file and applies pending migrations in one
  transaction. A file held by another process raises :class:`DatabaseLockedError` with a message that says
  which process and what to do.
* :func:`query` runs one named ``.sql`` file from ``cx_metrics/sql`` with bound parameters on a fresh
  cursor, so one connection can serve many threads (a shared DuckDB connection refuses concurrent calls).
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cx_metrics import pii
from cx_metrics.config import Settings

Connection = duckdb.DuckDBPyConnection

_MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_RE = re.compile(r"(PID \d+)|(Conflicting lock)|(Could not set lock)", re.IGNORECASE)


class DatabaseError(RuntimeError):
    """A database problem with a message a user can act on."""


class DatabaseLockedError(DatabaseError):
    """Another process holds the database file; the message says which and what to do."""

    def __init__(self, message: str, holder: LockHolder | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class MigrationError(DatabaseError):
    """A migration failed; the database was left at its previous schema version."""


#: what the engine itself raises (a full disk, a damaged file): callers outside cx_metrics catch this and pass it to
#: :func:`explain`, so pages never import the engine
EngineError = duckdb.Error


_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def sql_params(name: str) -> frozenset[str]:
    """Names of the ``$parameters`` a SQL file uses."""
    return frozenset(_PARAM_RE.findall(sql_text(name)))


_INCLUDE_RE = re.compile(r"^(?P<indent>[ \t]*)-- @include (?P<name>[a-z_]+)(?:\((?P<args>[A-Za-z0-9_.,$ ]*)\))?[ \t]*$",
                         re.MULTILINE)


@cache
def sql_text(name: str) -> str:
    """The text of ``cx_metrics/sql/<name>.sql`` (one query per file).

    A line ``-- @include fragment`` is replaced by ``cx_metrics/sql/fragments/fragment.sql``, indented like
    the directive, so the complaint rule, the shared filters and the cohort labels are written once.
    ``-- @include fragment(a, b)`` also replaces ``{1}``, ``{2}`` in the fragment by the columns or ``$parameters``
    given, so one fragment serves several columns or parameters.
    """
    path = resources.files("cx_metrics") / "sql" / f"{name}.sql"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:  # pragma: no cover - programming error
        raise KeyError(f"no SQL file named {name!r} in cx_metrics/sql") from exc
    return _INCLUDE_RE.sub(_expand, text)


def _expand(match: re.Match[str]) -> str:
    args = tuple(a.strip() for a in (match.group("args") or "").split(",") if a.strip())
    return _fragment(match.group("name"), match.group("indent"), args)


@cache
def _fragment(name: str, indent: str, args: tuple[str, ...] = ()) -> str:
    path = resources.files("cx_metrics") / "sql" / "fragments" / f"{name}.sql"
    try:
        text = path.read_text(encoding="utf-8").rstrip("\n")
    except FileNotFoundError as exc:  # pragma: no cover - programming error
        raise KeyError(f"no SQL fragment named {name!r} in cx_metrics/sql/fragments") from exc
    for i, arg in enumerate(args, start=1):
        text = text.replace("{" + str(i) + "}", arg)
    if re.search(r"\{\d\}", text):
        raise KeyError(f"SQL fragment {name!r} needs arguments: -- @include {name}(column, ...)")
    text = _INCLUDE_RE.sub(_expand, text)  # fragments nest
    return "\n".join(indent + line if line else line for line in text.splitlines())


def sql_names() -> list[str]:
    """The name of every query (``cx_metrics/sql/*.sql``), sorted."""
    folder = resources.files("cx_metrics") / "sql"
    return sorted(p.name.removesuffix(".sql") for p in folder.iterdir() if p.name.endswith(".sql"))


def sql_fragments(name: str) -> list[str]:
    """The fragments query ``name`` includes, nested ones too, in the order they first appear."""
    out: list[str] = []
    path = resources.files("cx_metrics") / "sql" / f"{name}.sql"
    pending = [path.read_text(encoding="utf-8")]
    while pending:
        for match in _INCLUDE_RE.finditer(pending.pop(0)):
            fragment = match.group("name")
            if fragment not in out:
                out.append(fragment)
                pending.append((resources.files("cx_metrics") / "sql" / "fragments" / f"{fragment}.sql")
                               .read_text(encoding="utf-8"))
    return out


def sql_script(name: str, example: Mapping[str, Any] | None = None) -> str:
    """Query ``name`` as a script for the DuckDB shell: its fragments expanded, its parameters listed, prepared as a
    statement and executed with ``example`` values where given (``<value>`` placeholders to fill in otherwise)."""
    if name not in sql_names():
        raise ValueError(f"no query named {name!r}; `cx sql list` lists them")
    params = sorted(sql_params(name))
    known = dict(example or {})

    def literal(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(literal(v) for v in value) + "]"
        return "'" + str(value).replace("'", "''") + "'"

    fragments = sql_fragments(name)
    lines = [f"-- {name}: cx_metrics/sql/{name}.sql"
             + (f" with its fragments expanded ({', '.join(fragments)})" if fragments else ""),
             "-- parameters: " + (", ".join(f"${p}" for p in params) if params else "none"),
             f"PREPARE {name} AS", sql_text(name).rstrip().rstrip(";") + ";"]
    if params:
        values = ", ".join(f"{p} := {literal(known[p]) if p in known else '<value>'}" for p in params)
        lines.append(f"EXECUTE {name}({values});")
    else:
        lines.append(f"EXECUTE {name};")
    return "\n".join(lines)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in ``cx_metrics/migrations``, in order."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("cx_metrics").joinpath("migrations").iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migrations must be numbered 0001, 0002, ... without gaps; found {versions}")
    return found


def schema_version(conn: Connection) -> int:
    cur = conn.cursor()
    exists = cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return 0
    row = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


#: migration name -> the Python that completes it, in the same transaction (what SQL cannot do)
_PYTHON_STEPS: dict[str, Callable[[duckdb.DuckDBPyConnection], object]] = {"pii_at_rest": pii.secure_existing}


def migrate(conn: Connection) -> list[int]:
    """Apply every pending migration in a single transaction; return the versions applied."""
    pending = [m for m in migrations() if m[0] > schema_version(conn)]
    if not pending:
        return []
    cur = conn.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        for version, name, sql in pending:
            cur.execute(sql)
            if name in _PYTHON_STEPS:
                _PYTHON_STEPS[name](cur)
            cur.execute(
                "INSERT INTO schema_version VALUES (?, ?, current_timestamp::TIMESTAMP)", [version, name]
            )
        cur.execute("COMMIT")
    except duckdb.Error as exc:
        cur.execute("ROLLBACK")
        raise MigrationError(
            f"migration {pending[0][0]:04d}..{pending[-1][0]:04d} failed and was rolled back: {exc}"
        ) from exc
    return [v for v, _, _ in pending]


_DISK_FULL = re.compile(r"No space left on device|File too large|Disk quota exceeded|out of disk", re.IGNORECASE)
_INVALIDATED = re.compile(r"database has been invalidated", re.IGNORECASE)
_DAMAGED = re.compile(r"Corrupt database file|checksum|Could not read enough bytes|Failed to read block|"
                      r"Serialization Error|INTERNAL Error", re.IGNORECASE)
#: a DuckDB file starts with three 4 KiB headers, then its blocks
_FILE_HEADER_BYTES = 3 * 4096


def explain(exc: BaseException, path: Path | None = None) -> DatabaseError:
    """A sentence for what went wrong with the database, from the whole chain of ``exc`` (a write that failed on
    a full disk surfaces as "transaction aborted" further up the chain)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    text = " | ".join(str(e) for e in chain)
    where = f" {path}" if path else ""
    if _DISK_FULL.search(text):
        return DatabaseError(
            f"The disk holding the database{where} is full (or the file may not grow any more), so the change could "
            "not be written. It was rolled back: the data is as it was before. Free some disk space and run it again.")
    if _INVALIDATED.search(text):
        return DatabaseError(
            f"The database{where} stopped accepting work after a write failed (a full disk, say). The data on disk "
            "is as it was before that write: restart the dashboard or the command.")
    if _DAMAGED.search(text):
        return DatabaseError(
            f"The database file{where} is damaged: part of it cannot be read back ({chain[-1]}). Restore it from a "
            "backup, or move it away and build it again (`cx demo`, or import your exports again).")
    return DatabaseError(f"The database{where} reported an error: {chain[-1]}")


def check_file(conn: Connection, path: Path) -> None:
    """Raise :class:`DatabaseError` when the file is shorter than the blocks its tables are stored in reach
    (truncated by a copy cut short, a full disk, a download that stopped): DuckDB would open it and report counts
    from its catalogue. Reads only the tables' storage map (where each stored segment is), not their data."""
    if not path.exists():
        return
    row = conn.execute("PRAGMA database_size").fetchone()
    block_size = int(row[2]) if row else 262_144
    tables = [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()]
    last = -1
    for table in tables:
        found = conn.execute("SELECT max(greatest(block_id, coalesce(list_max(additional_block_ids), -1))) "
                             "FROM pragma_storage_info(?) WHERE persistent", [table]).fetchone()
        if found and found[0] is not None:
            last = max(last, int(found[0]))
    expected = _FILE_HEADER_BYTES + block_size * (last + 1) if last >= 0 else 0
    size = path.stat().st_size
    if size < expected:
        raise DatabaseError(
            f"The database file {path} is truncated: it holds {size:,} bytes, but its tables are stored up to byte "
            f"{expected:,}, so part of the data is missing. Restore it from a backup (a copy made while nothing was "
            "writing to it), or move it away and build it again (`cx demo`, or import your exports again).")


def verify(conn: Connection) -> dict[str, int]:
    """Read every value of every table (DuckDB checks each block's checksum as it reads); rows per table.
    Raises :class:`DatabaseError` naming the first table that cannot be read back."""
    tables = [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' "
        "ORDER BY table_name").fetchall()]
    rows: dict[str, int] = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        try:
            # every column hashed: nothing is skipped by projection pushdown
            rows[table] = int(conn.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {quoted}"  # noqa: S608
                                           ).fetchall()[0][0])
        except duckdb.Error as exc:
            raise DatabaseError(f"Table {table}: {explain(exc)}") from exc
    return rows


@dataclass(frozen=True)
class LockHolder:
    """The process that holds a database file, as far as the lock error and /proc tell."""

    pid: int | None
    command: str  # "the dashboard", "`cx import tickets.csv`", "this process", "another process"
    dashboard: bool = False

    def __str__(self) -> str:
        if self.pid is None:
            return self.command
        return f"{self.command} (process {self.pid})"


def _command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def lock_holder(exc: BaseException) -> LockHolder:
    """Who holds the file, from DuckDB's lock error ("Conflicting lock is held in /usr/bin/python3 (PID 123)")."""
    text = str(exc)
    if "different configuration" in text:
        return LockHolder(os.getpid(), "another connection of this process")
    found = re.search(r"PID (\d+)", text)
    if not found:
        return LockHolder(None, "another process")
    pid = int(found.group(1))
    argv = _command_line(pid)
    names = [Path(a).name for a in argv]
    if "streamlit" in " ".join(names) and "run" in argv:
        return LockHolder(pid, "the dashboard", dashboard=True)
    if "cx" in names:
        i = names.index("cx")
        return LockHolder(pid, "`" + " ".join(["cx", *argv[i + 1:i + 4]]) + "`")
    if argv:
        return LockHolder(pid, "`" + " ".join(" ".join([names[0], *argv[1:3]]).split())[:60] + "`")
    return LockHolder(pid, "another process")


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return bool(_LOCK_RE.search(text)) or "different configuration" in text


def _explain_lock(path: Path, exc: BaseException, *, read_only: bool, waited: float = 0.0) -> DatabaseLockedError:
    holder = lock_holder(exc)
    waited_text = f" (waited {waited:.0f} s)" if waited >= 1 else ""
    if holder.pid == os.getpid():
        message = (
            f"The database {path} is already open in this process {'read-write' if read_only else 'read-only'}, "
            "and DuckDB holds one file in one mode per process: close that connection first, or use its "
            "db.shared(settings) sections."
        )
    elif read_only:
        message = (
            f"The database {path} is being written by {holder}, and DuckDB lets nobody read a file while another "
            f"process writes it{waited_text}. Run this again when that finishes (an import or a theme fit can take "
            "minutes); raise the wait with CX_DB_LOCK_WAIT (seconds), or point CX_DB_PATH at another database file."
        )
    elif holder.dashboard:
        message = (
            f"The database {path} is open in {holder}, and only one process may write to it while others read it. "
            "This command writes (imports, undo, demo, theme fits and edits do): do it in the dashboard (imports "
            "and undo on the Upload exports page), stop the dashboard first, or use --db / CX_DB_PATH for another "
            "database file. Commands that only read (cx info, cx metric, cx imports, cx rejects, cx themes show, "
            "cx churn) work while the dashboard runs."
        )
    else:
        message = (
            f"The database {path} is open in another process, {holder}, and only one process may write to it"
            f"{waited_text}. Stop "
            "that process or wait until it finishes, then run this again, or point CX_DB_PATH at another database "
            "file."
        )
    return DatabaseLockedError(message, holder)


def _quiet(conn: Connection) -> Connection:
    """No progress bar: DuckDB draws one on stdout for a statement that runs over 2 s on a connection (not on its
    cursors), which lands in `cx ... --format csv > file`, in a pipe's first line, or ahead of a progress message.
    The setting is per connection and cannot be set for the whole database."""
    conn.execute("SET enable_progress_bar = false")
    return conn


def _open(path: Path, settings: Settings, read_only: bool) -> Connection:
    config: dict[str, Any] = {}
    if settings.duckdb_memory_limit:
        config["memory_limit"] = settings.duckdb_memory_limit
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    try:
        return _quiet(duckdb.connect(str(path), read_only=read_only, config=config))
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        if _is_lock_error(exc):
            raise _LockConflict(exc) from exc
        if "not a valid DuckDB database" in str(exc):
            raise DatabaseError(
                f"{path} exists but is not a DuckDB database file, so it could not be opened. Point CX_DB_PATH "
                "at another path (a new file is created there), or move this file away."
            ) from exc
        raise explain(exc, path) from exc
    except duckdb.Error as exc:
        if _DAMAGED.search(str(exc)) or _DISK_FULL.search(str(exc)):
            raise explain(exc, path) from exc
        raise DatabaseError(
            f"{path} could not be opened as a DuckDB database ({exc}). If it is not a database file, "
            "point CX_DB_PATH at another path."
        ) from exc


class _LockConflict(Exception):
    """Internal: the file is held by another process (or another configuration of this one)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def connect(
    settings: Settings,
    *,
    read_only: bool = False,
    apply_migrations: bool = True,
    wait: float | None = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Connection:
    """Open the settings' database file, creating its folder, and bring the schema up to date.

    DuckDB lets many processes open a file read-only, or one process open it read-write. When another process
    holds the file, the open is retried for ``wait`` seconds (None: the settings' ``lock_wait_seconds``); the first
    retry calls ``on_wait`` with a sentence saying who is waited for. A writer is not kept waiting for the
    dashboard, which holds its read-only connection for as long as it runs. Then :class:`DatabaseLockedError` says
    who holds the file and what to do.
    """
    path = settings.db_path
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise DatabaseError(f"The database {path} does not exist. Run `cx demo` or `cx init` to create it.")
    budget = settings.lock_wait_seconds if wait is None else wait
    started = time.monotonic()
    pause, told = 0.05, False
    while True:
        try:
            conn = _open(path, settings, read_only)
            break
        except _LockConflict as conflict:
            holder = lock_holder(conflict.cause)
            waited = time.monotonic() - started
            if waited >= budget or (holder.dashboard and not read_only):
                raise _explain_lock(path, conflict.cause, read_only=read_only, waited=waited) from conflict.cause
            if on_wait is not None and not told:
                on_wait(f"waiting up to {budget:.0f} s for {holder} to release {path} ...")
                told = True
            time.sleep(min(pause, max(budget - waited, 0.01)))
            pause = min(pause * 2, 0.5)
    try:
        check_file(conn, path)
    except DatabaseError:
        conn.close()
        raise
    if apply_migrations and not read_only:
        migrate(conn)
    return conn


def scratch(timezone: str = "UTC") -> Connection:
    """A private in-memory DuckDB for computing on data in flight (file parsing).

    ``timezone`` is the session zone: naive times are read as wall-clock times there.
    """
    conn = _quiet(duckdb.connect(":memory:"))  # a long parse prints no bar on the CLI's stdout
    # a SET takes no parameters; the name was checked against the IANA database (ingest Options)
    conn.execute("SET TimeZone = '" + timezone.replace("'", "''") + "'")
    return conn


def query(conn: Connection, name: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run the named SQL file with bound (named) parameters on a fresh cursor; return a DataFrame."""
    wanted = sql_params(name)
    given = dict(params or {})
    missing = wanted - given.keys()
    if missing:
        raise KeyError(f"{name}.sql needs parameters {sorted(missing)}")
    # Shared filter dicts carry more keys than one query uses; DuckDB rejects unused named parameters.
    bound = {k: v for k, v in given.items() if k in wanted}
    cur = conn.cursor()
    try:
        return cur.execute(sql_text(name), bound).df()
    finally:
        cur.close()


def run_statement(cur: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> None:
    """Run the named SQL statement (an UPDATE, say) on ``cur``, inside whatever transaction it is in."""
    given = dict(params or {})
    cur.execute(sql_text(name), {k: v for k, v in given.items() if k in sql_params(name)})


@contextmanager
def transaction(conn: Connection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside BEGIN/COMMIT; any exception rolls everything back and re-raises."""
    cur = conn.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
    except BaseException:
        cur.execute("ROLLBACK")
        cur.close()
        raise
    cur.execute("COMMIT")
    cur.close()


_version_lock = threading.Lock()


def data_version(conn: Connection) -> int:
    """A counter bumped by every change to the data; the app keys its caches on it."""
    row = conn.cursor().execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def bump_data_version(cur: duckdb.DuckDBPyConnection) -> None:
    """Call inside the transaction that changed the data."""
    with _version_lock:
        cur.execute(
            "INSERT INTO meta VALUES ('data_version', '1') "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)"
        )


def table_counts(conn: Connection) -> pd.DataFrame:
    """Rows per canonical table (for status pages and the CLI)."""
    return query(conn, "table_counts")


#: seconds after which a read section counts as long: a write waiting for it does not hold new readers back
LONG_READ = 1.0


class SharedDatabase:
    """The one connection of a long-running process (the dashboard) to one database file: read-only except while
    it writes, so `cx info`, `cx metric` and other readers run beside it.

    DuckDB lets many processes open a file read-only OR one process open it read-write, and one process cannot hold
    both modes at once. So this is still one connection per process at any time; writing switches it: the
    read-only connection is closed and a read-write one opened, and back when the write is done. Queries take a
    cursor of whichever connection is open (:func:`connection`), inside a section:

    * :meth:`reading` - a read section (sections nest). It waits only while the connection is being switched.
    * :meth:`writing` - a write section: waits until the read sections in progress end (new ones wait meanwhile,
      unless one in progress is long, a model being trained, which would freeze the others), switches to read-write
      (retrying for ``lock_wait_seconds`` while a `cx` reader holds the file, reading on meanwhile), then lets
      read sections run again: they read the last committed state through the same connection while the write's
      transaction is open (DuckDB's MVCC), so a page never sees half an import. On exit it waits for the read
      sections in progress and switches back. One write section at a time; a nested one reuses the connection.

    A thread must not start a write section inside its own read section (the connection it holds would be closed
    under it): that is a programming error and raises :class:`RuntimeError`.
    """

    def __init__(self, settings: Settings, *, linger: float = 2.0, drain_timeout: float = 300.0) -> None:
        self.settings = settings
        #: seconds the connection stays read-write after a write, so a burst of short writes (audit entries of
        #: sessions starting together) costs one switch, not one each; then a timer switches back to read-only
        self.linger = linger
        self.drain_timeout = drain_timeout
        self._timer: threading.Timer | None = None
        self._closes = 0  # bumped by close(): a linger timer set before it does nothing
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._conn: Connection | None = None
        self._mode = ""
        self._readers: dict[int, int] = {}
        self._since: dict[int, float] = {}  # thread -> when its outermost read section began
        self._switching = False
        self._writer: int | None = None
        self._writer_depth = 0
        #: how many times the connection was opened read-write (for tests and the benchmark)
        self.write_opens = 0

    @property
    def mode(self) -> str:
        """"read", "write" or "" (closed)."""
        return self._mode

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        me = threading.get_ident()
        with self._cond:
            if not (self._readers.get(me) or self._writer == me):
                if not self._cond.wait_for(lambda: not self._switching, timeout=self.drain_timeout):
                    raise DatabaseError("The database connection has been switching for too long; reload the page.")
            if not self._readers.get(me):
                self._since[me] = time.monotonic()
            self._readers[me] = self._readers.get(me, 0) + 1
            try:
                conn = self._conn if self._conn is not None else self._open_read()
            except BaseException:
                self._leave(me)
                raise
        try:
            yield conn
        finally:
            with self._cond:
                self._leave(me)

    def _leave(self, me: int) -> None:
        depth = self._readers.get(me, 0) - 1
        if depth > 0:
            self._readers[me] = depth
        else:
            self._readers.pop(me, None)
            self._since.pop(me, None)
            self._cond.notify_all()

    def connection(self) -> Connection:
        """The open connection, for the thread's current read or write section (a cursor per query)."""
        me = threading.get_ident()
        if not (self._readers.get(me) or self._writer == me) or self._conn is None:
            raise RuntimeError("SharedDatabase.connection() was called outside a read or write section; wrap the "
                               "call in `with db.reading()` (or `writing()`) so a mode switch cannot close it mid-use")
        return self._conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._writer_depth += 1
                nested = True
            elif self._readers.get(me):
                raise RuntimeError("a write section cannot start inside a read section of the same thread")
            else:
                nested = False
        if nested:
            try:
                assert self._conn is not None
                yield self._conn
            finally:
                self._writer_depth -= 1
            return
        with self._write_lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._switch("write")
            with self._cond:
                self._writer, self._writer_depth = me, 1
            try:
                assert self._conn is not None
                yield self._conn
            finally:
                with self._cond:
                    self._writer, self._writer_depth = None, 0
                if self.linger > 0:
                    self._timer = threading.Timer(self.linger, self._back_to_read, kwargs={"closes": self._closes})
                    self._timer.daemon = True
                    self._timer.start()
                else:
                    self._back_to_read(locked=True)

    def _back_to_read(self, locked: bool = False, closes: int | None = None) -> None:
        if not locked and not self._write_lock.acquire(timeout=self.drain_timeout):
            return
        try:
            if closes is not None and closes != self._closes:
                return  # closed since this timer was set: nothing to switch back
            self._timer = None
            self._switch("read")
        except DatabaseError:
            pass  # another process took the file in the gap; the next read section reopens and says who
        finally:
            if not locked:
                self._write_lock.release()

    def close(self) -> None:
        """Close the connection once the sections and the write in progress have ended (tests; a server shutting
        down). A later section opens it again."""
        if not self._write_lock.acquire(timeout=30):  # not beside a write, nor beside the linger's switch back
            return  # a write still running (a shutdown during an import): its commit or the WAL keeps the data
        try:
            self._closes += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            with self._cond:
                self._switching = True
                try:
                    self._drain()
                    self._close()
                finally:
                    self._switching = False
                    self._cond.notify_all()
        finally:
            self._write_lock.release()

    # -- internals (called with self._cond held) --------------------------------------------------------------------

    def _drain(self) -> None:
        me = threading.get_ident()
        if not self._cond.wait_for(lambda: not any(t != me for t in self._readers), timeout=self.drain_timeout):
            raise DatabaseError(f"Pages were still reading the database after {self.drain_timeout:.0f} s, so the "
                                "dashboard could not write to it; nothing was changed. Try again.")

    def _await_long_reads(self) -> None:
        """Wait, letting new read sections in, while a read section has run for over LONG_READ seconds (a model being
        trained): holding new readers back until it ends would freeze every other session for as long."""
        me = threading.get_ident()
        deadline = time.monotonic() + self.drain_timeout
        while any(time.monotonic() - since > LONG_READ for t, since in self._since.items() if t != me):
            if time.monotonic() > deadline:
                raise DatabaseError(f"A page was still reading the database after {self.drain_timeout:.0f} s, so the "
                                    "dashboard could not write to it; nothing was changed. Try again.")
            self._cond.wait(timeout=0.1)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._mode = None, ""

    def _open_read(self) -> Connection:
        """Open read-only; a missing file or an older schema is first created/migrated read-write."""
        path = self.settings.db_path
        if path.exists():
            conn = connect(self.settings, read_only=True, wait=None)
            if schema_version(conn) == len(migrations()):
                self._conn, self._mode = conn, "read"
                return conn
            conn.close()
        connect(self.settings, wait=None).close()  # creates the file and applies the migrations
        self.write_opens += 1
        self._conn, self._mode = connect(self.settings, read_only=True, wait=None), "read"
        return self._conn

    def _switch(self, target: str) -> None:
        """Switch the connection to ``target`` ("read" or "write"), retrying while another process holds the file."""
        started = time.monotonic()
        pause = 0.05
        while True:
            with self._cond:
                if self._mode == target:
                    return
                self._await_long_reads()
                self._switching = True
                try:
                    self._drain()
                    self._close()
                    try:
                        if target == "write":
                            self._conn = _open(self.settings.db_path, self.settings, read_only=False)
                            self.write_opens += 1
                            migrate(self._conn)
                            self._mode = "write"
                        else:
                            self._open_read()
                        return
                    except _LockConflict as conflict:
                        waited = time.monotonic() - started
                        if target == "write":
                            try:
                                self._open_read()  # read on while the other process finishes
                            except (_LockConflict, DatabaseError):
                                pass
                        if waited >= self.settings.lock_wait_seconds:
                            holder = lock_holder(conflict.cause)
                            raise DatabaseLockedError(
                                f"{holder} has the database {self.settings.db_path} open, so the dashboard could not "
                                f"write to it (waited {waited:.0f} s); nothing was changed. Try again when it "
                                "finishes.", holder) from conflict.cause
                finally:
                    self._switching = False
                    self._cond.notify_all()
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


_shared: dict[Path, SharedDatabase] = {}
_shared_lock = threading.Lock()


def shared(settings: Settings) -> SharedDatabase:
    """The process-wide :class:`SharedDatabase` of the settings' database file (created on first use)."""
    with _shared_lock:
        found = _shared.get(settings.db_path)
        if found is None:
            found = _shared[settings.db_path] = SharedDatabase(settings)
            atexit.register(found.close)  # a clean close writes the WAL into the file (a linger may hold it open)
        return found
