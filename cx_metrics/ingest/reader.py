"""File mechanics: bytes -> a table of strings with the header rows kept apart.

Handles UTF-8 (with or without BOM), UTF-16 (BOM), Windows-1252/Latin-1 and other legacy encodings
(charset-normalizer), `,` `;` tab and `|` delimiters, CRLF with LF inside quoted fields, ragged rows
(reported, never dropped silently), XLSX/XLS/ODS workbooks (python-calamine; every sheet readable) and JSON
(a list of records or an object holding one, e.g. Intercom's ``{"conversations": [...]}``).

The body of a CSV is parsed in pieces cut where records end (:mod:`records`), on every core: by DuckDB's strict
reader where every quote is well placed, else (and for any piece DuckDB cannot read exactly) by pyarrow, which
reports each record that is no row with its line; the first records by Python's csv module, which also tells how
many physical lines the header rows take. A file read from disk whose quotes are all well placed is first read by
DuckDB whole, straight from the file, and kept only if it passes the same checks.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import mmap
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cx_metrics import db
from cx_metrics.ingest import limits as lim
from cx_metrics.ingest import records
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.notes import SHOWN_LINES, Counted, literal

# Python's csv module refuses fields over 128 KB by default; exports carry long descriptions and bodies
csv.field_size_limit(lim.Limits().max_bytes)
SAMPLE_RECORDS = 60
DELIMITERS = [",", ";", "\t", "|"]
BLOCK_SIZE = 1 << 20  # bytes of CSV body pyarrow parses at a time (cut where a record ends; stays in cache)
PIECE_SIZE = 64 << 20  # bytes of CSV body per parse task and per chunk of the parsed table
MISSING_TOKENS = {"", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "-"}


@dataclass
class RawTable:
    """A file's content as text cells, before any interpretation."""

    file_name: str
    file_format: str  # csv / xlsx / json
    encoding: str
    delimiter: str | None
    header_rows: list[list[str]]  # every row above the data (1 for a plain CSV, 3 for Qualtrics...)
    columns: list[str]  # unique, non-empty column names
    table: pa.Table  # string cells, one column per name in `columns` (empty string for an empty cell)
    first_data_line: int  # physical line number (1-based) of the first data record
    # records that are no row (wrong number of fields, a quote never closed): (line, reason, raw text)
    ragged: list[tuple[int | None, str, str]] = field(default_factory=list)
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    row_lines: np.ndarray | None = None  # physical line where each row starts (None: first_data_line + row)
    warnings: list[str] = field(default_factory=list)
    body_breaks: int = 0  # line breaks below the header (a CSV's), so the next part of a file knows its first line

    @cached_property
    def data(self) -> pd.DataFrame:
        """The cells as a pandas frame of "string" columns (converted on first use)."""
        frame: pd.DataFrame = self.table.to_pandas(
            types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None)
        return frame

    def head(self, n: int) -> RawTable:
        """The same file cut to its first ``n`` data rows (for detection on a sample)."""
        return replace(self, table=self.table.slice(0, n))

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)

    def take(self, rows: Sequence[int] | np.ndarray) -> pa.Table:
        """The data rows ``rows`` (0-based, in that order): :func:`take_rows` of the cells."""
        return take_rows(self.table, rows)

    def lines_of(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """Physical lines (1-based) where the data rows ``rows`` (0-based) start.

        Workbooks and JSON count a row per line after the header; a CSV knows each row's line from its parse.
        """
        index = np.asarray(rows, dtype=np.int64)
        if self.row_lines is None:
            return index + self.first_data_line
        return self.row_lines[index]


def take_rows(table: pa.Table, rows: Sequence[int] | np.ndarray) -> pa.Table:
    """``table.take(rows)`` without joining its chunks: Arrow's take on a column in several chunks first copies them
    all into one (0.74 s of CPU to pick the 3,000 sample rows of a 256 MB part of a file); here each chunk gives
    its own rows, and only those are put back in the order asked for."""
    index = np.asarray(rows, dtype=np.int64)
    batches = table.to_batches()
    if len(batches) <= 1 or len(index) == 0 or index.min() < 0 or index.max() >= table.num_rows:
        return table.take(pa.array(index, pa.int64()))  # (one chunk, nothing asked, or the error of a bad row)
    starts = np.cumsum([0] + [b.num_rows for b in batches])
    which = np.searchsorted(starts, index, side="right") - 1  # the chunk of each row (an empty chunk holds none)
    order = np.argsort(which, kind="stable")
    grouped, chunk_of = index[order], which[order]
    picked = [batches[k].take(pa.array(grouped[chunk_of == k] - starts[k], pa.int64())) for k in np.unique(which)]
    by_chunk = pa.Table.from_batches(picked, schema=table.schema).combine_chunks()
    return by_chunk.take(pa.array(np.argsort(order, kind="stable"), pa.int64()))


def _strings(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame.fillna("").astype(str), preserve_index=False)


_NOT_SPACE = re.compile(rb"\S")


class _MappedFile(mmap.mmap):
    """A file's bytes mapped read-only from the page cache (every page at once) instead of copied into the process,
    with the methods of ``bytes`` the reader calls on them. Reading 447 MB of CSV into memory took 0.32 s, page by
    page into fresh memory; mapping them takes 0.04 s."""

    def startswith(self, prefix: bytes | tuple[bytes, ...]) -> bool:
        return any(self[:len(p)] == p for p in (prefix if isinstance(prefix, tuple) else (prefix,)))

    def isspace(self) -> bool:
        return len(self) > 0 and _NOT_SPACE.search(self) is None

    def count(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """As ``bytes.count`` for a pattern that cannot overlap itself (the reader counts line breaks: LF, CR,
        CRLF), read a megabyte at a time: a span as long as the file is never copied whole."""
        stop = len(self) if end is None else min(end, len(self))
        total, pos = 0, start
        while pos < stop:
            upto = min(pos + records.STEP_BYTES, stop)
            total += self[pos:min(upto + len(sub) - 1, stop)].count(sub)  # the ones that start before ``upto``
            pos = upto
        return total

    def index(self, sub: bytes) -> int:
        found = self.find(sub)
        if found < 0:
            raise ValueError("subsection not found")
        return found

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes(self).decode(encoding, errors)


def file_bytes(path: Path) -> bytes:
    """The bytes of the file ``path``: a text export mapped from the page cache (:class:`_MappedFile`; what the CSV
    reader and the content hash read), a workbook, JSON or an empty file read into memory."""
    if not path.stat().st_size:
        return path.read_bytes()
    with path.open("rb") as handle:
        mapped = _MappedFile(handle.fileno(), 0, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0),
                             prot=mmap.PROT_READ)
    if _format(cast(bytes, mapped), path.name) != "csv":
        data = mapped[:]
        mapped.close()
        return data
    return cast(bytes, mapped)  # (a _MappedFile offers what the CSV reader calls on bytes)


def _format(data: bytes | bytearray, name: str) -> str:
    """How a file is read: "workbook", "json" or "csv" (CSV, TSV or TXT), by its first bytes and its name."""
    suffix = Path(name).suffix.lower()
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0") or suffix in {".xlsx", ".xls", ".ods"}:
        return "workbook"
    first = _NOT_SPACE.search(data)  # (not data.lstrip(): that copies the whole file)
    if suffix == ".json" or (first is not None and first.group() in (b"{", b"[")):
        return "json"
    return "csv"


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("cx-cp1252-fallback", _cp1252_fallback)


def decode(data: bytes | bytearray) -> tuple[str, str, list[str]]:
    """Bytes -> (text, encoding name, warnings). Never guesses silently: a legacy encoding is reported."""
    warnings: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig", warnings
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", warnings
        except UnicodeDecodeError as exc:
            raise ImportRefused(f"The file starts like UTF-16 text but is not valid UTF-16 ({exc.reason}).") from exc
    sample = data[:2_000_000]
    if b"\x00" in sample:
        half = len(sample) // 2
        # UTF-16 without a byte-order mark: Latin text has a NUL in every other byte
        for zeros, codec in ((sample[1::2].count(0), "utf-16-le"), (sample[0::2].count(0), "utf-16-be")):
            if half and zeros > 0.6 * half:
                try:
                    return data.decode(codec), codec, ["The file is UTF-16 without a byte-order mark."]
                except UnicodeDecodeError:
                    break
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportRefused(
            f"The file contains NUL bytes (the first on line {line}): a text export never does, so it is binary or "
            "damaged. Export the data again as CSV, XLSX or JSON and upload that.")
    try:
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError:
        pass
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > len(sample) // 100:
        raise ImportRefused(
            "This is a binary file, not a text export (it is full of control bytes). Export the data as CSV, "
            "XLSX or JSON and upload that."
        )
    if _UTF8_MULTIBYTE.search(data[:2_000_000]):
        # mostly UTF-8 with some Windows-1252 lines (files pasted together): keep each as written
        text = data.decode("utf-8", errors="cx-cp1252-fallback")
        warnings.append("The file is not UTF-8 throughout: it mixes UTF-8 with Windows-1252 bytes; each part "
                        "was read in its own encoding.")
        return text, "utf-8+cp1252", warnings
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    encoding = best.encoding if best is not None else "cp1252"
    # Exports that are not UTF-8 are overwhelmingly Windows-1252 (Excel's default in the West); short samples
    # make detectors pick a sibling Latin code page. Keep the guess only for scripts cp1252 cannot be.
    non_latin = ("cp1251", "cp1253", "cp1255", "cp1256", "koi8", "iso8859_5", "iso8859_6", "iso8859_7",
                 "iso8859_8", "shift_jis", "cp932", "euc", "gb", "big5", "cp949", "utf_16", "utf_32", "mac_cyrillic")
    if not encoding.startswith(non_latin):
        try:
            data.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
        warnings.append("Some bytes could not be decoded and were replaced with �.")
    warnings.append(f"The file is not UTF-8; it was read as {encoding}.")
    return text, encoding, warnings


def sniff_delimiter(sample_text: str) -> str:
    """The delimiter giving the most consistent, widest records over the first lines."""
    best, best_score = ",", -1.0
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample_text, newline=""), delimiter=delim))[:SAMPLE_RECORDS]
        except csv.Error:
            continue
        rows = [r for r in rows if r]
        if len(rows) < 1:
            continue
        widths = [len(r) for r in rows[:-1]] or [len(rows[0])]  # the last sampled line may be cut
        common = max(set(widths), key=widths.count)
        if common < 2:
            continue
        consistency = widths.count(common) / len(widths)
        score = consistency * 10 + min(common, 50) / 50
        if score > best_score:
            best, best_score = delim, score
    return best


_LINE_BREAKS = re.compile(r"\s*[\r\n]\s*")


def _unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    """Names made unique (a blank one becomes ``column_N``; copies get `` (2)``, `` (3)``...) and one warning
    that sums up every repeated name."""
    # a name written over several lines (a wrapped header cell, CRLF or LF) is one line, its breaks one space each
    cleaned = [_LINE_BREAKS.sub(" ", (raw or "").strip()) or f"column_{i + 1}" for i, raw in enumerate(names)]
    used = set(cleaned)
    out: list[str] = []
    seen: dict[str, int] = {}
    for name in cleaned:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            out.append(name)
            continue
        copy, k = f"{name} ({seen[name]})", seen[name]
        while copy in used:  # the file has a column named like that already
            k += 1
            copy = f"{name} ({k})"
        used.add(copy)
        out.append(copy)
    repeated = {name: n for name, n in seen.items() if n > 1}
    if not repeated:
        return out, []
    listed = [f"{name!r} ({n} times)" for name, n in list(repeated.items())[:5]]
    more = f" and {len(repeated) - 5:,} more" if len(repeated) > 5 else ""
    names_are = "column names appear" if len(repeated) > 1 else "column name appears"
    first = next(iter(repeated))
    second = out[[i for i, name in enumerate(cleaned) if name == first][1]]
    return out, [f"{len(repeated):,} {names_are} more than once: {', '.join(listed)}{more}. Each copy is read as a "
                 f"column of its own (the second {first!r} as {second!r}); the first copy is the one matched to a "
                 "field: change the column mapping if another copy holds the data."]


def _header_depth(first: list[list[str]]) -> int:
    """How many of the first records are header rows (Qualtrics 3 or legacy 2, SurveyMonkey 2, else 1)."""
    if len(first) >= 3 and all(
        c == "" or c.startswith("{") or c.startswith("{'") for c in first[2]
    ) and any('ImportId' in c for c in first[2]):
        return 3
    if len(first) >= 2 and first[0][:2] and first[0][0].lstrip("\ufeff") == "V1" and first[0][1:2] == ["V2"]:
        return 2  # legacy Qualtrics: V1..Vn, then labels
    if len(first) >= 2 and first[1] and first[1][0] == "" \
            and any(c in {"Response", "Open-Ended Response"} for c in first[1]):
        return 2  # SurveyMonkey: question row, then "Response"/option sub-labels under an empty id cell
    return 1


def _combine_headers(rows: list[list[str]], depth: int) -> list[str]:
    top = rows[0]
    if depth == 2 and rows[0] and rows[0][0].lstrip("\ufeff") == "V1":
        return rows[1]  # legacy Qualtrics: the second row holds the names and labels
    if depth == 2:
        # SurveyMonkey: forward-fill the question over its option columns; keep sub-labels that add meaning
        names, current = [], ""
        for i, q in enumerate(top):
            sub = rows[1][i] if i < len(rows[1]) else ""
            current = q or current
            if sub and sub not in {"Response", "Open-Ended Response"} and (not q or q != sub):
                names.append(f"{current} - {sub}" if current else sub)
            else:
                names.append(current if q == "" and sub in {"Response", "Open-Ended Response"} else (q or current))
        return names
    return top


def _utf8_head(data: bytes | bytearray, size: int = 2_000_000) -> str | None:
    """The first ``size`` bytes as text when they are plain UTF-8 (no NUL, no UTF-16 mark), else None.

    Most exports are UTF-8: then only the head is decoded here and pyarrow validates the rest as it parses
    (a file that turns out not to be UTF-8 further down is read again through :func:`decode`).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    head = data[:size]
    if b"\x00" in head:
        return None
    for cut in range(4):  # the slice may end inside a multi-byte character
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            if len(head) < size:
                return None
    return None


def _read_csv(data: bytes | bytearray, name: str, limits: lim.Limits, *, full_decode: bool = False,
              path: Path | None = None) -> RawTable:
    fast = None if full_decode else _utf8_head(data)
    text: str | None
    if fast is None:
        text, encoding, warnings = decode(data)
        head_text = text
    else:
        text, warnings = None, []
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        head_text = fast
    if head_text.startswith("\ufeff"):
        head_text = head_text[1:]
        text = text[1:] if text is not None else None
    if not head_text or (text is not None and text.isspace()):
        raise ImportRefused(f"{name} is empty: there is nothing to import.")
    sample = head_text[:200_000]
    delimiter = sniff_delimiter(sample)
    # the header rows are in the first few hundred kilobytes; copying the whole text would cost a full pass
    head = head_text if len(head_text) <= 1_000_000 else head_text[:1_000_000]
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
    first: list[list[str]] = []
    consumed: list[int] = []
    try:
        for row in reader:
            first.append(row)
            consumed.append(reader.line_num)
            if len(first) >= 8:
                break
    except csv.Error as exc:
        raise ImportRefused(f"{name} could not be read as CSV near line {reader.line_num}: {exc}.") from exc
    # title lines above the header (a report name, an export date): the header is the first full-width row
    top = header_row(first) if first and _filled(first[0]) <= 1 else 0
    if top:
        warnings.append(f"The table starts on line {consumed[top - 1] + 1}: the title line(s) above its header "
                        f"({' '.join(c for c in first[0] if c)[:60]!r}) were skipped.")
    first, consumed = first[top:], consumed[top:]
    depth = _header_depth(first)
    header_rows = first[:depth]
    lim.check_width(max(len(r) for r in header_rows) if header_rows else 0, name, limits)
    columns, name_warnings = _unique_names(_combine_headers(header_rows, depth))
    warnings += name_warnings
    if len(consumed) < depth:
        raise ImportRefused(f"{name} ends inside its header rows: there is nothing to import.")
    header_lines = consumed[depth - 1]
    one_line_head = header_lines == top + depth  # every record above the body on a line of its own
    # pyarrow parses the body; valid UTF-8 input is handed over as it is, anything else re-encoded once
    start = 0
    if encoding in ("utf-8", "utf-8-sig"):
        body, start = data, (3 if encoding == "utf-8-sig" else 0)  # read past the BOM in place, not a copy
    else:
        assert text is not None  # a non-UTF-8 file went through decode()
        body = text.encode("utf-8")
    origin = start
    for _ in range(header_lines):
        found = body.find(b"\n", origin)
        origin = len(body) if found < 0 else found + 1
    try:
        parsed = parse_body(body, origin, first_line=header_lines + 1, columns=columns, delimiter=delimiter,
                            path=path if body is data and one_line_head else None)
    except pa.ArrowInvalid as exc:
        if fast is not None and "utf8" in str(exc).lower():
            return _read_csv(data, name, limits, full_decode=True)  # not UTF-8 after all: detect the encoding
        raise ImportRefused(f"{name} has a broken CSV structure: {exc}.") from exc
    return RawTable(
        file_name=name, file_format="csv", encoding=encoding, delimiter=delimiter, header_rows=header_rows,
        columns=columns, table=parsed.table, first_data_line=header_lines + 1, ragged=parsed.malformed,
        warnings=warnings + parsed.warnings, row_lines=parsed.row_lines, body_breaks=parsed.breaks,
    )


@dataclass
class Body:
    """A parsed CSV body: its rows, the line each starts on, and the records that are no row."""

    table: pa.Table
    row_lines: np.ndarray
    malformed: list[tuple[int | None, str, str]]
    warnings: list[str]
    breaks: int  # line breaks in the body


def parse_body(data: bytes | bytearray, origin: int, *, first_line: int, columns: list[str], delimiter: str,
               include: list[str] | None = None, end: int | None = None, path: Path | None = None) -> Body:
    """The cells of ``data[origin:end]`` (the body below the header, starting on physical line
    ``first_line``), as strings, parsed in pieces on all cores (``include``: only these columns), each by DuckDB
    (:class:`_StrictReader`) when it reads the piece exactly, else by pyarrow.

    The pieces are cut where records end (:func:`records.scan`), never inside a quoted value, so each is parsed
    whole and exactly; a record whose quote never closes is reported, not merged with the records after it.

    ``path``: the file ``data`` holds, whole, each record above the body on a line of its own. DuckDB then first
    tries the whole body straight from the file, in one read on every core (no piece copied to a file of its own):
    taken only when it is exact by the same checks as a piece's, else the body is read in pieces as above.
    """
    size = (len(data) if end is None else end) - origin
    wanted = include or columns
    structure = records.scan(data, origin, size, delimiter)
    arr = np.frombuffer(data, dtype=np.uint8)[origin:origin + size] if size else np.zeros(0, dtype=np.uint8)
    whole = pa.py_buffer(data)

    def parse_block(begin: int, stop: int, bad: list[tuple[str, str]]) -> pa.Table:
        """One block, parsed whole by pyarrow (small, so its work stays in the CPU's cache)."""
        block = whole.slice(origin + begin, stop - begin)
        if arr[stop - 1] != records.LF:  # the file's last record, without a line break: give it one
            block = pa.py_buffer(block.to_pybytes() + b"\n")

        def on_invalid(row: Any) -> str:
            bad.append((f"has {row.actual_columns} fields where the header has {row.expected_columns}",
                        str(row.text)[:2000]))
            return "skip"

        return pacsv.read_csv(
            pa.BufferReader(block),
            read_options=pacsv.ReadOptions(column_names=columns, block_size=max(block.size + 1, 1 << 16),
                                           use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(include_columns=wanted,
                                                 column_types={c: pa.string() for c in wanted},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    # DuckDB is the cheaper reader of quoted values (long, multi-line texts); a body without a quote pyarrow parses
    # as fast in its blocks, without copying it to a file
    strict = _StrictReader(data, origin, columns, delimiter) \
        if structure.exact and len(structure.opens) and len(columns) > 1 and include is None else None

    def parse(blocks: list[tuple[int, int]]) -> tuple[pa.Table, np.ndarray, list[tuple[int, str, str]], int]:
        """One piece (consecutive blocks): (rows as one chunk, their lines counted from the piece's first line,
        malformed records, line breaks)."""
        begin, stop = blocks[0][0], blocks[-1][1]
        counts = records.count_bytes(data, origin + begin, origin + stop, delimiter)
        breaks = counts.breaks
        lines_made = breaks + (arr[stop - 1] not in (records.LF, records.CR))
        has_cr = counts.cr > 0
        table = strict.read(begin, stop, counts) if strict is not None else None
        if table is not None and _all_of_width(table, counts.delimiter, delimiter, len(columns)):
            if lines_made == table.num_rows:
                return table, np.arange(table.num_rows, dtype=np.int64), [], breaks
            row_lines, _ = records.record_lines(arr, begin, stop, structure, 0, len(columns), delimiter,
                                                count_fields=False, has_cr=has_cr)
            if len(row_lines) == table.num_rows:
                return table, row_lines, [], breaks
        bad: list[tuple[str, str]] = []
        # one chunk per piece: DuckDB inserts the rows computed from a chunk in batches of its size, and many small
        # batches (a parse block's) cost a third more to insert than copying them into one
        table = pa.concat_tables([parse_block(b, e, bad) for b, e in blocks]).combine_chunks()
        if not bad and lines_made == table.num_rows:  # one record per line, none empty: lines are arithmetic
            return table, np.arange(table.num_rows, dtype=np.int64), [], breaks
        row_lines, bad_lines = records.record_lines(arr, begin, stop, structure, 0, len(columns), delimiter,
                                                    count_fields=bool(bad), has_cr=has_cr)
        if len(row_lines) != table.num_rows or len(bad_lines) != len(bad):
            raise pa.ArrowInvalid(f"records and rows disagree near byte {begin:,} of the body")
        return table, row_lines, [(int(n), r, t) for n, (r, t) in zip(bad_lines, bad, strict=True)], breaks

    blocks = structure.pieces(data, origin, BLOCK_SIZE)
    pieces: list[list[tuple[int, int]]] = []  # consecutive blocks of about PIECE_SIZE: one task and one chunk
    for block in blocks:
        if pieces and pieces[-1][-1][1] == block[0] and pieces[-1][-1][1] - pieces[-1][0][0] < PIECE_SIZE:
            pieces[-1].append(block)
        else:
            pieces.append([block])
    try:
        if strict is not None and path is not None and end is None and not structure.broken:
            spans = [(piece[0][0], piece[-1][1]) for piece in pieces]
            in_one = _whole_body(strict, path, first_line - 1, spans, arr, structure)
            if in_one is not None:
                table, row_lines, breaks = in_one
                return Body(table, row_lines + first_line, [], [], breaks)
        done = records.in_parallel(parse, pieces)
    finally:
        if strict is not None:
            strict.close()
    spans = [(piece[0][0], piece[-1][1]) for piece in pieces]
    # line of each piece: the line breaks of every piece and left-out record before it
    gaps = {b.start: b for b in structure.broken}
    tables: list[pa.Table] = []
    lines: list[np.ndarray] = []
    malformed: list[tuple[int | None, str, str]] = []
    line, pos = first_line, 0
    for (begin, stop), (table, row_lines, bad, breaks) in zip(spans, done, strict=True):
        while pos < begin:  # a record left out before this piece
            gap = gaps[pos]
            malformed.append((line, _never_closed(data, origin, gap, line), _text(data, origin, gap.start, gap.end)))
            line += records.line_breaks(data, origin + gap.start, origin + gap.end)
            pos = gap.end
        tables.append(table)
        lines.append(row_lines + line)
        malformed += [(n + line, r, t) for n, r, t in bad]
        line += breaks
        pos = stop
    while pos < size and pos in gaps:  # records left out at the end of the body
        gap = gaps[pos]
        malformed.append((line, _never_closed(data, origin, gap, line), _text(data, origin, gap.start, gap.end)))
        line += records.line_breaks(data, origin + gap.start, origin + gap.end)
        pos = gap.end
    schema = pa.schema([(c, pa.string()) for c in wanted])
    warnings: list[str] = []
    if structure.loose:
        line_ends = np.flatnonzero(arr == records.LF)
        at = np.unique(first_line + np.searchsorted(line_ends, np.asarray(structure.loose)))
        warnings.append(Counted(
            "Lines with a quoted value followed by more text after its closing quote: {n:,} (line {lines}). They "
            "were read as a spreadsheet reads them (the text joins the value); a quote inside a quoted value should "
            'be written twice (""): check those cells in the export.', len(at), at[:SHOWN_LINES].tolist()))
    return Body(pa.concat_tables(tables) if tables else schema.empty_table(),
                np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64), malformed, warnings,
                line - first_line)


def _whole_body(strict: _StrictReader, path: Path, skip: int, spans: list[tuple[int, int]], arr: np.ndarray,
                structure: records.Structure) -> tuple[pa.Table, np.ndarray, int] | None:
    """(rows, the line of each counted from the body's first, line breaks) of a body DuckDB read from ``path`` in
    one pass, past its first ``skip`` lines; None when it cannot have been read exactly. The body's bytes are
    counted span by span (``spans``, on every core) and the rows must pass a piece's checks (see
    :meth:`_StrictReader.read`, :func:`_all_of_width`); a body with no line break inside a value needs no record
    scan for its lines."""
    delimiter, origin, width = strict.delimiter, strict.origin, strict.width

    def count(span: tuple[int, int]) -> records.Counts:
        return records.count_bytes(strict.data, origin + span[0], origin + span[1], delimiter)

    counted = records.in_parallel(count, spans)
    counts = records.Counts.total(counted)
    if not counts.strict_readable or not len(arr):
        return None
    table = strict.read_file(path, skip)
    if table is None or not _all_of_width(table, counts.delimiter, delimiter, width):
        return None
    if counts.breaks + (arr[-1] not in (records.LF, records.CR)) == table.num_rows:  # one record per line, none empty
        return table, np.arange(table.num_rows, dtype=np.int64), counts.breaks
    before = np.cumsum([0] + [c.breaks for c in counted[:-1]])  # line breaks before each span

    def lines(i: int) -> np.ndarray:
        return records.record_lines(arr, spans[i][0], spans[i][1], structure, int(before[i]), width, delimiter,
                                    count_fields=False, has_cr=counts.cr > 0)[0]

    row_lines = np.concatenate(records.in_parallel(lines, list(range(len(spans)))))
    return (table, row_lines, counts.breaks) if len(row_lines) == table.num_rows else None


def _all_of_width(table: pa.Table, delimiters: int, delimiter: str, width: int) -> bool:
    """Whether the records of a span holding ``delimiters`` bytes ``delimiter``, that became the rows of ``table``,
    all have ``width`` fields.

    DuckDB's strict reader refuses a record of another width, except one with a field too many whose last is
    empty ("a,b,c," under a three-column header), which it takes for a trailing delimiter and drops. The file's
    delimiters outside quoted values are one fewer than the fields of each record: so many, and no record had
    an extra field. (Those inside quoted values are in the cells; a blank line, skipped, has none.)"""
    inside = sum(_byte_count(chunk, ord(delimiter)) for column in table.columns for chunk in column.chunks)
    return bool(delimiters - inside == table.num_rows * (width - 1))


def _byte_count(cells: pa.Array, byte: int) -> int:
    """How often the ASCII ``byte`` occurs in the cells of a string array: counted in the text bytes the cells span
    at once (an ASCII byte is never part of another UTF-8 character), not cell by cell."""
    if cells.type != pa.string() or len(cells) == 0 or cells.null_count:  # (a null's slot may span bytes)
        return int(pc.sum(pc.count_substring(cells, chr(byte))).as_py() or 0)
    offsets = cells.buffers()[1]
    first = int(np.frombuffer(offsets, dtype=np.int32, count=1, offset=4 * cells.offset)[0])
    last = int(np.frombuffer(offsets, dtype=np.int32, count=1, offset=4 * (cells.offset + len(cells)))[0])
    data = cells.buffers()[2]
    if data is None or last == first:
        return 0
    text = np.frombuffer(data, dtype=np.uint8, count=last - first, offset=first)
    return sum(int(np.count_nonzero(text[at:at + records.STEP_BYTES] == byte))
               for at in range(0, len(text), records.STEP_BYTES))


class _StrictReader:
    """DuckDB's CSV reader on pieces of a body whose quotes are all well placed (:attr:`records.Structure.exact`).

    On quoted, multi-line text (descriptions, bodies) it parses on every core at about half of pyarrow's CPU. It
    reads strictly: a record of another width than the header, a stray quote, bytes that are not UTF-8 or a line
    longer than it buffers make it fail, and the piece is then parsed by pyarrow, which reports each such record
    with its line (so the fast reading never decides what a rejected record is). Pieces with a lone CR (old Mac
    line ends) or a NUL byte are left to pyarrow as well. Cells come back as pyarrow returns them: strings, an empty
    cell as "" (never null).
    """

    def __init__(self, data: Any, origin: int, columns: list[str], delimiter: str) -> None:
        self.data, self.origin, self.columns, self.delimiter = data, origin, columns, delimiter
        self.width = len(columns)
        self.folder = tempfile.TemporaryDirectory(prefix="cx-import-")
        self.conn = db.scratch()

    def read(self, begin: int, stop: int, counts: records.Counts) -> pa.Table | None:
        """The rows of ``body[begin:stop]`` (whose bytes ``counts`` counted), or None when DuckDB cannot read it
        exactly."""
        data, at, end = self.data, self.origin + begin, self.origin + stop
        if not counts.strict_readable:
            return None
        has_cr = counts.cr > 0
        path = Path(self.folder.name) / f"piece-{begin}.csv"
        try:
            with path.open("wb") as out:  # DuckDB reads files: the piece goes to the page cache, not the process
                # DuckDB takes the line end from the first line break, even one inside a quoted value (an LF in a
                # CRLF file): an empty record ending in CRLF, skipped below, makes it CRLF
                out.write((self.delimiter * (self.width - 1) + "\r\n").encode() if has_cr else b"")
                out.write(memoryview(data)[at:end])
            table = self._query(str(path), int(has_cr))
        finally:
            path.unlink(missing_ok=True)
        return None if table is None else table.combine_chunks()

    def read_file(self, path: Path, skip: int) -> pa.Table | None:
        """The rows of the CSV file ``path`` past its first ``skip`` lines, in one read on every core; None when
        DuckDB cannot read it. (It takes the line end from the file's first line break: the header's.)"""
        return self._query(str(path), skip)

    def _query(self, path: str, skip: int) -> pa.Table | None:
        # generic column names c0..cN: nothing from the file is written into the SQL
        sql = ("SELECT {cells} FROM read_csv($path, header = false, columns = {names}, delim = $delim, "
               "quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, null_padding = false, "
               "max_line_size = 16777216, skip = $skip)")
        names = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(self.width)) + "}"
        cells = ", ".join(f"coalesce(c{i}, '') AS c{i}" for i in range(self.width))
        cur = self.conn.cursor()
        try:
            table = cur.sql(sql.format(cells=cells, names=names),
                            params={"path": path, "delim": self.delimiter, "skip": skip}).to_arrow_table()
        except duckdb.Error:
            return None
        finally:
            cur.close()
        if any(t != pa.string() for t in table.schema.types):
            table = table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))
        return table.rename_columns(self.columns)

    def close(self) -> None:
        self.conn.close()
        self.folder.cleanup()


def _text(data: Any, origin: int, begin: int, end: int) -> str:
    return bytes(data[origin + begin:origin + min(end, begin + 8000)]).decode("utf-8", "replace").rstrip("\r\n")[
        :2000]


_NEVER_CLOSED = "is never closed"  # (in the reason of a record left out for it)


def _never_closed(data: bytes | bytearray, origin: int, gap: records.Broken, line: int) -> str:
    """Why a record whose quote never closes was left out, and what to do."""
    quote_line = line + records.line_breaks(data, origin + gap.start, origin + gap.quote)
    where = "" if quote_line == line else f" (opened on line {quote_line:,})"
    if gap.close < 0:
        swallowed = "every line after it, to the end of the file,"
    else:
        later = records.line_breaks(data, origin + gap.quote, origin + gap.close)
        swallowed = f"the next {later:,} line{'s' if later != 1 else ''}"
    return (f"a quoted value{where} {_NEVER_CLOSED}: read as written, it would merge {swallowed} into one cell. "
            "This record was not loaded; the lines after it were read as records. Close the quote in the export "
            "(a quote inside a quoted value is written twice: \"\")")


def _read_workbook(path_or_bytes: bytes | bytearray, name: str, sheet: str | None, limits: lim.Limits) -> RawTable:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(path_or_bytes))
    except Exception as exc:  # calamine raises its own error types for broken archives
        raise ImportRefused(f"{name} is not a readable spreadsheet ({exc}).") from exc
    names = list(book.sheet_names)
    if sheet is not None and sheet not in names:
        raise ImportRefused(f"{name} has no sheet named {sheet!r}; it has: {', '.join(names)}.")
    tables = {}
    for candidate in ([sheet] if sheet else names):
        lim.check_width(book.get_sheet_by_name(candidate).width, name, limits)
        cells = [[_cell_text(v) for v in r] for r in book.get_sheet_by_name(candidate).to_python(skip_empty_area=True)]
        tables[candidate] = cells
    # the data table is the sheet with the largest table (pivots, charts and data dictionaries are small)
    chosen = sheet or max(names, key=lambda n: _table_size(tables[n]))
    cells = tables[chosen]
    if not any(any(c.strip() for c in r) for r in cells):
        raise ImportRefused(f"The sheet {chosen!r} of {name} is empty.")
    top = header_row(cells)
    warnings: list[str] = []
    if top:
        warnings.append(f"The table starts on row {top + 1} of sheet {chosen!r}: the {top} row(s) above its header "
                        f"(a title: {' '.join(c for c in cells[0] if c)[:60]!r}) were skipped.")
    cells = cells[top:]
    cells, footer = _strip_footer(cells)
    if footer:
        warnings.append(f"{len(footer)} line(s) below the table (a footer: {footer[0][:60]!r}) were not read as data.")
    depth = _header_depth(cells[:4])
    columns, name_warnings = _unique_names(_combine_headers(cells[:depth], depth))
    warnings += name_warnings
    body = [r + [""] * (len(columns) - len(r)) for r in cells[depth:]]
    frame = pd.DataFrame([r[: len(columns)] for r in body], columns=columns, dtype="string")
    frame = frame[~(frame.fillna("").apply(lambda s: s.str.strip() == "").all(axis=1))] if len(frame) else frame
    if len(names) > 1:
        warnings.append(f"The workbook has {len(names)} sheets ({', '.join(names)}); reading {chosen!r}, the one "
                        "with the largest table (choose another with Sheet / --sheet).")
    first_line = top + depth + 1
    return RawTable(
        file_name=name, file_format="xlsx", encoding="xlsx", delimiter=None, header_rows=cells[:depth],
        columns=columns, table=_strings(frame.reset_index(drop=True)), first_data_line=first_line,
        sheet=chosen, sheets=names, warnings=warnings,
    )


def _filled(row: list[str]) -> int:
    return sum(1 for c in row if c.strip())


def _table_size(cells: list[list[str]]) -> int:
    top = header_row(cells)
    width = _filled(cells[top]) if len(cells) > top else 0
    return width * sum(1 for r in cells[top + 1:] if _filled(r) >= max(2, width // 2))


def header_row(rows: list[list[str]], look: int = 15) -> int:
    """Index of the header among the first rows: title lines above a table (a report name, a date, a blank
    line) have fewer filled cells than the table is wide; the header is the first row about as wide as the
    rows under it, with text (not numbers) in its cells."""
    head = rows[:look]
    for i, row in enumerate(head):
        width = _filled(row)
        below = [_filled(r) for r in rows[i + 1:i + 6] if _filled(r)]
        if width < 2 or not below:
            continue
        texty = sum(1 for c in row if c.strip() and not re.fullmatch(r"[-+]?[\d.,:/ ]+", c.strip()))
        if width >= 0.8 * max(below) and texty >= 0.6 * width:
            return i
    return 0


def _strip_footer(cells: list[list[str]]) -> tuple[list[list[str]], list[str]]:
    """Drop lines under a wide table that hold a single cell (totals, time zone, copyright notes)."""
    if not cells or _filled(cells[0]) < 4:
        return cells, []
    end = len(cells)
    footer: list[str] = []
    while end > 1 and _filled(cells[end - 1]) <= 1:
        text = " ".join(c for c in cells[end - 1] if c.strip())
        if text:
            footer.insert(0, text)
        end -= 1
    return cells[:end], footer


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = "" if value is None else str(value)
    return out


def _read_json(data: bytes | bytearray, name: str, limits: lim.Limits) -> RawTable:
    text, encoding, warnings = decode(data)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(f"{name} is not valid JSON (line {exc.lineno}: {exc.msg}).") from exc
    except RecursionError as exc:  # [[[[...]]]] thousands deep: no export nests like that
        raise ImportRefused(f"{name} nests its JSON more deeply than any export does (over "
                            f"{sys.getrecursionlimit():,} levels of [ or {{), so it was not read. Export the records "
                            "as a flat list (e.g. {\"conversations\": [...]}) and import that.") from exc
    records: Any = doc
    if isinstance(doc, dict):
        lists = [(k, v) for k, v in doc.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if not lists:
            raise ImportRefused(f"{name} holds no list of records (expected e.g. {{\"conversations\": [...]}}).")
        records = max(lists, key=lambda kv: len(kv[1]))[1]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ImportRefused(f"{name} is JSON but not a list of records.")
    try:
        flat = [_flatten(r) for r in records]
    except RecursionError as exc:
        raise ImportRefused(f"{name} has records nested more deeply than any export does, so it was not read. Export "
                            "them flatter and import that.") from exc
    columns: list[str] = []
    seen: set[str] = set()
    for r in flat:
        for k in r:
            if k not in seen:
                seen.add(k)
                columns.append(k)
    lim.check_width(len(columns), name, limits)
    frame = pd.DataFrame(flat, columns=columns)
    return RawTable(
        file_name=name, file_format="json", encoding=encoding, delimiter=None, header_rows=[columns],
        columns=columns, table=_strings(frame), first_data_line=1, warnings=warnings,
    )


def read_table(
    source: Path | bytes | bytearray, *, name: str | None = None, sheet: str | None = None,
    limits: lim.Limits | None = None, ends_file: bool = True, path: Path | None = None,
) -> RawTable:
    """Read a CSV/TSV/TXT, XLSX/XLS/ODS or JSON export into a :class:`RawTable` of strings.

    ``limits`` (size, type, width, workbook inflation) are checked before anything is parsed. ``ends_file``: the
    bytes run to the end of the file (not a part of a larger one), so lines after the last record may be its
    footer (:func:`split_footer`). ``path``: the file ``source`` (bytes) holds, whole, when the caller read it from
    one (DuckDB may then read the CSV body from the file in one pass).
    """
    limits = limits or lim.Limits()
    data: bytes | bytearray
    if isinstance(source, Path):
        path = source
        name = name or source.name
        lim.check_size(source.stat().st_size, name, limits)
        data = file_bytes(source)
    else:
        data = source
        name = name or "upload"
        lim.check_size(len(data), name, limits)
    lim.check_type(data, name)
    if not data or data.isspace():
        raise ImportRefused(f"{name} is empty: there is nothing to import.")
    kind = _format(data, name)
    if kind == "workbook":
        lim.check_workbook(data, name, limits)
        return _read_workbook(data, name, sheet, limits)
    if kind == "json":
        return _read_json(data, name, limits)
    raw = _read_csv(data, name, limits, path=path if ends_file else None)
    return split_footer(raw) if ends_file else raw


#: at most this many lines after the last record are a footer; more are broken rows, reported one by one
FOOTER_LINES = 20


def split_footer(raw: RawTable) -> RawTable:
    """Lines after the last record whose shape does not fit the table (another number of fields, or a single filled
    cell in a table three or more columns wide) are the export's footer, not rows: "Grand Totals (30 records)",
    confidentiality and copyright notes, "Generated by" lines, a report's name. They are left out with one
    warning that quotes them, instead of each becoming a rejected line. A record whose quote never closes is no
    footer: it stays a reject with its line, and only the lines after it can be the footer."""
    if len(raw.columns) < 3 or raw.num_rows == 0 or any(line is None for line, _, _ in raw.ragged):
        return raw
    tail = raw.table.slice(max(raw.num_rows - FOOTER_LINES - 1, 0)).to_pandas()
    filled = tail.apply(lambda col: col.fillna("").astype(str).str.strip() != "").sum(axis=1).tolist()
    short = 0
    while short < len(filled) and filled[len(filled) - 1 - short] <= 1:
        short += 1
    records = raw.num_rows - short
    last_line = int(raw.lines_of([records - 1])[0]) if records else raw.first_data_line - 1
    broken = [line for line, why, _ in raw.ragged if line is not None and line > last_line and _NEVER_CLOSED in why]
    if broken:  # the footer starts after the last record left out for its quote
        last_line = max(broken)
        later = raw.lines_of(range(records, raw.num_rows)) > last_line
        records, short = raw.num_rows - int(later.sum()), int(later.sum())
    if records == 0:
        return raw
    after = [r for r in raw.ragged if r[0] is not None and r[0] > last_line]
    footer = sorted([*zip(raw.lines_of(range(records, raw.num_rows)).tolist(),
                          (" ".join(str(v) for v in row if str(v or "").strip())
                           for row in tail.tail(short).itertuples(index=False)), strict=True),
                     *((line, text) for line, _, text in after)])
    if not footer or len(footer) > FOOTER_LINES:
        return raw
    shown = [t.strip().strip('"') for _, t in footer if t.strip().strip('",')]
    quoted = f": {'; '.join(repr(t[:60]) for t in shown[:3])}" + ("..." if len(shown) > 3 else "") if shown else ""
    warning = Counted("{n} line(s) at the end of the file (line {lines}) do not fit the table and were read as "
                      f"the export's footer, not as data{literal(quoted)}.", len(footer), [line for line, _ in footer])
    return replace(raw, table=raw.table.slice(0, records), ragged=[r for r in raw.ragged if r not in after],
                   warnings=[*raw.warnings, warning])


def is_missing(series: pd.Series) -> pd.Series:
    """NA, N/A, blank, a lone space, NULL... are missing values."""
    stripped = series.fillna("").astype("string").str.strip()
    return stripped.isin(MISSING_TOKENS) | series.isna()


def clean(series: pd.Series) -> pd.Series:
    """Trimmed strings with every missing token as <NA>."""
    stripped = series.astype("string").str.strip()
    return stripped.mask(is_missing(series))
