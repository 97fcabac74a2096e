"""How an import hands its rows to DuckDB: in whole row groups, so the checkpoint after it has nothing to merge."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.ingest import load


def test_batches_are_cut_at_whole_row_groups_and_keep_every_row_in_order() -> None:
    table = pa.Table.from_batches([pa.record_batch({"n": list(range(start, start + size))})
                                   for start, size in [(0, 5), (5, 7), (12, 3), (15, 10), (25, 1)]])
    cut = load.whole_row_groups(table, size=4)
    lengths = [b.num_rows for b in cut.to_batches()]
    assert all(n % 4 == 0 for n in lengths[:-1]) and sum(lengths) == 26, lengths
    assert cut["n"].to_pylist() == list(range(26))
    aligned = pa.Table.from_batches([pa.record_batch({"n": list(range(8))}), pa.record_batch({"n": [8, 9]})])
    assert load.whole_row_groups(aligned, size=4) is aligned  # nothing to cut: no copy


def test_a_large_write_leaves_only_full_row_groups_before_the_last(tmp_path: Path) -> None:
    # 300,000 tickets in batches of 131,072 rows, as DuckDB's to_arrow_table returns a result by default: each
    # batch left a row group of 8,192 rows behind it, which the checkpoint then merged by rewriting the table
    rows = 300_000
    frame = pa.table({
        "source": pa.array(["s"] * rows), "ticket_id": pa.array([str(i) for i in range(rows)]),
        "status": pa.array(["open"] * rows), "is_complaint": pa.array([False] * rows),
    })
    frame = pa.Table.from_batches(frame.to_batches(max_chunksize=131_072))
    conn = db.connect(Settings().with_db(tmp_path / "cx.duckdb"))
    with db.transaction(conn) as cur:
        written = load._write(cur, "tickets", frame, 1, append_only=True)
    assert written.loaded == rows
    groups = [int(n) for (n,) in conn.execute(
        "SELECT max(\"count\") FROM pragma_storage_info('tickets') WHERE column_name = 'ticket_id' "
        "GROUP BY row_group_id ORDER BY row_group_id").fetchall()]
    assert sum(groups) == rows
    assert groups[:-1] == [load.ROW_GROUP_ROWS] * (len(groups) - 1), groups
    assert conn.execute("SELECT count(DISTINCT ticket_id), min(CAST(ticket_id AS INT)), "
                        "max(CAST(ticket_id AS INT)) FROM tickets").fetchall() == [(rows, 0, rows - 1)]
    conn.close()


_ZSTD_COLUMNS = {("tickets", "description"), ("tickets", "attributes"), ("tickets_replaced", "description"),
                 ("tickets_replaced", "attributes"), ("customers", "attributes"), ("customers_replaced", "attributes")}


def _compressions(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> set[str]:
    conn.execute("CHECKPOINT")
    return {c for (c,) in conn.execute(
        f"SELECT DISTINCT compression FROM pragma_storage_info('{table}') WHERE column_name = ? "
        "AND segment_type <> 'VALIDITY' AND compression <> 'Constant'", [column]).fetchall()}


def _rows_and_columns(conn: duckdb.DuckDBPyConnection, table: str) -> tuple[list[tuple], list[tuple]]:
    """Every row of ``table`` (sorted) and its columns: name, type, nullability and default, in order."""
    rows = conn.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    columns = conn.execute("SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
                           "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    return rows, columns


def test_free_text_and_attributes_are_written_with_zstd_and_labels_are_not(tmp_path: Path) -> None:
    # long descriptions and JSON attributes cost a third of the CPU with ZSTD and a third of the space
    # (migration 0012, bench/NOTES.md); short labels keep DuckDB's own choice
    rows = 20_000
    words = ["refund", "invoice", "login", "broken", "delivery", "password", "charger", "screen", "late", "app"]
    frame = pa.table({
        "source": pa.array(["s"] * rows), "ticket_id": pa.array([f"T{i}" for i in range(rows)]),
        "status": pa.array([["open", "solved"][i % 2] for i in range(rows)]),
        "description": pa.array([" ".join(words[(i * k) % 10] for k in range(1, 40)) + f" #{i}" for i in range(rows)]),
        "attributes": pa.array([f'{{"Product":"{words[i % 10]}","Age":{i % 70}}}' for i in range(rows)]),
        "is_complaint": pa.array([False] * rows),
    })
    conn = db.connect(Settings().with_db(tmp_path / "cx.duckdb"))
    with db.transaction(conn) as cur:
        assert load._write(cur, "tickets", frame, 1, append_only=True).loaded == rows
    assert _compressions(conn, "tickets", "description") == {"ZSTD"}
    assert _compressions(conn, "tickets", "attributes") == {"ZSTD"}
    assert "ZSTD" not in _compressions(conn, "tickets", "status")
    conn.close()


def test_the_rebuild_to_zstd_keeps_every_row_of_an_older_database(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from cx_metrics import demo

    path = tmp_path / "old.duckdb"
    every = db.migrations()
    version = next(v for v, name, _ in every if name == "text_stored_with_zstd")
    monkeypatch.setattr(db, "migrations", lambda: every[:version - 1])
    conn = db.connect(Settings().with_db(path))
    demo.build(conn, seed=3, size=demo.DemoSize(customers=400, tickets=1_500))
    with db.transaction(conn) as cur:  # something in each *_replaced table too
        cur.execute("INSERT INTO tickets_replaced SELECT *, 99 FROM tickets LIMIT 7")
        cur.execute("INSERT INTO customers_replaced SELECT *, 99 FROM customers LIMIT 5")
    tables = sorted({t for t, _ in _ZSTD_COLUMNS})
    before = {t: _rows_and_columns(conn, t) for t in tables}
    conn.close()
    monkeypatch.setattr(db, "migrations", lambda: every)
    conn = db.connect(Settings().with_db(path))
    assert db.schema_version(conn) == len(every)
    for t in tables:
        assert _rows_and_columns(conn, t) == before[t], t
    assert {c for (c,) in conn.execute("SELECT constraint_type FROM duckdb_constraints() "
                                       "WHERE table_name = 'customers'").fetchall()} >= {"PRIMARY KEY"}
    assert all(_compressions(conn, t, c) <= {"ZSTD"} for t, c in _ZSTD_COLUMNS)
    assert _compressions(conn, "tickets", "description") == {"ZSTD"}
    with pytest.raises(duckdb.ConstraintException):  # the customers key still holds
        conn.execute("INSERT INTO customers (customer_id) SELECT customer_id FROM customers LIMIT 1")
    conn.close()
