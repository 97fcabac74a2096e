"""Canonical rows from raw cells in one DuckDB query per file (tickets, events, customers, activity).

The raw Arrow table is scanned in place by an in-memory DuckDB (multi-threaded, no copy). One SELECT
cleans every mapped cell (trimmed; NA, N/A, blank, a lone space... -> NULL), types it (dates in the format
inferred from a sample, numbers stored as text, H:MM durations), derives what the vendor left implicit, and
names the first reason a row cannot load. Duplicate ids in the file are ranked so the newest version wins.

Column names from the file only ever appear as quoted identifiers; every value (formats, patterns, keys of
the attributes object) is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cx_metrics import db
from cx_metrics.ingest import limits, parse, vocab
from cx_metrics.ingest.detect import Detection
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.reader import MISSING_TOKENS, RawTable
from cx_metrics.ingest.specs import FIELDS

_FIELD_TYPES = {f.name: f.type for fields in FIELDS.values() for f in fields}
TZ_NAME = r"\s*(UTC|GMT)$"
TZ_OFFSET = r"\s*([+-]\d{2}):?(\d{2})$"
NUMBER_NOISE = "[\\s\u00a0%]"
HOURS_MINUTES = r"^(-)?(\d+):(\d{2})(?::(\d{2}))?$"
PLAIN_ISO = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]  # naive ISO 8601 to the second


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Query:
    """One SELECT over the raw table ``raw`` (columns as in the file, plus ``_row``)."""

    raw: RawTable
    det: Detection
    day_first: bool | None
    warnings: list[str]
    timezone: str = "UTC"  # the zone of times written without an offset
    latest: dt.datetime | None = None  # event times (creation, change) after this are refused as in the future
    params: dict[str, Any] = field(default_factory=dict)
    cleaned: dict[str, str] = field(default_factory=dict)  # source column -> alias of its cleaned cells
    derived: dict[str, tuple[str, Callable[[list[Any]], pa.Array]]] = field(default_factory=dict)
    values: list[tuple[str, str]] = field(default_factory=list)  # (alias, expression over c) in CTE v
    checks: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    ambiguous: list[str] = field(default_factory=list)
    bounded: set[str] = field(default_factory=set)  # fields whose length is checked already

    def p(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return "$" + name

    def has(self, name: str) -> bool:
        return name in self.det.mapping and self.det.mapping[name] in self.raw.columns

    def clean_col(self, column: str) -> str:
        """Alias of the cleaned text of a source column (added to CTE c once)."""
        if column not in self.cleaned:
            self.cleaned[column] = f"c{len(self.cleaned)}"
        return self.cleaned[column]

    def text(self, name: str) -> str:
        """The cleaned cells of the column mapped to field ``name``, bounded in length by what the field holds, with
        the column's own stand-ins for "missing" (?, --, <none>...) read as missing."""
        if not self.has(name):
            return "CAST(NULL AS VARCHAR)"
        column = self.det.mapping[name]
        t = self.clean_col(column)
        if name not in self.bounded:
            self.bounded.add(name)
            most, one_line, what = limits.field_bound(_FIELD_TYPES.get(name, "text"), name)
            self.reject(f"strlen({t}) > {most} AND length({t}) > {most}",
                        f"{column!r} is too long for a {what} (at most {most:,} characters)", column,
                        f"CAST(length({t}) AS VARCHAR) || ' characters: ' || left({t}, 40)")
            if one_line and _has_line_break(self.raw.table[column]):
                self.reject(self._swallowed(t, name), f"{column!r} holds a line break followed by what reads as "
                            f"another record, which a {what} cannot hold (a quote that is never closed pulls the "
                            "next lines into one cell)", column, f"left({t}, 80)")
        sentinels = getattr(self.det, "sentinels", {}).get(column)
        if sentinels:
            return f"CASE WHEN {t} IN (SELECT unnest({self.p(sentinels)})) THEN NULL ELSE {t} END"
        return t

    def label(self, name: str) -> str:
        """:meth:`text` for a label stored as written (a category, a group, an assignee, a plan...). A label that
        spans several lines in the source lists one item per line (GLPI's several technicians, a workbook cell's
        Alt+Enter): the lines are stored joined by ", ", each trimmed, blank ones left out, never with the break."""
        t = self.text(name)
        return self.one_line(t, self.det.mapping[name]) if self.has(name) else t

    def one_line(self, t: str, column: str) -> str:
        """SQL: the text ``t`` of source column ``column`` on one line: its lines joined by ", ", each trimmed, blank
        ones left out (only a column whose cells hold a line break pays for the rewrite)."""
        if not _has_line_break(self.raw.table[column]):
            return t
        return f"regexp_replace({t}, '\\s*[\\r\\n]\\s*', ', ', 'g')"

    def _swallowed(self, t: str, name: str) -> str:
        """SQL: the one-line value ``t`` holds records pulled in by a stray quote. An id holds no line break at all;
        a label may list values one per line (GLPI's several assignees, a workbook cell's Alt+Enter), but not a
        line with the file's delimiter as often as a record has it (twice, or once in a two-column file)."""
        breaks = f"(contains({t}, chr(10)) OR contains({t}, chr(13)))"
        if _FIELD_TYPES.get(name) == "id":
            return breaks
        if not self.raw.delimiter:  # a workbook or JSON: no quote can pull records into a cell
            return "false"
        d = f"[{self.raw.delimiter}]"  # , ; tab | stand for themselves in a class
        line = "[^\r\n]*"
        record = line.join(["[\r\n]", d] + ([d] if len(self.raw.columns) > 2 else []))
        return f"{breaks} AND regexp_matches({t}, {self.p(record)})"

    def value(self, hint: str, expr: str) -> str:
        """Name an intermediate value (computed once in CTE v); returns its alias."""
        alias = f"v{len(self.values)}_{hint.split('_')[-1]}"
        self.values.append((alias, expr))
        return alias

    def reject(self, condition: str, reason: str, field_name: str | None, value_expr: str | None) -> None:
        self.checks.append((condition, reason, field_name, value_expr))

    # --- typed values ---------------------------------------------------------------------------------
    def timestamp(self, name: str, *, required: bool = False) -> str:
        if not self.has(name):
            return "CAST(NULL AS TIMESTAMP)"
        column = self.det.mapping[name]
        sample = self.raw.head(5_000).data[column]
        fmt = parse.infer_date_format(sample, prefer_day_first=self.day_first)
        t = self.text(name)
        if fmt is None:
            example = next((v for v in sample if str(v).strip()), "")
            message = f"{column!r} does not hold dates in a format we read (e.g. {example!r})"
            if required:
                raise ImportRefused(message + "; map another column or fix the export.")
            self.warnings.append(message + "; the column was ignored.")
            return "CAST(NULL AS TIMESTAMP)"
        if fmt.ambiguous and self.day_first is None:
            self.ambiguous.append(column)
        self.formats[column] = fmt.fmt
        parsed_sql = self._parse_sql(t, fmt)
        clock = f"{name}_time"
        if self.has(clock):  # the time of day is in its own column (09:41, 9:41 PM or an Excel day fraction)
            tt = self.text(clock)
            fraction = f"TRY_CAST({tt} AS DOUBLE)"
            hms = (f"coalesce(TRY_CAST(try_strptime(upper({tt}), ['%I:%M:%S %p', '%I:%M %p', '%H:%M:%S', '%H:%M']) "
                   f"AS TIME), CAST(NULL AS TIME))")
            offset = (f"coalesce(to_microseconds(CAST(({fraction} - floor({fraction})) * 86400000000 AS BIGINT)), "
                      f"to_microseconds(epoch_us(CAST('1970-01-01 ' || CAST({hms} AS VARCHAR) AS TIMESTAMP))), "
                      f"INTERVAL 0 SECOND)")
            parsed_sql = f"({parsed_sql} + {offset})"
        parsed = self.value("ts", parsed_sql)
        self.reject(f"{t} IS NOT NULL AND {parsed} IS NULL", f"{column!r} is not a date in the column's format "
                    f"({fmt.fmt})", column, t)
        if required and self.latest is not None:
            # a ticket cannot be created (a change cannot happen) after the export was made
            self.reject(f"{parsed} > {self.p(self.latest)}", f"{column!r} is in the future", column, t)
        # placeholders for "never" are missing values, not dates: Zendesk's 1900-01-01 and the Unix epoch itself
        # (1970-01-01 00:00:00, what a zero timestamp turns into)
        return (f"CASE WHEN {parsed} < TIMESTAMP '1901-01-01' OR {parsed} = TIMESTAMP '1970-01-01 00:00:00' "
                f"THEN NULL ELSE {parsed} END")

    def _parse_sql(self, t: str, fmt: parse.DateFormat) -> str:
        if fmt.leading:  # the date opens a longer value: read that part
            t = f"coalesce(nullif(regexp_extract({t}, {self.p(parse.LEADING_DATE)}, 1), ''), {t})"
        if fmt.fmt == "ISO8601":
            tz_name, tz_offset = self.p(TZ_NAME), self.p(TZ_OFFSET)
            text = f"regexp_replace(regexp_replace({t}, {tz_name}, 'Z'), {tz_offset}, '\\1:\\2')"
            # the plain cast reads naive values (in the session zone: the source's) and "+01:00"-style offsets;
            # "... -0800" needs the rewrite
            general = (f"timezone('UTC', coalesce(TRY_CAST({t} AS TIMESTAMPTZ), "
                       f"TRY_CAST({text} AS TIMESTAMPTZ)))")
            if self.timezone != "UTC":
                return general
            # most exports write plain "YYYY-MM-DD HH:MM:SS" (already UTC here): a strict strptime reads those at
            # a quarter of the zone-aware cast's cost; anything else (fractions, offsets, Z) falls through to it
            return f"coalesce(try_strptime({t}, {self.p(PLAIN_ISO)}), {general})"
        if fmt.months:  # month names in the file's language -> English abbreviations, then the usual format
            folded = f"strip_accents(lower({t}))"
            for pattern, english in parse.month_rules(fmt.months):
                folded = f"regexp_replace({folded}, {self.p(pattern)}, {self.p(english)}, 'g')"
            t = folded
        if fmt.fmt == "excel_serial":
            return f"(TIMESTAMP '1899-12-30' + to_microseconds(CAST(TRY_CAST({t} AS DOUBLE) * 86400000000 AS BIGINT)))"
        if fmt.fmt in {"epoch_s", "epoch_ms"}:
            scale = 1000.0 if fmt.fmt == "epoch_ms" else 1.0
            return f"timezone('UTC', to_timestamp(TRY_CAST({t} AS DOUBLE) / {scale}))"
        parsed = f"try_strptime({t}, {self.p(fmt.fmt)})"
        if self.timezone != "UTC":  # local wall-clock times -> UTC (the session zone is the source's)
            return f"timezone('UTC', CAST({parsed} AS TIMESTAMPTZ))"
        return parsed

    def number(self, name: str) -> str:
        if not self.has(name):
            return "CAST(NULL AS DOUBLE)"
        column, t = self.det.mapping[name], self.text(name)
        noise = self.p(NUMBER_NOISE)
        stripped = f"regexp_replace({t}, {noise}, '', 'g')"
        if self.raw.delimiter == ";":  # decimal comma files: 1.234,5
            stripped = f"replace(replace({stripped}, '.', ''), ',', '.')"
            plain = f"TRY_CAST(replace({t}, ',', '.') AS DOUBLE)"
        else:  # 1,234.5
            stripped = f"replace({stripped}, ',', '')"
            plain = f"TRY_CAST({t} AS DOUBLE)"
        # most cells are plain numbers; only the others pay for the clean-up
        alias = self.value("num", f"coalesce({plain}, TRY_CAST({stripped} AS DOUBLE))")
        self.reject(f"{t} IS NOT NULL AND {alias} IS NULL", f"{column!r} is not a number", column, t)
        return alias

    def duration(self, name: str) -> str:
        """'H:MM' (Jira SLA; negative = breached), 'H:MM:SS' or plain minutes -> minutes."""
        if not self.has(name):
            return "CAST(NULL AS DOUBLE)"
        column, t = self.det.mapping[name], self.text(name)
        pattern = self.p(HOURS_MINUTES)
        hms = (f"(TRY_CAST(regexp_extract({t}, {pattern}, 2) AS DOUBLE) * 60 "
               f"+ TRY_CAST(regexp_extract({t}, {pattern}, 3) AS DOUBLE) "
               f"+ coalesce(TRY_CAST(regexp_extract({t}, {pattern}, 4) AS DOUBLE), 0) / 60)")
        expr = (f"CASE WHEN regexp_matches({t}, {pattern}) THEN (CASE WHEN regexp_extract({t}, {pattern}, 1) = '-' "
                f"THEN -1 ELSE 1 END) * {hms} ELSE TRY_CAST({t} AS DOUBLE) END")
        alias = self.value("minutes", expr)
        self.reject(f"{t} IS NOT NULL AND {alias} IS NULL", f"{column!r} is not a duration (H:MM)", column, t)
        return alias

    def derive(self, source_alias: str, fn: Callable[[list[Any]], pa.Array], hint: str = "d") -> str:
        """A column computed once per distinct value of a cleaned column (in Arrow, before the query).

        ``fn`` receives the distinct values (None for missing) and returns an Arrow array aligned with them.
        Statuses, channels, priorities, ratings and tag lists have few distinct values, so this costs little.
        """
        if source_alias.startswith("CAST(NULL"):
            source_alias = self._null_source()
        alias = f"d{len(self.derived)}_{hint}"
        self.derived[alias] = (source_alias, fn)
        return alias

    def _null_source(self) -> str:
        if "__null__" not in self.cleaned:
            self.cleaned["__null__"] = f"c{len(self.cleaned)}"
        return self.cleaned["__null__"]

    def classify(self, t: str, rules: list[tuple[str, str]], fallback: str | None) -> str:
        """First matching (regex, label) per distinct value; ``fallback`` for unmatched text; NULL stays NULL."""
        compiled = [(re.compile(pattern), label) for pattern, label in rules]

        def label_of(values: list[Any]) -> pa.Array:
            out: list[str | None] = []
            for value in values:
                if value is None:
                    out.append(None)
                    continue
                text = vocab.fold(str(value))
                out.append(next((lab for rx, lab in compiled if rx.search(text)), fallback))
            return pa.array(out, pa.string())

        return self.derive(t, label_of, "class")

    def attributes(self, keep_pii: bool, pii: Any) -> str:
        """Unmapped columns as one JSON object (PII-looking columns left out unless kept)."""
        mapped = {col for name, col in self.det.mapping.items() if not name.startswith("sla_")}
        extra = [c for c in self.raw.columns if c not in mapped and not c.startswith("column_")]
        if not keep_pii:
            dropped = [c for c in extra if pii.search(c)]
            if dropped:
                self.warnings.append(f"Not stored (personal data): {', '.join(dropped)}.")
            extra = [c for c in extra if c not in dropped]
        if not extra:
            return "CAST(NULL AS VARCHAR)"
        cells = [self.clean_col(c) for c in extra]
        most = limits.TEXT_CHARS
        self.reject(f"greatest({', '.join(f'strlen({c})' for c in cells)}) > {most} AND "
                    f"greatest({', '.join(f'length({c})' for c in cells)}) > {most}",
                    f"a value in a column that is kept as an attribute is longer than {most:,} characters", None,
                    None)
        pairs = ", ".join(f"{self.p(c)}, {self._attribute_value(c)}" for c in extra)
        return f"CAST(json_object({pairs}) AS VARCHAR)"

    def _attribute_value(self, column: str) -> str:
        """A column of numbers (age, tenure, balance...) stays numeric in the attributes; anything else is text, on
        one line as a label is (an attribute is a filter and a column of its own: "Silver, tier", not a line
        break)."""
        cell = self.clean_col(column)
        if column not in getattr(self.det, "numbers", ()):
            return self.one_line(cell, column)
        decimal = f"replace({cell}, ',', '.')" if self.raw.delimiter == ";" else cell
        whole = f"CASE WHEN regexp_full_match({cell}, '[-+]?[0-9]+') THEN to_json(TRY_CAST({cell} AS BIGINT)) END"
        return f"coalesce({whole}, to_json(TRY_CAST({decimal} AS DOUBLE)), to_json({cell}))"

    # --- assembly -------------------------------------------------------------------------------------
    def sql(self, outputs: list[tuple[str, str]], key: str | None, newest: str | None) -> str:
        v_select = ", ".join(["*"] + [f"{expr} AS {alias}" for alias, expr in self.values])
        out_select = ", ".join(f"{expr} AS {q(name)}" for name, expr in outputs)
        # the first failing check of each row, found once; its reason, field and value looked up from that
        first = " ".join(f"WHEN {cond} THEN {i}" for i, (cond, _, _, _) in enumerate(self.checks, start=1))
        reasons = self.p([r for _, r, _, _ in self.checks])
        fields = self.p([f for _, _, f, _ in self.checks])
        value = " ".join(f"WHEN {i} THEN {v}" for i, (_, _, _, v) in enumerate(self.checks, start=1) if v)
        checked = (f"list_extract({reasons}, _check) AS _reason, list_extract({fields}, _check) AS _field, "
                   + (f"CASE _check {value} END AS _value" if value else "CAST(NULL AS VARCHAR) AS _value")
                   if self.checks else "NULL AS _reason, NULL AS _field, NULL AS _value")
        check = f"CASE {first} END" if self.checks else "NULL"
        core = f"""
            WITH c AS (SELECT * FROM raw),
            v AS (SELECT {v_select}, {check} AS _check FROM c),
            o AS (SELECT _row, {out_select}, {checked} FROM v)
        """
        if key is None:
            return core + " SELECT * FROM o"
        order = f"{q(newest)} DESC NULLS LAST, " if newest else ""
        dup = self.p("duplicate id in this file; the newer row of the same id was kept")
        return core + f"""
            , ranked AS (
                SELECT *, row_number() OVER (
                    PARTITION BY {q(key)}, (_reason IS NULL) ORDER BY {order}_row DESC) AS _rank
                FROM o)
            SELECT * EXCLUDE (_rank, _reason, _field, _value),
                CASE WHEN _reason IS NULL AND _rank > 1 AND {q(key)} IS NOT NULL THEN {dup} ELSE _reason END
                    AS _reason,
                CASE WHEN _reason IS NULL AND _rank > 1 THEN {self.p(self.det.mapping.get(key, key))}
                    ELSE _field END AS _field,
                _value
            FROM ranked ORDER BY _row
        """

    def has_duplicates(self, key: str) -> bool:
        """Whether the file repeats an id (as cleaned: " 7" is "7"; missing ids are no repeat): only then is
        ranking needed."""
        column = self.det.mapping.get(key)
        if column is None or column not in self.raw.columns:
            return False
        return has_repeats(clean_cells(self.raw.table[column]))


def _has_line_break(column: pa.ChunkedArray) -> bool:
    """Whether any cell of a column may hold a line break (its text bytes hold one): only then is it checked row
    by row."""
    for chunk in column.chunks:
        data = chunk.buffers()[2] if chunk.type == pa.string() and len(chunk.buffers()) > 2 else None
        if data is None:
            if chunk.type != pa.string():
                return True  # not plain strings: check every row
            continue
        text = np.frombuffer(data, dtype=np.uint8)
        if bool((text == 10).any()) or bool((text == 13).any()):
            return True
    return False


def has_repeats(ids: pa.ChunkedArray | pa.Array) -> bool:
    """Whether a column of ids repeats a (non-null) value."""
    if ids.null_count:
        ids = pc.drop_null(ids)
    present = len(ids)
    try:  # numeric ids (most vendors): sorting integers is several times cheaper than hashing strings
        pc.cast(ids.slice(0, 1000), pa.int64())  # (a failed cast still parses every value: text ids fail here)
        numbers = pc.cast(ids, pa.int64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    else:
        if bool(np.all(numbers[1:] > numbers[:-1])):  # strictly increasing, as exports usually are
            return False
        # "7" and "007" are one number but two ids: a repeat here only means the ranking runs
        ordered = np.sort(numbers)
        return bool(np.any(ordered[1:] == ordered[:-1]))
    if present > 1 and pc.all(pc.less(ids.slice(0, present - 1), ids.slice(1))).as_py():
        return False  # text ids in ascending order (INC0010001, INC0010002...): none repeats
    # text ids (Jira keys, ServiceNow numbers, GUIDs) in any order: DuckDB counts them on every core (Arrow's
    # count_distinct takes one: 1.4 s for a million, against 0.15 s); strings compare byte by byte in both
    (distinct,) = aggregate(pa.table({"id": ids}), "SELECT count(DISTINCT id) FROM t")
    return bool(distinct < present)


def clean_cells(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Trim (any Unicode whitespace) and turn missing-value tokens (NA, N/A, blank, -, ...) into nulls."""
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([_clean_chunk(chunk) for chunk in column.chunks], column.type)
    return _clean_chunk(column)


_TOKENS = pa.array(sorted(MISSING_TOKENS), pa.string())
_TOKEN_BYTES = max(len(t.encode()) for t in MISSING_TOKENS)
_NULL = pa.scalar(None, pa.string())


def _clean_chunk(cells: pa.Array) -> pa.Array:
    """:func:`clean_cells` of one array. Most cells need nothing: when no cell starts or ends with a space, a
    control or a non-ASCII byte (which could be whitespace), nothing is trimmed, and only cells as short as a
    missing-value token are looked up, so a column of long texts is neither copied nor hashed."""
    if cells.type != pa.string() or cells.null_count or len(cells) == 0:
        return _clean_slow(cells)
    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int32)[cells.offset:cells.offset + len(cells) + 1]
    data = cells.buffers()[2]
    lengths = np.diff(offsets)
    filled = lengths > 0
    if data is not None and filled.any():
        text = np.frombuffer(data, dtype=np.uint8)
        ends = np.concatenate([text[offsets[:-1][filled]], text[offsets[1:][filled] - 1]])
        if bool(((ends <= 0x20) | (ends >= 0x80)).any()):
            return _clean_slow(cells)
    short = np.flatnonzero(lengths <= _TOKEN_BYTES)
    if len(short) == 0:
        return cells
    missing = short[pc.is_in(cells.take(pa.array(short)), value_set=_TOKENS).to_numpy(zero_copy_only=False)]
    if len(missing) == 0:
        return cells
    mask = np.zeros(len(cells), dtype=bool)
    mask[missing] = True
    return pc.if_else(pa.array(mask), _NULL, cells)


def _clean_slow(cells: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(cells)
    return pc.if_else(pc.is_in(trimmed, value_set=_TOKENS), _NULL, trimmed)


def _clean_encoded(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, pa.Array]:
    """(indices, cleaned dictionary) of a column: each distinct value is trimmed and checked once."""
    whole = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(whole)
    return encoded.indices, clean_cells(encoded.dictionary)


def _input_table(query: Query) -> pa.Table:
    """``_row`` + the cleaned cells of every used column + the per-distinct-value derivations.

    Arrow kernels release the GIL, so columns are cleaned and dictionary-encoded on a small thread pool. A
    column something is derived from is dictionary-encoded raw and cleaned once per distinct value: one
    encoding serves both.
    """
    n = query.raw.num_rows
    columns: dict[str, Any] = {"_row": pa.array(np.arange(n, dtype=np.int64))}
    encodings: dict[str, tuple[pa.Array, pa.Array]] = {}  # alias -> (indices, cleaned dictionary)
    sources = {source for source, _ in query.derived.values()}

    def cleaned(item: tuple[str, str]) -> tuple[str, Any, tuple[pa.Array, pa.Array] | None]:
        col, alias = item
        if col == "__null__":
            return alias, pa.nulls(n, pa.string()), None
        raw = query.raw.table[col]
        if alias in sources:
            indices, dictionary = _clean_encoded(raw)
            return alias, _decoded(indices, dictionary), (indices, dictionary)
        return alias, clean_cells(raw), None  # chunked as parsed: no copy of a text column

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for alias, values, encoding in pool.map(cleaned, query.cleaned.items()):
            columns[alias] = values
            if encoding is not None:
                encodings[alias] = encoding
    for source in sources - encodings.keys():  # only the all-missing stand-in column
        encoded = pc.dictionary_encode(columns[source])
        encodings[source] = (encoded.indices, encoded.dictionary)
    for alias, (source, fn) in query.derived.items():
        indices, dictionary = encodings[source]
        mapped = fn(dictionary.to_pylist())
        columns[alias] = _decoded(indices, mapped)
        if indices.null_count:  # missing cells: the function's answer for None
            missing_value = fn([None])[0]
            columns[alias] = pc.if_else(pc.is_null(indices), missing_value, pc.take(mapped, indices))
    return pa.table(columns)


def _decoded(indices: pa.Array, values: pa.Array) -> pa.Array:
    """``values[indices]`` as a dictionary array: DuckDB reads it as the plain column, with nothing copied."""
    if indices.null_count:
        return pc.take(values, indices)
    return pa.DictionaryArray.from_arrays(indices, values)


@dataclass
class Result:
    good: pa.Table
    rejects: pd.DataFrame  # row, field, reason, raw


def run(query: Query, outputs: list[tuple[str, str]], *, key: str | None = None,
        newest: str | None = None, keep_row: bool = False) -> Result:
    """Execute the query on the raw table; split loadable rows from rejects.

    ``keep_row``: the loadable rows keep ``_row``, their 0-based data row in the file (imports in parts use it).
    """
    table = _input_table(query)
    if key is not None and not query.has_duplicates(key):
        key = None  # no repeated id: no ranking (and no sort) needed
    sql = query.sql(outputs, key, newest)
    conn = db.scratch(query.timezone)
    try:
        conn.register("raw", table)
        used = set(re.findall(r"\$(p\d+)\b", sql))  # parameters made for expressions the query left out
        # in as few batches as the query's threads make (at most one per thread, not one per 131,072 rows): the
        # write hands DuckDB whole row groups, and rows are copied only across a boundary between batches
        result = conn.sql(sql, params={k: v for k, v in query.params.items() if k in used}).to_arrow_table(
            max(table.num_rows, 1))
    finally:
        conn.close()
    bad_mask = pc.is_valid(result["_reason"])
    if pc.any(bad_mask).as_py():
        bad, good = result.filter(bad_mask), result.filter(pc.invert(bad_mask))
    else:  # nothing rejected: no copy
        bad, good = result.slice(0, 0), result
    good = good.drop_columns(["_reason", "_field", "_value"] if keep_row else ["_row", "_reason", "_field", "_value"])
    rejects = pd.DataFrame({
        "row": bad["_row"].to_numpy(),
        "field": bad["_field"].to_pylist(),
        "reason": bad["_reason"].to_pylist(),
        "raw": bad["_value"].to_pylist(),
    })
    return Result(good, rejects)


def aggregate(table: pa.Table, sql: str, params: dict[str, Any] | None = None) -> tuple[Any, ...]:
    """One row of aggregates over an Arrow table named ``t`` (warnings, date ranges)."""
    conn = db.scratch()
    try:
        conn.register("t", table)
        row = conn.execute(sql, params or {}).fetchall()
    finally:
        conn.close()
    return tuple(row[0]) if row else ()


def file_day_first(raw: RawTable, det: Detection) -> bool | None:
    """One day order per file: DD/MM if a date column can only be read that way, MM/DD likewise."""
    seen: set[bool] = set()
    sample = raw.head(5_000).data
    for name, col in det.mapping.items():
        if _FIELD_TYPES.get(name) == "timestamp" and col in sample.columns:
            fmt = parse.infer_date_format(sample[col])
            if fmt is not None and fmt.day_first is not None and not fmt.ambiguous:
                seen.add(fmt.day_first)
    return True if seen == {True} else (False if seen == {False} else None)


def date_span(table: pa.Table, column: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if table.num_rows == 0:
        return None
    bounds = pc.min_max(table[column])
    lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
    if lo is None or hi is None:
        return None
    return pd.Timestamp(lo), pd.Timestamp(hi)


def this_year() -> int:
    return dt.datetime.now(dt.UTC).year
