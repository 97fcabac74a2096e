"""Database tier: migrations in one transaction, one writer per file, cursor-per-query concurrency."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from cx_metrics import db
from cx_metrics.config import Settings

TABLES = {"customers", "customer_activity", "tickets", "ticket_events", "survey_responses", "imports",
          "import_rejects", "meta", "schema_version"}


def test_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    conn = db.connect(Settings().with_db(tmp_path / "sub" / "x.duckdb"))
    assert db.schema_version(conn) == len(db.migrations())
    names = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert TABLES <= names
    assert db.migrate(conn) == []  # idempotent
    conn.close()
    again = db.connect(Settings().with_db(tmp_path / "sub" / "x.duckdb"))
    assert db.schema_version(again) == len(db.migrations())
    again.close()


def test_failed_migration_rolls_back_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = (1, "good", "CREATE TABLE first_table (x INTEGER);")
    bad = (2, "bad", "CREATE TABLE second_table (x INTEGER); SELECT * FROM no_such_table;")
    monkeypatch.setattr(db, "migrations", lambda: [good, bad])
    conn = duckdb.connect(str(tmp_path / "m.duckdb"))
    with pytest.raises(db.MigrationError, match="rolled back"):
        db.migrate(conn)
    assert db.schema_version(conn) == 0
    tables = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "first_table" not in tables and "second_table" not in tables
    conn.close()


def test_migration_files_are_numbered_without_gaps() -> None:
    versions = [v for v, _, _ in db.migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_second_process_gets_a_clear_lock_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    db.connect(Settings().with_db(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            c = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(db.DatabaseLockedError) as info:
            db.connect(Settings().with_db(path))
        message = str(info.value)
        assert str(path) in message and "another process" in message and "CX_DB_PATH" in message
        assert f"process {holder.pid}" in message
    finally:
        holder.kill()
        holder.wait()


def test_not_a_database_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(db.DatabaseError, match=r"not a DuckDB database file"):
        db.connect(Settings().with_db(path))


def test_read_only_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(db.DatabaseError, match="cx demo"):
        db.connect(Settings().with_db(tmp_path / "missing.duckdb"), read_only=True)


def test_query_binds_only_the_parameters_a_file_uses(tiny_conn: db.Connection) -> None:
    assert db.sql_params("table_counts") == frozenset()
    frame = db.query(tiny_conn, "table_counts", {"unused": 1})
    assert dict(zip(frame["table_name"], frame["row_count"], strict=True))["tickets"] == 7
    with pytest.raises(KeyError, match="needs parameters"):
        db.query(tiny_conn, "complaint_volume", {})


def test_sql_files_bind_parameters_not_strings() -> None:
    sql_dir = Path(db.__file__).parent / "sql"
    for path in sql_dir.glob("*.sql"):
        text = path.read_text()
        assert "{" not in text and "%s" not in text, f"{path.name} looks like string formatting"


def test_one_connection_serves_many_threads(demo_conn: db.Connection) -> None:
    """A cursor per query: 16 threads on one connection, no ResourceInUse errors, same answers."""
    def work(_: int) -> int:
        return int(db.table_counts(demo_conn)["row_count"].sum())

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    assert len(set(results)) == 1


def test_transaction_rolls_back_on_error(tiny_conn: db.Connection) -> None:
    before = db.data_version(tiny_conn)
    with pytest.raises(RuntimeError), db.transaction(tiny_conn) as cur:
        cur.execute("DELETE FROM tickets")
        db.bump_data_version(cur)
        raise RuntimeError("boom")
    assert tiny_conn.execute("SELECT count(*) FROM tickets").fetchone() == (7,)
    assert db.data_version(tiny_conn) == before
    with db.transaction(tiny_conn) as cur:
        db.bump_data_version(cur)
    assert db.data_version(tiny_conn) == before + 1



def test_a_populated_older_database_is_upgraded_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cx_metrics import demo

    path = tmp_path / "old.duckdb"
    every = db.migrations()
    monkeypatch.setattr(db, "migrations", lambda: every[:1])
    conn = db.connect(Settings().with_db(path))
    counts = demo.build(conn, seed=1, size=demo.DemoSize(customers=300, tickets=1_000))
    conn.close()
    monkeypatch.setattr(db, "migrations", lambda: every)
    conn = db.connect(Settings().with_db(path))
    assert db.schema_version(conn) == len(every)
    assert conn.execute("SELECT count(*) FROM tickets").fetchone() == (counts["tickets"],)
    conn.close()


def test_sql_fragments_are_expanded_and_written_once() -> None:
    sql_dir = Path(db.__file__).parent / "sql"
    for path in sql_dir.glob("*.sql"):
        text = db.sql_text(path.stem)
        assert "@include" not in text, f"{path.name}: an include was not expanded"
    assert "$custom_rule" in db.sql_text("complaint_volume") and "'Gen Alpha'" in db.sql_text("complaint_rows")
    raw = "\n".join(p.read_text() for p in sql_dir.glob("*.sql"))
    assert "$custom_rule" not in raw and "'Gen Alpha'" not in raw  # only in fragments/


def _customer_reads(name: str, allowed: set[str]) -> set[str]:
    """The customer columns (c.*) that query ``name`` reads outside the fragments in ``allowed``: its text with every
    include expanded (nested ones too) except those, which are left out wherever they appear."""
    import re

    fragments = Path(db.__file__).parent / "sql" / "fragments"

    def expand(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            if match.group("name") in allowed:
                return ""
            body = (fragments / f"{match.group('name')}.sql").read_text()
            for i, arg in enumerate((a.strip() for a in (match.group("args") or "").split(",") if a.strip()), 1):
                body = body.replace("{" + str(i) + "}", arg)
            return expand(body)

        return db._INCLUDE_RE.sub(one, text)

    text = expand((Path(db.__file__).parent / "sql" / f"{name}.sql").read_text())
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return set(re.findall(r"\bc\.([a-z_]+)", code)) - {"customer_id"}


def test_customer_reads_sees_through_nested_fragments() -> None:
    assert _customer_reads("time_to_event", {"customer_filters"}) == {"plan", "region", "segment"}  # ticket_group
    assert _customer_reads("time_to_event", {"customer_filters", "ticket_group"}) == set()


def test_the_empty_when_unfiltered_customer_join_serves_only_the_shared_filters() -> None:
    """filter_customers_join leaves c.* NULL when no customer filter is set: a query including it may read c only
    through customer_filters, never for a breakdown (plan, generation...) or an output column."""
    sql_dir = Path(db.__file__).parent / "sql"
    users = [p.stem for p in sql_dir.glob("*.sql") if "filter_customers_join" in p.read_text()]
    assert "time_to_event_notes" in users and "sla_breaches" in users
    for name in users:
        refs = _customer_reads(name, {"customer_filters"})
        assert not refs, f"{name}.sql reads c.{sorted(refs)} beyond the shared filters: join customers in full"


def test_the_customer_join_is_planned_away_without_a_customer_filter(demo_conn: db.Connection) -> None:
    from cx_metrics.filters import Filters
    from cx_metrics.metrics.complaints import complaint_rule_params

    wanted = db.sql_params("overview_complaints")
    params = {**Filters().params(), **complaint_rule_params(Settings()),
              "prev_start": "2000-01-01", "cur_start": "2000-01-01", "cur_end": "2100-01-01"}
    bound = {k: v for k, v in params.items() if k in wanted}

    def plan(values: dict[str, object]) -> str:
        return str(demo_conn.cursor().execute("EXPLAIN " + db.sql_text("overview_complaints"), values).fetchall()[0][1])

    assert "customers" not in plan(bound)  # the joined side is an empty result, not a scan
    assert "customers" in plan({**bound, "all_plans": False, "plans": ["Pro"]})


def test_the_group_customer_join_serves_only_filters_and_customer_breakdowns(demo_conn: db.Connection) -> None:
    """group_customers_join joins customers only for a customer filter or a plan/region/segment breakdown: a query
    including it may read c through customer_filters and ticket_group only, and its plan skips the customers
    table for a channel or weekly breakdown."""
    from cx_metrics.filters import Filters

    sql_dir = Path(db.__file__).parent / "sql"
    users = [p.stem for p in sql_dir.glob("*.sql") if "group_customers_join" in p.read_text()]
    assert "time_to_event" in users
    for name in users:
        refs = _customer_reads(name, {"customer_filters", "ticket_group"})
        assert not refs, f"{name}.sql reads c.{sorted(refs)} beyond filters and breakdowns: join customers in full"

    wanted = db.sql_params("time_to_event")
    params = {**Filters().params(), "metric": "full_resolution", "start": "2000-01-01", "end": "2100-01-01",
              "as_of": "2100-01-01", "split": "2050-01-01", "clock": "calendar", "bh_first_hour": 0, "bh_cum": [],
              "bh_mask": []}

    def plan(by: str, **extra: object) -> str:
        bound = {k: v for k, v in {**params, "by": by, **extra}.items() if k in wanted}
        return str(demo_conn.cursor().execute("EXPLAIN " + db.sql_text("time_to_event"), bound).fetchall()[0][1])

    assert "customers" not in plan("channel") and "customers" not in plan("created_week")
    assert "customers" in plan("plan")
    assert "customers" in plan("channel", all_plans=False, plans=["Pro"])
