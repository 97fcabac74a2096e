"""Large CSV exports imported in parts, in one transaction, with bounded memory.

A file read whole needs about five times its size in memory (cells, cleaned cells, typed rows, the insert; 2.15
GB for a 446 MB export), so a 2 GB export of 10M tickets would need ~10 GB. Above :data:`PART_BYTES`, a UTF-8 CSV
is cut at record boundaries (a line break outside quotes: an even number of quote characters since the previous
cut, RFC 4180) into parts of about that size. Each part is read, detected as the first part was (kind, vendor,
mapping, day order), checked and normalised like any file, and written inside the import's transaction while the
next part is read, so two parts' working sets at most are in memory. When an id repeats across parts, the rows go
to staging tables instead; once every part is staged, the repeats are resolved exactly as within a file (the
newest version by the source's update time, else the later line, wins; the others are rejects with their line),
and the staged rows are written. A failure anywhere rolls everything back; undo removes the import whole.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from cx_metrics.db import Connection, transaction
from cx_metrics.ingest import load as single
from cx_metrics.ingest import normalize, notes, reader, records, sqlprep
from cx_metrics.ingest.detect import Detection
from cx_metrics.ingest.limits import Limits, check_size

#: CSV files larger than this are imported in parts of about this size (bytes): the default upload limit
#: (``max_upload_mb``), so a file within it is read whole, as an upload is. Measured (2 cores): a 446 MB export
#: read whole takes 7.1 s and peaks at 2.15 GB, in two parts of 256 MB 8.3 s and 2.3 GB; each part costs a cut, a
#: copy and a less parallel write, and a whole file needs no more memory at this size (what dominates the peak is
#: what DuckDB holds of the transaction's rows). At 894 MB, two parts of 512 MB and four of 256 MB take the same
#: time (18.4 s) and peak at 3.9 and 3.8 GB.
PART_BYTES = 512 << 20
_PART_KINDS = {"tickets", "customers", "ticket_events", "activity"}
_DUPLICATE = "duplicate id in this file; the newer row of the same id was kept"


def cut_points(data: bytes | mmap.mmap, part_bytes: int, delimiter: str = ",") -> list[int]:
    """Byte offsets where parts start: 0, then the first record boundary past each ``part_bytes`` of data (a line
    break outside quoted values, as :func:`records.scan` reads them; a record whose quote never closes stays whole
    in one part, which reports it)."""
    structure = records.scan(data, 0, len(data), delimiter)
    return [begin for begin, _ in structure.pieces(data, 0, part_bytes, leave_out_broken=False)] or [0]


@dataclass
class _Part:
    preview: single.Preview
    line_offset: int  # physical lines of the file before this part's first data line, beyond the header


def _nth_line_end(data: bytes | mmap.mmap, lines: int) -> int:
    """Offset just past the ``lines``-th line break (the end of the header rows)."""
    pos = 0
    for _ in range(lines):
        pos = data.find(b"\n", pos) + 1
    return pos


def import_file(
    conn: Connection,
    path: Path,
    *,
    kind: str | None = None,
    vendor: str | None = None,
    mapping: dict[str, str] | None = None,
    options: normalize.Options | None = None,
    sheet: str | None = None,
    actor: str = "cli",
    dry_run: bool = False,
    save_mapping: bool = False,
    limits: Limits | None = None,
    replace_demo: bool = False,
    confirm: bool = False,
) -> tuple[single.ImportResult, pd.DataFrame]:
    """Import a file as ``cx import`` does; (result, rejects). A large UTF-8 CSV of tickets, customers, ticket
    events or activity goes in parts (:func:`import_in_parts`); anything else, or a chosen sheet, is previewed and
    loaded whole. ``replace_demo``: the demo dataset is removed in the import's transaction."""
    if sheet is None:
        outcome = import_in_parts(conn, path, kind=kind, vendor=vendor, mapping=mapping, options=options,
                                  actor=actor, dry_run=dry_run, save_mapping=save_mapping, limits=limits,
                                  replace_demo=replace_demo, confirm=confirm)
        if outcome is not None:
            return outcome
    pv = single.preview(path, kind=kind, vendor=vendor, mapping=mapping, options=options, sheet=sheet, conn=conn,
                        limits=limits, confirm=confirm)
    result = single.load(conn, pv, actor=actor, dry_run=dry_run, save_mapping=save_mapping, replace_demo=replace_demo)
    return result, pv.rejects()


def import_in_parts(
    conn: Connection,
    path: Path,
    *,
    kind: str | None = None,
    vendor: str | None = None,
    mapping: dict[str, str] | None = None,
    options: normalize.Options | None = None,
    actor: str = "cli",
    dry_run: bool = False,
    save_mapping: bool = False,
    limits: Limits | None = None,
    progress: Callable[[float, str], None] | None = None,
    part_bytes: int | None = None,
    replace_demo: bool = False,
    confirm: bool = False,
) -> tuple[single.ImportResult, pd.DataFrame] | None:
    """Import a large CSV in parts; (result, rejects). None when the file is small or not a UTF-8 CSV of tickets,
    customers, ticket events or activity: the caller then previews and loads it whole."""
    size = part_bytes or PART_BYTES
    check_size(path.stat().st_size, path.name, limits or Limits())
    if path.stat().st_size <= size:
        return None
    opts = replace(options or normalize.Options(), keep_rows=True)
    with path.open("rb") as handle:
        # cuts and line counts through a transient mapping; the hash and the parts through plain reads, so at most
        # one part (and never the whole file) is held in memory
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:2] == b"PK" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                return None  # a workbook or UTF-16: one piece
            cuts = cut_points(data, size, reader.sniff_delimiter(data[:200_000].decode("utf-8", "replace")))
            ends = [*cuts[1:], len(data)]
        if len(cuts) == 1:
            return None
        # the content hash (re-import = no-op) is computed beside the first part's parse
        hashing = ThreadPoolExecutor(max_workers=1)
        sha256 = hashing.submit(_sha256_of, path)
        hashing.shutdown(wait=False)

        def first_part(reading: Detection | None = None) -> single.Preview:
            return single.preview(_read_part(handle, b"", 0, ends[0]), name=path.name, kind=kind, vendor=vendor,
                                  mapping=mapping, options=opts, conn=conn, limits=limits, sha256="",
                                  confirm=confirm, ends_file=False, reading=reading)

        first = first_part()
        digest = sha256.result()
        if (first.raw.file_format != "csv" or first.raw.encoding not in ("utf-8", "utf-8-sig")
                or first.prepared.kind not in _PART_KINDS
                or (first.prepared.kind == "tickets" and "ticket_id" not in first.detection.mapping)):
            return None  # (rows identified by their place in the file are numbered over the whole file)
        header_lines = first.raw.first_data_line - 1
        handle.seek(0)
        head = handle.read(min(ends[0], 1 << 24))
        header = head[: _nth_line_end(head, header_lines)]
        spans = list(zip(cuts, ends, strict=True))
        # parts go straight to their tables; if an id turns out to repeat across parts, the import is rolled back
        # and done again with the parts staged, so that the newest version of each id wins
        try:
            return _import(conn, path, handle, first, header, spans, digest, opts, False, actor=actor,
                           dry_run=dry_run, save_mapping=save_mapping, limits=limits, progress=progress,
                           replace_demo=replace_demo)
        except _RepeatsAcrossParts:
            again = first_part(first.detection)  # (read as it was the first time, not inferred again)
            return _import(conn, path, handle, again, header, spans, digest, opts, True, actor=actor,
                           dry_run=dry_run, save_mapping=save_mapping, limits=limits, progress=progress,
                           replace_demo=replace_demo)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    buffer = memoryview(bytearray(4 << 20))  # one buffer, refilled: no fresh memory per chunk
    with path.open("rb") as handle:
        while n := handle.readinto(buffer):
            digest.update(buffer[:n])
    return digest.hexdigest()


def _read_part(handle: Any, header: bytes, start: int, end: int) -> bytearray:
    """The header rows followed by the file's bytes ``start:end``, read straight into one buffer."""
    part = bytearray(len(header) + end - start)
    part[:len(header)] = header
    handle.seek(start)
    view = memoryview(part)[len(header):]
    while len(view):
        n = handle.readinto(view)
        if not n:
            raise OSError("the file got shorter while it was being imported")
        view = view[n:]
    return part


class _RepeatsAcrossParts(Exception):
    """Raised inside the import's transaction when an id of one part was written from an earlier part."""


class _DryRun(Exception):
    """Raised inside the import's transaction to roll a dry run back."""


def _import(conn: Connection, path: Path, handle: Any, first: single.Preview, header: bytes,
            spans: list[tuple[int, int]], sha256: str, opts: normalize.Options, repeats: bool, *, actor: str,
            dry_run: bool,
            save_mapping: bool, limits: Limits | None,
            progress: Callable[[float, str], None] | None,
            replace_demo: bool = False) -> tuple[single.ImportResult, pd.DataFrame]:
    report = progress or (lambda fraction, message: None)
    det, prepared = first.detection, first.prepared
    day_first = opts.day_first if opts.day_first is not None else sqlprep.file_day_first(first.raw, det)
    fixed = replace(first.options, day_first=day_first, keep_rows=True)
    summary = {**first.summary(), "parts": len(spans)}
    empty = pd.DataFrame(columns=["line", "field", "reason", "raw"])
    existing = single.existing_import(conn, sha256, prepared.kind, prepared.vendor, prepared.source)
    if existing is not None:
        return single.ImportResult(existing, "already imported", summary, 0, 0, duplicate_of=existing), empty
    started = single.now()
    main = normalize.main_table(prepared.kind)
    totals: dict[str, Any] = {"rows_read": 0, "warnings": [], "offsets": [], "spans": []}
    outcome = single.Written()
    rejects: list[pd.DataFrame] = [empty]
    result: single.ImportResult | None = None
    all_rejects = empty
    def read(i: int) -> single.Preview:  # part i, read, checked and normalised (on the thread reading ahead)
        start, end = spans[i]
        return single.preview(_read_part(handle, header, start, end), name=path.name, kind=det.kind,
                              vendor=det.vendor, options=fixed, limits=limits, sha256=sha256,
                              ends_file=i == len(spans) - 1, reading=det)

    # the next part is read while this one is written: parsing and normalising (pyarrow, numpy and scratch DuckDB
    # instances) and the write (this connection) each keep about 1.6 cores busy, one after the other not two; at
    # most two parts are held at once, the one being written and the one read ahead
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cx-import-ahead")
    try:
        with transaction(conn) as cur:
            import_id = single.open_import(cur, first, sha256, actor, started, replace_demo=replace_demo)
            stage = f"import_stage_{import_id}_"
            # no repeated id and nothing stored from this source: every part is a plain append
            fresh = not repeats and not single.source_has_rows(cur, main, prepared.source)
            keys = single.KEYS[main]
            seen = f"import_keys_{import_id}"  # each part's ids, to find an id repeated across parts
            if keys and not repeats:
                cur.execute(f"CREATE TEMP TABLE {seen} (id VARCHAR)")
            offset = 0  # lines of the file before the part's first data line, beyond the header rows
            next_part = ahead.submit(read, 1) if len(spans) > 1 else None
            for i in range(len(spans)):
                report(0.9 * i / len(spans), f"part {i + 1} of {len(spans)}: reading and checking")
                if i == 0:
                    part = _Part(first, 0)
                else:
                    assert next_part is not None
                    part = _Part(next_part.result(), offset)
                    next_part = ahead.submit(read, i + 1) if i + 1 < len(spans) else None
                offset += part.preview.raw.body_breaks
                if repeats:
                    rejects.append(_stage(cur, stage, part, i, report, 0.9 * i / len(spans), 0.9 / len(spans)))
                else:
                    written, _, part_rejects = single.write_preview(cur, part.preview, import_id, report,
                                                                     0.9 * i / len(spans), 0.9 / len(spans),
                                                                     append_only=fresh)
                    outcome = outcome.plus(written)
                    rejects.append(_shift_lines(part_rejects, part.line_offset))
                    if keys:
                        cur.register("part_keys", part.preview.prepared.tables[main].select([keys[-1]]))
                        cur.execute(f"INSERT INTO {seen} SELECT * FROM part_keys")  # noqa: S608
                        cur.unregister("part_keys")
                p = part.preview.prepared
                totals["rows_read"] += p.rows_read
                totals["warnings"].append(p.warnings)  # merged once every part is read: counts add up
                totals["offsets"].append(part.line_offset)
                if p.date_range:
                    totals["spans"].append(p.date_range)
                p.tables = {}  # written: only the part's metadata is needed from here on
                part.preview.raw.table = part.preview.raw.table.slice(0, 0)
                del part, p
                pa.default_memory_pool().release_unused()  # hand the part's buffers back to the system
            if keys and not repeats:
                if cur.execute(f"SELECT count(*) > count(DISTINCT id) FROM {seen}").fetchall()[0][0]:  # noqa: S608
                    raise _RepeatsAcrossParts
                cur.execute(f"DROP TABLE {seen}")
            if repeats:
                report(0.92, "resolving ids repeated across parts")
                rejects.append(_resolve_repeats(cur, stage, main, prepared.kind, det.mapping, path))
            all_rejects = pd.concat([r for r in rejects if len(r)] or [empty], ignore_index=True)
            all_rejects = all_rejects.sort_values("line", na_position="last", ignore_index=True)
            for table in [t for t in single.KEYS if _exists(cur, stage + t)]:
                report(0.95, f"writing {table}")
                written = single.write_from(cur, table, stage + table, _columns_of(cur, stage + table), import_id)
                if table == main:
                    outcome = written
                cur.execute(f"DROP TABLE {stage + table}")
            loaded_main = int(cur.execute(f"SELECT count(*) FROM {main} WHERE import_id = ?",  # noqa: S608
                                          [import_id]).fetchall()[0][0])
            warnings = notes.merge(totals["warnings"], totals["offsets"])
            if any(w.startswith(normalize.EVENT_LOG_NOTE) for w in warnings):  # each part collapsed its own rows
                # a ticket whose history a cut went through starts the next part with its last value again
                cur.execute("DELETE FROM ticket_events WHERE rowid IN (SELECT rid FROM (SELECT rowid AS rid, value, "
                            "lag(value) OVER (PARTITION BY source, ticket_id, field ORDER BY occurred_at, rowid) "
                            "AS prev FROM ticket_events WHERE import_id = ?) WHERE prev = value)", [import_id])
                changes = int(cur.execute("SELECT count(*) FROM ticket_events WHERE import_id = ?",
                                          [import_id]).fetchall()[0][0])
                warnings = [w for w in warnings if not w.startswith(normalize.EVENT_LOG_NOTE)]
                warnings.insert(0, normalize.event_log_note(totals["rows_read"], loaded_main, changes))
            if repeats and prepared.kind == "tickets":  # some parts' rows lost to a newer version: count again
                kept = cur.sql("SELECT created_at, first_response_at, solved_at, satisfaction_scale FROM tickets "
                               "WHERE import_id = ?", params=[import_id]).to_arrow_table()
                warnings = [w for w in warnings if getattr(w, "template", None) not in normalize.TICKET_NOTES]
                warnings += normalize.ticket_notes(kept)
            single.close_import(cur, first, import_id, loaded_main, all_rejects, actor, started,
                                 save_mapping=save_mapping, rows_read=totals["rows_read"], warnings=warnings,
                                 outcome=outcome.counts())
            dates = totals["spans"]
            summary.update(
                rows_read=totals["rows_read"], rows_loadable=loaded_main, rows_loaded=loaded_main,
                rows_rejected=len(all_rejects), warnings=warnings, **outcome.counts(),
                date_range=[str(min(d[0] for d in dates)), str(max(d[1] for d in dates))] if dates else None,
                import_id=None if dry_run else import_id)
            if dry_run:
                result = single.ImportResult(None, "dry run", summary, loaded_main, len(all_rejects))
                raise _DryRun
            result = single.ImportResult(import_id, "loaded", summary, loaded_main, len(all_rejects))
    except _DryRun:
        pass
    finally:  # a part still being read when the import failed is let finish (its thread holds no lock), not used
        ahead.shutdown(wait=True, cancel_futures=True)
    report(1.0, "done")
    assert result is not None
    return result, all_rejects


def _shift_lines(rejects: pd.DataFrame, offset: int) -> pd.DataFrame:
    """A part's rejects with their lines counted from the top of the file."""
    return rejects.assign(line=rejects["line"].map(lambda v: None if pd.isna(v) else int(v) + offset))


def _columns_of(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in cur.execute(f"DESCRIBE {table}").fetchall()]


def _stage(cur: duckdb.DuckDBPyConnection, stage: str, part: _Part, index: int,
           report: Callable[[float, str], None], start: float, share: float) -> pd.DataFrame:
    """Stage one part's rows (with ``_part`` and, in the main table, ``_line``) in tables ``stage + table``; its
    rejects with their lines in the file. The staging tables are ordinary tables inside the import's transaction,
    so DuckDB writes large parts straight to disk instead of holding them in memory; they are dropped before the
    commit (and vanish with a rollback)."""
    pv = part.preview
    rejects = _shift_lines(pv.rejects(), part.line_offset)
    main = normalize.main_table(pv.prepared.kind)
    for table, frame in pv.prepared.tables.items():
        arrow = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        arrow = arrow.append_column("_part", pa.array(np.full(arrow.num_rows, index, dtype=np.int32)))
        if table == main:
            lines = pv.raw.lines_of(arrow["_row"].to_numpy()) + part.line_offset
            arrow = arrow.append_column("_line", pa.array(lines, pa.int64()))
        report(start + share / 2, f"part {index + 1}: staging {arrow.num_rows:,} rows of {table}")
        cur.register("part_rows", arrow)  # stage + table: our own names (the import id, load.KEYS)
        if _exists(cur, stage + table):
            cur.execute(f"INSERT INTO {stage + table} BY NAME SELECT * FROM part_rows")  # noqa: S608
        else:
            cur.execute(f"CREATE TABLE {stage + table} AS SELECT * FROM part_rows")  # noqa: S608
        cur.unregister("part_rows")
    return rejects


def _resolve_repeats(cur: duckdb.DuckDBPyConnection, stage: str, main: str, kind: str, mapping: dict[str, str],
                     path: Path) -> pd.DataFrame:
    """Ids repeated across parts: keep the newest version (by update time, else the later line); the others become
    rejects with their line and raw text, and leave the staging tables (with the ratings their tickets carried)."""
    keys = single.KEYS[main]
    empty = pd.DataFrame(columns=["line", "field", "reason", "raw"])
    if not keys:
        return empty
    staged = set(_columns_of(cur, stage + main))
    newest = "updated_at DESC NULLS LAST, " if "updated_at" in staged else ""
    key_list = ", ".join(keys)
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE part_losers AS SELECT {key_list}, _part, _line FROM ("  # noqa: S608
        f"SELECT {key_list}, _part, _line, row_number() OVER (PARTITION BY {key_list} "
        f"ORDER BY {newest}_line DESC) AS rank FROM {stage + main}) WHERE rank > 1")
    losers = cur.execute("SELECT _line FROM part_losers ORDER BY _line").fetchall()
    if not losers:
        return empty
    match = " AND ".join(f"s.{k} IS NOT DISTINCT FROM l.{k}" for k in keys)
    cur.execute(f"DELETE FROM {stage + main} s WHERE EXISTS (SELECT 1 FROM part_losers l "  # noqa: S608
                f"WHERE {match} AND s._part = l._part)")
    if kind == "tickets" and _exists(cur, stage + "survey_responses"):  # the ratings the dropped versions carried
        cur.execute(f"DELETE FROM {stage}survey_responses s WHERE EXISTS (SELECT 1 FROM part_losers l "  # noqa: S608
                    "WHERE s.source = l.source AND s.ticket_id = l.ticket_id AND s._part = l._part)")
    lines = [int(r[0]) for r in losers]
    field = mapping.get(keys[-1], keys[-1])
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        text = _lines_text(data, lines)
    return pd.DataFrame({"line": lines, "field": field, "reason": _DUPLICATE, "raw": text})


def _exists(cur: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0])


def _lines_text(data: bytes | mmap.mmap, lines: list[int]) -> list[str]:
    """The text of the given physical lines (1-based) of the file, each cut at 2,000 characters."""
    breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    starts = np.concatenate([[0], breaks + 1])
    out = []
    for line in lines:
        begin = int(starts[line - 1]) if line - 1 < len(starts) else len(data)
        end = int(breaks[line - 1]) if line - 1 < len(breaks) else len(data)
        out.append(data[begin:end].decode("utf-8", errors="replace").rstrip("\r")[:2000])
    return out
