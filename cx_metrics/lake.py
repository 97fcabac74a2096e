"""`cx lake export`: the canonical tables as Parquet partitioned by month, for Spark (or any lake engine) to read.

One folder per table under the destination (``tickets/month=2026-01/data_0.parquet``...), the month of the table's
own time column (:data:`MONTH_OF`); rows without that time are in ``month=unknown``. The export is written next to
the destination and moved into place when every table is written, so a failure leaves the destination as it was;
a destination that holds files not written by a previous export is refused, never overwritten.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from cx_metrics.db import Connection

#: the canonical tables a lake holds (the imported data; the app's own state stays in DuckDB), and the time column
#: each is partitioned by
MONTH_OF = {
    "customers": "signup_at",
    "tickets": "created_at",
    "ticket_events": "occurred_at",
    "survey_responses": "responded_at",
    "survey_answers": "responded_at",
    "customer_activity": "occurred_at",
}
LAKE_TABLES = tuple(MONTH_OF)
#: the file that marks a folder as a lake written by this command (what may be replaced by the next export)
MARKER = "_cx_lake.json"


class LakeError(ValueError):
    """The export cannot be written where asked; nothing was changed."""


def export(conn: Connection, to: Path) -> dict[str, int]:
    """Write every lake table of ``conn`` under ``to`` (see the module docstring); rows per table."""
    to = to.expanduser().resolve()
    if to.exists() and (not to.is_dir() or (any(to.iterdir()) and not (to / MARKER).is_file())):
        raise LakeError(f"{to} exists and is not a lake written by `cx lake export` (no {MARKER} in it); give an "
                        "empty or new folder, so nothing of yours is overwritten")
    to.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{to.name}-", dir=to.parent))
    try:
        rows: dict[str, int] = {}
        cur = conn.cursor()
        for table, column in MONTH_OF.items():
            count = cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: S608 - fixed names
            rows[table] = int(count)
            if not count:
                (staging / table).mkdir()
            target = str(staging / table).replace("'", "''")
            # a month column for the folders; an empty table still gets a folder, with one empty file for its schema
            # a COPY takes no parameters: fixed table and column names, a path with its quotes doubled
            cur.execute(f"COPY (SELECT *, coalesce(strftime({column}, '%Y-%m'), 'unknown') AS month "  # noqa: S608
                        f"FROM {table}) TO '{target}' (FORMAT parquet, PARTITION_BY (month), "
                        "WRITE_PARTITION_COLUMNS false)"
                        if count else
                        f"COPY (SELECT * FROM {table} LIMIT 0) TO '{target}/empty.parquet' (FORMAT parquet)")  # noqa: S608
        cur.close()
        (staging / MARKER).write_text(json.dumps({"tables": rows, "partitioned_by": "month",
                                                  "month_of": MONTH_OF}, indent=2), encoding="utf-8")
        if to.exists():
            old = to.with_name(f".{to.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            to.rename(old)
            staging.rename(to)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(to)
        return rows
    finally:
        shutil.rmtree(staging, ignore_errors=True)
