"""The only module that opens DuckDB. One connection per process; a cursor per query.

* :func:`connect` opens (creating if needed) the database file and applies pending migrations in one
  transaction. A file held by another process raises :class:`DatabaseLockedError` with a message that says
  which process and what to do.
* :func:`query` runs one named ``.sql`` file from ``cx_metrics/sql`` with bound parameters on a fresh
  cursor, so one connection can serve many threads (a shared DuckDB connection refuses concurrent calls).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
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
    """Another process holds the database file open for writing."""


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


def _explain_lock(path: Path, exc: duckdb.Error) -> DatabaseLockedError:
    text = str(exc)
    holder = ""
    pid = re.search(r"PID (\d+)", text)
    if pid:
        holder = f" (process {pid.group(1)})"
    return DatabaseLockedError(
        f"The database {path} is open in another process{holder}, and only one process may write to it. "
        "Stop that process (for example the running dashboard) before running this command, or point "
        "CX_DB_PATH at another database file."
    )


def connect(
    settings: Settings,
    *,
    read_only: bool = False,
    apply_migrations: bool = True,
) -> Connection:
    """Open the settings' database file, creating its folder, and bring the schema up to date."""
    path = settings.db_path
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise DatabaseError(f"The database {path} does not exist. Run `cx demo` or `cx init` to create it.")
    config: dict[str, Any] = {}
    if settings.duckdb_memory_limit:
        config["memory_limit"] = settings.duckdb_memory_limit
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    try:
        conn = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if _LOCK_RE.search(str(exc)):
            raise _explain_lock(path, exc) from exc
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
    conn = duckdb.connect(":memory:")
    conn.execute("SET enable_progress_bar = false")  # a long parse prints no bar on the CLI's stdout
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
