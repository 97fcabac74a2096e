"""How an import hands its rows to DuckDB: in whole row groups, so the checkpoint after it has nothing to merge."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

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
