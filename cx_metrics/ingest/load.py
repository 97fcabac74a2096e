"""Preview and atomic load of an export; import history and exact undo.

* :func:`preview` reads, detects and normalises a file without writing anything.
* :func:`load` writes a preview in ONE transaction: rows, rejects, the import record and the data version.
  Any failure rolls every table back to exactly what it was.
* Re-importing a file already loaded (same SHA-256, same kind and source) is a no-op.
* Rows with the same key as stored rows (tickets: source + ticket id; customers: id; survey responses:
  source + response id + metric + question) replace them; the newest version wins (by the source's update
  time when the export has one, else the later import). Replaced versions are kept so an undo restores them.
* :func:`undo` removes exactly the rows an import brought and restores what it replaced.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from cx_metrics import audit, pii
from cx_metrics.columns import describe_rows
from cx_metrics.db import Connection, bump_data_version, query, run_statement, transaction
from cx_metrics.ingest import normalize, surveys
from cx_metrics.ingest.detect import Detection, detect, detection_for
from cx_metrics.ingest.errors import ImportRefused, NeedsConfirmation
from cx_metrics.ingest.limits import Limits, check_size
from cx_metrics.ingest.reader import RawTable, file_bytes, read_table
from cx_metrics.text.personal import personal_question
from cx_metrics.text.redact import redact_many

#: table -> key columns used to replace older versions (None: rows are only appended)
KEYS: dict[str, tuple[str, ...] | None] = {
    "tickets": ("source", "ticket_id"),
    "customers": ("customer_id",),
    "survey_responses": ("source", "response_id", "metric", "question"),
    "survey_answers": None,
    "ticket_events": None,
    "customer_activity": None,
}
_REPLACED = {"tickets": "tickets_replaced", "customers": "customers_replaced",
             "survey_responses": "survey_responses_replaced"}
_PREPARE = {
    "tickets": normalize.prepare_tickets,
    "ticket_events": normalize.prepare_events,
    "customers": normalize.prepare_customers,
    "activity": normalize.prepare_activity,
    "surveys": surveys.prepare_surveys,
}


def redacted(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejects with their text and reasons redacted like the stored fields: e-mails, phones, cards and IBANs
    (cx_metrics.text.redact). Text redacted before is handed back as it is, without a second scan."""
    out = rejects.copy()
    out["raw"] = redact_many(rejects["raw"].tolist())
    out["reason"] = redact_many(rejects["reason"].tolist())
    return out


@dataclass
class Preview:
    file_name: str
    sha256: str
    raw: RawTable
    detection: Detection
    prepared: normalize.Prepared
    options: normalize.Options
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: :meth:`rejects`, built once: the import writes them and its caller shows them (10,000 rejected lines of
    #: a 1M-row export took 1.1 s to build: their text rebuilt from the cells and redacted)
    _rejects: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def summary(self) -> dict[str, Any]:
        p = self.prepared
        return {
            "file": self.file_name,
            "kind": p.kind,
            "vendor": p.vendor,
            "confidence": self.detection.confidence,
            "source": p.source,
            "encoding": self.raw.encoding,
            "delimiter": self.raw.delimiter,
            "sheet": self.raw.sheet,
            "rows_read": p.rows_read,
            "rows_loadable": p.rows_loadable,
            "rows_rejected": len(p.rejects) + len(self.raw.ragged),
            "date_range": [str(d) for d in p.date_range] if p.date_range else None,
            "date_formats": p.date_formats,
            "ambiguous_dates": p.ambiguous_dates,
            "mapping": self.detection.mapping,
            "warnings": p.warnings,
        }

    def rejects(self) -> pd.DataFrame:
        """line, field, reason, raw text: every row that will not load, ragged rows included."""
        if self._rejects is None:
            self._rejects = self._build_rejects()
        return self._rejects.copy()

    def _build_rejects(self) -> pd.DataFrame:
        rej = self.prepared.rejects
        lines = [int(n) or None for n in self.raw.lines_of(rej["row"].to_numpy())]
        reasons = [r if pd.isna(v) else f"{r}: {str(v)[:80]!r}" for r, v in zip(rej["reason"], rej["raw"], strict=True)]
        raw_text = self._raw_lines([int(r) for r in rej["row"]])
        out = pd.DataFrame({"line": lines, "field": rej["field"], "reason": reasons, "raw": raw_text})
        if self.raw.ragged:
            out = pd.concat([out, pd.DataFrame(self.raw.ragged, columns=["line", "reason", "raw"])],
                            ignore_index=True)
        # (the cells of personal-data columns that are not stored were left out of the text above)
        return redacted(out).sort_values("line", na_position="last", ignore_index=True)

    def _raw_lines(self, rows: list[int]) -> list[str]:
        """The cells of the given data rows joined back into a line (only those rows are converted)."""
        if not rows:
            return []
        picked = self.raw.take(rows).to_pylist()
        sep = self.raw.delimiter or ","
        hidden = set() if self.options.keep_pii else {c for c in self.raw.columns if personal_question(c)}
        return [sep.join("" if v is None else "[personal data]" if k in hidden else str(v) for k, v in record.items())
                [:2000] for record in picked]


@dataclass
class ImportResult:
    import_id: int | None
    status: str  # loaded / already imported / dry run
    summary: dict[str, Any]
    rows_loaded: int
    rows_rejected: int
    replaced: int = 0
    duplicate_of: int | None = None

    def outcome(self) -> str:
        """"2 new, 5 updated, 16,469 unchanged" (and what was kept because the stored version is newer)."""
        return describe_outcome(self.summary)


#: what an import did to the rows of its main table, each stored with the import (summary keys, imports columns)
OUTCOME = ("rows_new", "rows_updated", "rows_unchanged", "rows_older")


def describe_outcome(counts: dict[str, Any]) -> str:
    """A sentence of an import's outcome counts (the summary or an imports row); empty when they are unknown."""
    if counts.get("rows_new") is None:
        return ""
    text = (f"{int(counts['rows_new']):,} new, {int(counts['rows_updated']):,} updated, "
            f"{int(counts['rows_unchanged']):,} unchanged")
    older = int(counts.get("rows_older") or 0)
    return text + (f", {older:,} older than the stored version (kept the stored one)" if older else "")


@dataclass
class Written:
    """What writing one table did: rows it now holds for the import, versions replaced, and per incoming row
    whether its key was new, its content changed, nothing changed, or the stored version is newer."""

    loaded: int = 0
    replaced: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0

    def counts(self) -> dict[str, int]:
        return dict(zip(OUTCOME, (self.new, self.updated, self.unchanged, self.older), strict=True))

    def plus(self, other: Written) -> Written:
        """Both writes together (the parts of one import)."""
        return Written(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))


def _sha256(data: bytes | bytearray) -> str:
    return hashlib.sha256(data).hexdigest()


def preview(
    source: Path | bytes | bytearray,
    *,
    name: str | None = None,
    kind: str | None = None,
    vendor: str | None = None,
    mapping: dict[str, str] | None = None,
    options: normalize.Options | None = None,
    sheet: str | None = None,
    saved_mapping: dict[str, Any] | None = None,
    conn: Connection | None = None,
    limits: Limits | None = None,
    sha256: str | None = None,
    confirm: bool = False,
    ends_file: bool = True,
    reading: Detection | None = None,
) -> Preview:
    """Read and interpret a file without writing anything. Raises :class:`ImportRefused` with a clear message.

    With ``conn``, a mapping saved earlier for the same source and kind is applied (unless ``mapping`` is given).
    ``sha256``: the content hash when the caller knows it (a part of a file: the whole file's). ``ends_file`` is
    False for a part of a larger file (its last lines are no footer). ``reading``: how the file's first part was
    read (a later part is read the same way, with the same kind, columns, formats and stand-ins for missing values,
    not inferred again).
    """
    file_name = name or (source.name if isinstance(source, Path) else "upload")
    if isinstance(source, Path):
        check_size(source.stat().st_size, file_name, limits or Limits())
    data = file_bytes(source) if isinstance(source, Path) else source
    # the content hash (re-import = no-op) is computed beside the parse: hashlib releases the GIL on large buffers
    hashing = ThreadPoolExecutor(max_workers=1)
    hashed = hashing.submit(_sha256, data) if sha256 is None else None
    hashing.shutdown(wait=False)
    raw = read_table(data, name=file_name, sheet=sheet, limits=limits, ends_file=ends_file,
                     path=source if isinstance(source, Path) else None)
    digest = hashed.result() if hashed is not None else str(sha256)
    del data  # the cells are parsed: the file's bytes (a copy per row count) are not needed for the rest
    if raw.num_rows == 0:
        raise ImportRefused(f"{file_name} has a header but no data rows: there is nothing to import.")
    if reading is not None:
        det = copy.deepcopy(reading)
    else:
        det = detection_for(raw, kind, vendor) if kind else detect(raw)
    if (det.kind == "unknown" or det.needs_confirmation) and conn is not None and not kind and reading is None:
        # a file like one whose mapping a user fixed before (same columns, and source when given) beats a guess
        known = _mapping_for_columns(conn, raw.columns, options.source if options else None)
        if known is not None:
            det = detection_for(raw, known["kind"], known["vendor"])
            saved_mapping = known
            options = replace(options or normalize.Options(), source=known["source"])
    if det.kind == "unknown":
        raise ImportRefused(
            f"{file_name} does not look like tickets, survey responses, customers or activity: of its columns "
            f"({', '.join(raw.columns[:8])}{'...' if len(raw.columns) > 8 else ''}) {det.reasons[0]}. Choose the "
            "kind (Upload page: Read the file as; CLI: --kind) and the proposed mapping is shown to confirm "
            "or edit (CLI: --mapping FILE.json)."
        )
    if confirm and det.needs_confirmation and not mapping:
        raise NeedsConfirmation(proposal(file_name, det))
    opts = options or normalize.Options()
    if conn is not None and saved_mapping is None and det.kind != "surveys":
        saved_mapping = _saved_mapping(conn, normalize.source_name(det, opts), det.kind)
    if saved_mapping and not mapping and saved_mapping.get("kind") == det.kind:
        mapping = {k: v for k, v in saved_mapping.get("mapping", {}).items() if v in raw.columns}
    if mapping:
        unknown = {c for c in mapping.values() if c and c not in raw.columns}
        if unknown:
            raise ImportRefused(f"The mapping names columns the file does not have: {', '.join(sorted(unknown))}.")
        det.mapping = {**det.mapping, **mapping}
        det.mapping = {k: v for k, v in det.mapping.items() if v}
        det.user_fields = set(mapping)
        det.reasons.append("column mapping saved for this source" if saved_mapping else "column mapping edited")
    try:
        prepared = _PREPARE[det.kind](raw, det, opts)
        if prepared.rows_loadable == 0:
            reasons = prepared.rejects["reason"].value_counts().head(3)
            why = "; ".join(f"{n} x {r}" for r, n in reasons.items()) or "no usable rows"
            raise ImportRefused(
                f"{file_name} was read as {det.kind} ({det.vendor}) but none of its {raw.num_rows:,} rows can be "
                f"loaded: {why}. Check the kind and the column mapping."
            )
    except ImportRefused as exc:
        exc.detection = det  # the reading that failed: the page shows it to change a column or the kind
        raise
    main = prepared.tables[normalize.main_table(det.kind)]
    if len(main) == 0:  # surveys without a scored question: their answers are what loads
        main = next((t for t in prepared.tables.values() if len(t)), main)
    sample = main.slice(0, 20).to_pandas() if isinstance(main, pa.Table) else main.head(20)
    return Preview(file_name, digest, raw, det, prepared, opts, sample)


def proposal(file_name: str, det: Detection) -> str:
    """The proposed reading of a file, field by field with its confidence and reason, and how to accept it."""
    lines = [f"{file_name} looks like {det.kind} (confidence {det.confidence:.0%}), but not surely enough to load "
             "without your confirmation. Proposed mapping:"]
    for name, column in det.mapping.items():
        conf = det.field_confidence.get(name)
        lines.append(f"  {name:<22} <- {column!r}" + (f"  ({conf:.0%})" if conf is not None else ""))
    lines += [f"  why: {r}" for r in det.reasons[:12]]
    lines.append("Load it as proposed with --accept, or give the mapping with --mapping FILE.json "
                 '({"field": "column", ...}) or the kind with --kind.')
    return "\n".join(lines)


def existing_import(conn: Connection, sha256: str, kind: str, vendor: str, source: str) -> int | None:
    row = conn.cursor().execute(
        "SELECT import_id FROM imports WHERE sha256 = ? AND kind = ? AND vendor = ? AND status = 'loaded' "
        "AND coalesce(json_extract_string(options, '$.source'), '') = ? ORDER BY import_id LIMIT 1",
        [sha256, kind, vendor, source],
    ).fetchone()
    return int(row[0]) if row else None


def _dedupe_in_file(frame: pd.DataFrame, keys: tuple[str, ...], pv: Preview) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one row per key: the newest by updated_at when known, else the last in the file."""
    order = frame
    if "updated_at" in frame.columns and frame["updated_at"].notna().any():
        order = frame.assign(_pos=range(len(frame))).sort_values(["updated_at", "_pos"], na_position="first")
        order = order.drop(columns="_pos")
    dup = order.duplicated(list(keys), keep="last")
    dropped = order[dup]
    kept = order[~dup].sort_index()
    lines = [int(n) or None for n in pv.raw.lines_of(dropped.index.to_numpy())]
    rejects = pd.DataFrame({
        "line": lines,
        "field": ", ".join(keys),
        "reason": "duplicate id in this file; the newer row of the same id was kept",
        "raw": pv._raw_lines([int(i) for i in dropped.index]),
    })
    return kept, rejects


def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]


def _q(name: str) -> str:
    """Quote an identifier (only ever our own table/column names, checked against the schema)."""
    return '"' + name.replace('"', '""') + '"'


def _arrow(frame: pa.Table | pd.DataFrame) -> pa.Table:
    return frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)


def _write(cur: duckdb.DuckDBPyConnection, table: str, frame: pa.Table, import_id: int, *,
           append_only: bool = False) -> Written:
    """Insert ``frame`` into ``table``; replace same-key rows, keeping old versions.

    ``append_only``: the caller knows no stored row can share a key with these (a source with no stored rows).
    """
    if frame.num_rows == 0:
        return Written()
    if append_only:  # a column with no value at all is left to the table's default rather than copied in
        frame = frame.select([c for c in frame.column_names if frame[c].null_count < frame.num_rows])
    cur.register("incoming_rows", whole_row_groups(frame))
    try:
        return write_from(cur, table, "incoming_rows", frame.column_names, import_id, append_only=append_only)
    finally:
        cur.unregister("incoming_rows")


#: rows of a DuckDB row group (its storage default: ``ROW_GROUP_SIZE`` of ATTACH, which we never change)
ROW_GROUP_ROWS = 122_880


def whole_row_groups(frame: pa.Table, size: int = ROW_GROUP_ROWS) -> pa.Table:
    """``frame`` cut into record batches of whole row groups (``size`` rows, or a multiple), only the last shorter.

    DuckDB inserts each Arrow batch of a registered table as its own run of row groups, written to disk as the
    insert goes; a batch whose length is no multiple of the row-group size leaves a partly filled row group behind
    it. The checkpoint that follows the commit then merges such runs (its vacuum), decompressing and compressing
    again every row group between two partial ones: a million tickets handed over in batches of 131,072 rows cost
    1.6 s of CPU at the checkpoint, nothing when the batches are whole row groups. Batches already whole are kept
    as they are (no copy); across each other boundary only the rows that complete a row group are copied."""
    batches = frame.to_batches()
    if all(b.num_rows % size == 0 for b in batches[:-1]):
        return frame
    out: list[pa.RecordBatch] = []
    pending: list[pa.RecordBatch] = []  # the start of a row group, from the end of earlier batches
    filled = 0
    for batch in batches:
        if filled:  # complete the pending row group from this batch's first rows
            take = min(size - filled, batch.num_rows)
            pending.append(batch.slice(0, take))
            filled += take
            batch = batch.slice(take)
            if filled < size:
                continue
            out.append(pa.concat_batches(pending))
            pending, filled = [], 0
        whole = batch.num_rows - batch.num_rows % size
        if whole:
            out.append(batch.slice(0, whole))  # zero-copy
        if batch.num_rows > whole:
            pending, filled = [batch.slice(whole)], batch.num_rows - whole
    if pending:
        out.append(pa.concat_batches(pending))
    return pa.Table.from_batches(out, schema=frame.schema)


def write_from(cur: duckdb.DuckDBPyConnection, table: str, relation: str, columns: list[str],
               import_id: int, *, append_only: bool = False) -> Written:
    """:func:`_write` from a relation (a registered Arrow table or a staging table) with ``columns``."""
    schema = _columns(cur, table)
    cols = [c for c in columns if c in schema]
    pii.install(cur, pii.key(cur))  # e-mail hashes and e-mail ids are stored keyed (cx_metrics.pii)
    stored = ", ".join(f"{pii.keyed_column(c, _q(c))} AS {_q(c)}" for c in cols)
    cur.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS SELECT {stored}, "  # noqa: S608
                f"CAST({int(import_id)} AS INTEGER) AS import_id FROM {_q(relation)}")
    col_list = ", ".join(_q(c) for c in [*cols, "import_id"])
    keys = None if append_only else KEYS[table]
    written = Written()
    try:
        if keys:
            match = " AND ".join(f"t.{_q(k)} IS NOT DISTINCT FROM i.{_q(k)}" for k in keys)
            written = _compare(cur, table, schema, cols, keys, match)
            newer_guard = ""
            if table == "tickets":
                # the source's own update time decides when both versions have one
                newer_guard = " AND (i.updated_at IS NULL OR t.updated_at IS NULL OR i.updated_at >= t.updated_at)"
            cur.execute(
                f"CREATE OR REPLACE TEMP TABLE stale AS SELECT t.rowid AS rid FROM {_q(table)} t "  # noqa: S608
                f"JOIN incoming i ON {match}{newer_guard}"
            )
            skip_older = ""
            if table == "tickets":
                cur.execute(
                    f"CREATE OR REPLACE TEMP TABLE older AS SELECT i.* FROM incoming i JOIN {_q(table)} t "  # noqa: S608
                    f"ON {match} WHERE i.updated_at < t.updated_at"
                )
                older_match = match.replace("t.", "o.")
                skip_older = f" WHERE NOT EXISTS (SELECT 1 FROM older o WHERE {older_match})"  # noqa: S608
            replaced_table = _REPLACED[table]
            cur.execute(
                f"INSERT INTO {_q(replaced_table)} SELECT *, ? FROM {_q(table)} "  # noqa: S608
                "WHERE rowid IN (SELECT rid FROM stale)", [import_id],
            )
            written.replaced = int(cur.execute("SELECT count(*) FROM stale").fetchall()[0][0])
            cur.execute(f"DELETE FROM {_q(table)} WHERE rowid IN (SELECT rid FROM stale)")  # noqa: S608
            cur.execute(f"INSERT INTO {_q(table)} ({col_list}) SELECT {col_list} FROM incoming i{skip_older}")  # noqa: S608
        else:
            cur.execute(f"INSERT INTO {_q(table)} ({col_list}) SELECT {col_list} FROM incoming")  # noqa: S608
        written.loaded = int(cur.execute(
            f"SELECT count(*) FROM {_q(table)} WHERE import_id = ?", [import_id]).fetchall()[0][0])  # noqa: S608
        if not keys:  # nothing stored can match: every row is new
            written.new = int(cur.execute("SELECT count(*) FROM incoming").fetchall()[0][0])
    finally:
        cur.execute("DROP VIEW IF EXISTS incoming")
    return written


def _compare(cur: duckdb.DuckDBPyConnection, table: str, schema: list[str], cols: list[str], keys: tuple[str, ...],
             match: str) -> Written:
    """Each incoming row against the stored row of its key: new, the same in every column it brings (values an
    earlier derivation filled from ticket events count as missing), changed, or older than the stored version."""
    def stored(column: str) -> str:
        if "event_filled" not in schema:
            return f"t.{_q(column)}"
        return f"CASE WHEN list_contains(t.event_filled, '{column}') THEN NULL ELSE t.{_q(column)} END"

    same = " AND ".join(f"i.{_q(c)} IS NOT DISTINCT FROM {stored(c)}" for c in cols if c not in keys) or "true"
    older = "coalesce(i.updated_at < t.updated_at, false)" if table == "tickets" else "false"
    row = cur.execute(
        f"SELECT count(*) FILTER (WHERE stored IS NULL), count(*) FILTER (WHERE stored IS NOT NULL AND same), "  # noqa: S608
        f"count(*) FILTER (WHERE stored IS NOT NULL AND NOT same AND NOT older) FROM ("
        f"SELECT t.rowid AS stored, ({same}) AS same, {older} AS older FROM incoming i "
        f"LEFT JOIN {_q(table)} t ON {match})").fetchall()[0]
    new, unchanged, updated = (int(x) for x in row)
    total = int(cur.execute("SELECT count(*) FROM incoming").fetchall()[0][0])
    return Written(new=new, unchanged=unchanged, updated=updated, older=total - new - unchanged - updated)


def _link_customers_by_email(cur: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Tickets/responses known only by email get the id of the stored customer with that email (hashed)."""
    for table in ("tickets", "survey_responses"):
        cur.execute(
            f"UPDATE {_q(table)} AS x SET customer_id = c.customer_id FROM customers c "  # noqa: S608
            "WHERE x.import_id = ? AND x.customer_id LIKE 'email:%' "
            "AND c.email_hash IS NOT NULL AND 'email:' || left(c.email_hash, 20) = x.customer_id",
            [import_id],
        )


def load(
    conn: Connection,
    pv: Preview,
    *,
    actor: str = "cli",
    dry_run: bool = False,
    save_mapping: bool = False,
    progress: Callable[[float, str], None] | None = None,
    replace_demo: bool = False,
) -> ImportResult:
    """Write a preview in one transaction (or nothing, for a dry run or a file already imported).

    ``progress(fraction, message)`` is called as each table is written. ``replace_demo``: remove the demo dataset
    in the same transaction.
    """
    report = progress or (lambda fraction, message: None)
    summary = pv.summary()
    existing = existing_import(conn, pv.sha256, pv.prepared.kind, pv.prepared.vendor, pv.prepared.source)
    if existing is not None:
        return ImportResult(existing, "already imported", summary, 0, 0, duplicate_of=existing)
    if dry_run:
        return ImportResult(None, "dry run", summary, pv.prepared.rows_loadable, summary["rows_rejected"])
    started = now()
    with transaction(conn) as cur:
        import_id = open_import(cur, pv, pv.sha256, actor, started, replace_demo=replace_demo)
        # nothing stored from this source: every row is appended without looking for a stored version
        fresh = not source_has_rows(cur, normalize.main_table(pv.prepared.kind), pv.prepared.source)
        main, replaced_total, rejects = write_preview(cur, pv, import_id, report, 0.0, 1.0, append_only=fresh)
        outcome = main.counts() if pv.prepared.kind != "surveys" else None
        report(0.95, "recording rejects and committing")
        close_import(cur, pv, import_id, main.loaded, rejects, actor, started, save_mapping=save_mapping,
                      outcome=outcome)
    report(1.0, "done")
    summary.update(rows_loaded=main.loaded, rows_rejected=len(rejects), import_id=import_id, **(outcome or {}))
    return ImportResult(import_id, "loaded", summary, main.loaded, len(rejects), replaced_total)


def source_has_rows(cur: duckdb.DuckDBPyConnection, main: str, source: str) -> bool:
    """Whether ``main`` holds rows of ``source`` (any rows, for tables without a source column)."""
    if "source" not in _columns(cur, main):
        return bool(cur.execute(f"SELECT count(*) > 0 FROM {_q(main)}").fetchall()[0][0])  # noqa: S608
    return bool(cur.execute(f"SELECT count(*) > 0 FROM {_q(main)} WHERE source = ?",  # noqa: S608
                            [source]).fetchall()[0][0])


def now() -> dt.datetime:
    """The time an import record is stamped with: UTC, without a zone (as every stored time)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def open_import(cur: duckdb.DuckDBPyConnection, pv: Preview, sha256: str, actor: str, started: dt.datetime, *,
                replace_demo: bool = False) -> int:
    """The import's record, status 'loading' until :func:`close_import`; returns its id. ``replace_demo``: the demo
    dataset is removed first, in the same transaction (an import that fails leaves the demo in place)."""
    row = cur.execute(
        "INSERT INTO imports (file_name, sha256, kind, vendor, confidence, mapping, options, rows_read, actor, "
        "started_at, status, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'loading', ?) RETURNING import_id",
        [pv.file_name, sha256, pv.prepared.kind, pv.prepared.vendor, pv.detection.confidence,
         json.dumps(pv.detection.mapping), json.dumps({"source": pv.prepared.source,
                                                      "day_first": pv.options.day_first,
                                                      "sheet": pv.raw.sheet, "keep_pii": pv.options.keep_pii}),
         pv.prepared.rows_read, actor, started, json.dumps(pv.prepared.warnings)],
    ).fetchall()
    import_id = int(row[0][0])
    if replace_demo:
        remove_demo(cur, actor, before_import=import_id)
    return import_id


def write_preview(cur: duckdb.DuckDBPyConnection, pv: Preview, import_id: int,
                  report: Callable[[float, str], None], start: float, share: float,
                  append_only: bool = False) -> tuple[Written, int, pd.DataFrame]:
    """Write a preview's tables; (what writing the main table did, versions replaced, rejects with lines). For
    surveys, ``loaded`` counts responses.

    ``append_only``: nothing stored can share a key with these rows (see :func:`_write`).
    """
    rejects = pv.rejects()
    main_written, replaced_total = Written(), 0
    main = normalize.main_table(pv.prepared.kind)
    tables = list(pv.prepared.tables.items())
    for step, (table, frame) in enumerate(tables):
        keys = KEYS[table]
        if keys and isinstance(frame, pd.DataFrame) and not frame.empty:
            frame, dups = _dedupe_in_file(frame, keys, pv)  # SQL-prepared tables are deduplicated already
            if table == main:
                rejects = pd.concat([rejects, dups], ignore_index=True)
        arrow = _arrow(frame)
        report(start + share * step / len(tables), f"writing {arrow.num_rows:,} rows to {table}")
        written = _write(cur, table, arrow, import_id, append_only=append_only)
        replaced_total += written.replaced
        if table == main:
            main_written = written
    if pv.prepared.kind == "surveys":
        main_written.loaded = int(cur.execute(
            "SELECT count(DISTINCT response_id) FROM (SELECT response_id FROM survey_responses WHERE import_id = ? "
            "UNION ALL SELECT response_id FROM survey_answers WHERE import_id = ?)", [import_id, import_id],
        ).fetchall()[0][0])
    return main_written, replaced_total, rejects


def close_import(cur: duckdb.DuckDBPyConnection, pv: Preview, import_id: int, loaded_main: int,
                 rejects: pd.DataFrame, actor: str, started: dt.datetime, *, save_mapping: bool = False,
                 rows_read: int | None = None, warnings: list[str] | None = None,
                 outcome: dict[str, int] | None = None) -> None:
    """Derived links and times, the rejects, the import's record (with ``outcome``: new / updated / unchanged /
    older rows of its main table), the audit entry and the data version."""
    _link_customers_by_email(cur, import_id)
    if pv.prepared.kind in ("tickets", "ticket_events"):
        _derive_from_events(cur)
    if len(rejects):
        # stored redacted whatever built them (a preview, a duplicate across parts of a large file)
        stored = redacted(rejects).assign(import_id=import_id)
        cur.register("rejects_in", stored)
        cur.execute("INSERT INTO import_rejects (import_id, line_number, field, reason, raw_text) "
                    "SELECT import_id, line, field, reason, raw FROM rejects_in")
        cur.unregister("rejects_in")
    cur.execute(
        "UPDATE imports SET rows_loaded = ?, rows_rejected = ?, finished_at = ?, status = 'loaded', "
        "rows_read = coalesce(?, rows_read), warnings = coalesce(?, warnings), rows_new = ?, rows_updated = ?, "
        "rows_unchanged = ?, rows_older = ? WHERE import_id = ?",
        [loaded_main, len(rejects), now(), rows_read, None if warnings is None else json.dumps(warnings),
         *[(outcome or {}).get(k) for k in OUTCOME], import_id],
    )
    if save_mapping:
        cur.execute(
            "INSERT OR REPLACE INTO import_mappings VALUES (?, ?, ?, ?, ?, ?)",
            [pv.prepared.source, pv.prepared.kind, pv.prepared.vendor, json.dumps(pv.detection.mapping),
             json.dumps({"day_first": pv.options.day_first}), started],
        )
    audit.record(cur, actor, "import", {"import_id": import_id, "file": pv.file_name, "kind": pv.prepared.kind,
                                        "vendor": pv.prepared.vendor, "rows_loaded": loaded_main,
                                        "rows_rejected": len(rejects), **(outcome or {})})
    bump_data_version(cur)


def _derive_from_events(cur: duckdb.DuckDBPyConnection) -> None:
    """Re-derive solve/close times, reopens and stations from status history where tickets lack them."""
    run_statement(cur, "derive_clear")
    run_statement(cur, "derive_from_events")


def _mapping_for_columns(conn: Connection, columns: list[str], source: str | None) -> dict[str, Any] | None:
    """The newest saved mapping whose columns all exist in this file."""
    rows = conn.cursor().execute(
        "SELECT source, kind, vendor, mapping FROM import_mappings WHERE ? IS NULL OR source = ? "
        "ORDER BY saved_at DESC", [source, source]).fetchall()
    present = set(columns)
    for src, kind, vendor, mapping_json in rows:
        mapping = json.loads(mapping_json)
        if mapping and set(mapping.values()) <= present:
            return {"source": src, "kind": kind, "vendor": vendor, "mapping": mapping}
    return None


def _saved_mapping(conn: Connection, source: str, kind: str) -> dict[str, Any] | None:
    row = conn.cursor().execute(
        "SELECT vendor, mapping, options FROM import_mappings WHERE source = ? AND kind = ?", [source, kind]
    ).fetchone()
    if not row:
        return None
    return {"kind": kind, "vendor": row[0], "mapping": json.loads(row[1]), "options": json.loads(row[2] or "{}")}


def undo(conn: Connection, import_id: int, *, actor: str = "cli") -> dict[str, int]:
    """Remove exactly the rows of ``import_id`` and restore the versions it replaced. One transaction."""
    row = conn.cursor().execute("SELECT status, kind FROM imports WHERE import_id = ?", [import_id]).fetchone()
    if row is None:
        raise ImportRefused(f"There is no import #{import_id}. `cx imports` lists them.")
    if row[0] != "loaded":
        raise ImportRefused(f"Import #{import_id} is {row[0]}; only a loaded import can be undone.")
    if row[1] == "demo":
        raise ImportRefused(f"Import #{import_id} is the demo dataset: remove it with `cx demo --remove` or "
                            "*Remove the demo data* on the Data status page.")
    with transaction(conn) as cur:
        removed = _remove_import(cur, import_id, str(row[1]), actor)
        audit.record(cur, actor, "undo", {"import_id": import_id, "rows_removed": removed})
        bump_data_version(cur)
    return removed


def _remove_import(cur: duckdb.DuckDBPyConnection, import_id: int, kind: str, actor: str) -> dict[str, int]:
    """Delete an import's rows, restore the versions it replaced and mark it undone (inside the caller's
    transaction). Theme assignments of documents that no longer exist go too. Returns rows removed per table."""
    removed: dict[str, int] = {}
    for table in KEYS:
        n = cur.execute(f"DELETE FROM {_q(table)} WHERE import_id = ? RETURNING 1", [import_id]).fetchall()  # noqa: S608
        removed[table] = len(n)
    for table, shadow in _REPLACED.items():
        cur.execute(f"DELETE FROM {_q(shadow)} WHERE import_id = ?", [import_id])  # noqa: S608
        keys = KEYS[table] or ()
        match = " AND ".join(f"t.{_q(k)} IS NOT DISTINCT FROM s.{_q(k)}" for k in keys)
        cols = ", ".join(_q(c) for c in _columns(cur, table))
        cur.execute(
            f"INSERT INTO {_q(table)} ({cols}) SELECT {cols} FROM {_q(shadow)} s "  # noqa: S608
            f"WHERE s.replaced_by = ? AND NOT EXISTS (SELECT 1 FROM {_q(table)} t WHERE {match})", [import_id],
        )
        cur.execute(f"DELETE FROM {_q(shadow)} WHERE replaced_by = ?", [import_id])  # noqa: S608
    if kind in ("tickets", "ticket_events"):
        _derive_from_events(cur)
    cur.execute("DELETE FROM theme_documents AS d WHERE (d.doc_kind = 'ticket' AND NOT EXISTS (SELECT 1 FROM tickets "
                "AS t WHERE t.source = d.source AND t.ticket_id = d.doc_id)) OR (d.doc_kind = 'survey' AND NOT "
                "EXISTS (SELECT 1 FROM survey_responses AS r WHERE r.source = d.source AND r.response_id = d.doc_id))")
    cur.execute("UPDATE imports SET status = 'undone', undone_at = ?, undone_by = ? WHERE import_id = ?",
                [now(), actor, import_id])
    return removed


def remove_demo(cur: duckdb.DuckDBPyConnection, actor: str, *, before_import: int | None = None) -> dict[str, int]:
    """Remove every row of the demo dataset (imports of kind 'demo') inside the caller's transaction, audited as
    ``remove_demo``; the user's own rows stay. Theme fits that read demo texts go too (their themes, labels and
    example verbatims come from the demo): a refit on the user's texts replaces them. Returns rows removed per table
    and ``theme_fits`` (empty when there is no demo)."""
    ids = [int(r[0]) for r in cur.execute(
        "SELECT import_id FROM imports WHERE kind = 'demo' AND status = 'loaded' ORDER BY import_id").fetchall()]
    if not ids:
        return {}
    fits = _fits_reading(cur, ids)  # theme models learned from the demo's texts go with them
    total: dict[str, int] = {}
    for import_id in ids:
        for table, n in _remove_import(cur, import_id, "demo", actor).items():
            total[table] = total.get(table, 0) + n
    # the demo's planted follow-up history (cx_metrics.demo_followups) is about demo customers
    total["followups"] = len(cur.execute("DELETE FROM followups WHERE list_contains($ids, import_id) RETURNING 1",
                                         {"ids": ids}).fetchall())
    if fits:
        cur.execute("DELETE FROM theme_documents WHERE list_contains($fits, fit_id)", {"fits": fits})
        cur.execute("DELETE FROM theme_edits WHERE theme_key IN (SELECT theme_key FROM themes "
                    "WHERE list_contains($fits, last_fit_id))", {"fits": fits})
        cur.execute("DELETE FROM themes WHERE list_contains($fits, last_fit_id)", {"fits": fits})
        cur.execute("DELETE FROM theme_fits WHERE list_contains($fits, fit_id)", {"fits": fits})
    audit.record(cur, actor, "remove_demo", {"imports": ids, "rows_removed": total, "theme_fits_removed": fits,
                                             "with_import": before_import})
    return {**total, "theme_fits": len(fits)}


def _fits_reading(cur: duckdb.DuckDBPyConnection, import_ids: list[int]) -> list[int]:
    """Theme fits that read a text of these imports (their topics, labels and examples come from it)."""
    return [int(r[0]) for r in cur.execute(
        "SELECT DISTINCT d.fit_id FROM theme_documents AS d WHERE (d.doc_kind = 'ticket' AND EXISTS (SELECT 1 FROM "
        "tickets AS t WHERE t.source = d.source AND t.ticket_id = d.doc_id AND list_contains($ids, t.import_id))) "
        "OR (d.doc_kind = 'survey' AND EXISTS (SELECT 1 FROM survey_responses AS r WHERE r.source = d.source AND "
        "r.response_id = d.doc_id AND list_contains($ids, r.import_id))) ORDER BY 1", {"ids": import_ids}).fetchall()]


def footprint(conn: Connection, import_id: int) -> dict[str, Any]:
    """What undoing ``import_id`` would do: its record (file, kind, vendor, who, when), the rows it would remove and
    the older versions it would restore, per table. Raises :class:`ImportRefused` for an unknown import."""
    record = query(conn, "import_record", {"import_id": import_id})
    if record.empty:
        raise ImportRefused(f"There is no import #{import_id}. `cx imports` lists them.")
    rows = query(conn, "import_footprint", {"import_id": import_id})
    out: dict[str, Any] = {str(k): (None if pd.isna(v) else v) for k, v in record.iloc[0].items()}
    out["rows"] = {str(t): int(n) for t, n in zip(rows["table_name"], rows["rows_loaded"], strict=True) if n}
    out["restores"] = {str(t): int(n) for t, n in zip(rows["table_name"], rows["versions_replaced"], strict=True)
                       if n}
    first, last = rows["first_at"].min(), rows["last_at"].max()
    out["span"] = None if pd.isna(first) else (pd.Timestamp(first).date(), pd.Timestamp(last).date())
    return out


def describe_undo(plan: dict[str, Any]) -> str:
    """"Import #12 (tickets.csv: tickets, Zendesk; loaded 06 Dec 2026 10:02 UTC by local user): removes 2,059
    tickets and restores 15 older ticket versions it replaced." """
    loaded = plan.get("finished_at") or plan.get("started_at")
    when = f"loaded {pd.Timestamp(loaded):%d %b %Y %H:%M} UTC" if loaded is not None else "never finished"
    who = f" by {plan['actor']}" if plan.get("actor") else ""
    what = f"removes {describe_rows(plan['rows'])}" if plan["rows"] else "removes no rows"
    restores = (f" and restores {describe_rows(plan['restores'])} (older versions it replaced)"
                if plan["restores"] else "")
    return (f"Import #{plan['import_id']} ({plan['file_name']}: {plan['kind']}, {plan['vendor'] or 'unknown vendor'}; "
            f"{when}{who}): {what}{restores}.")


def history(conn: Connection) -> pd.DataFrame:
    return query(conn, "imports_list")


def rejects_of(conn: Connection, import_id: int) -> pd.DataFrame:
    return query(conn, "import_rejects_of", {"import_id": import_id})
