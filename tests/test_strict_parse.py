"""DuckDB's strict CSV reader (the fast path of reader.parse_body) reads every body exactly as pyarrow does.

Each file is read twice, with DuckDB allowed and with pyarrow alone, and the two readings must agree in every
cell, every row's line, every rejected record and every warning: the fast path may only ever decline a piece
(which pyarrow then parses), never read it differently.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cx_metrics.ingest import reader
from tests.conftest import REALDATA

FIXTURES = Path(__file__).parent / "fixtures"

_HEADER = b"id,subject,status\n"
HOSTILE = {
    "plain": _HEADER + b"1,a,open\n2,b,closed\n",
    "crlf": _HEADER.replace(b"\n", b"\r\n") + b"1,a,open\r\n2,\"multi\r\nline\",closed\r\n",
    "lf_inside_crlf": _HEADER.replace(b"\n", b"\r\n") + b"1,\"one\ntwo\",open\r\n2,b,closed\r\n",
    "mixed_line_ends": _HEADER + b"1,\"a\",open\r\n2,b,closed\n3,c,open\r\n",
    "lone_cr": b"id,subject,status\r1,\"a\",open\r2,b,closed\r",
    "blank_lines": _HEADER + b"1,a,open\n\n\n2,b,closed\n\n",
    "blank_crlf": _HEADER + b"1,a,open\r\n\r\n2,b,closed\r\n",
    "no_final_break": _HEADER + b"1,a,open\n2,b,closed",
    "empty_and_quoted_empty": _HEADER + b"1,,\"\"\n2,\"\",\n",
    "spaces_kept": _HEADER + b"1,  padded  , open \n",
    "doubled_quotes": _HEADER + b"1,\"say \"\"hi\"\"\",open\n",
    "trailing_empty_field": _HEADER + b"1,a,open\n2,b,closed,\n3,c,\n",
    "trailing_empty_last": _HEADER + b"1,a,open\n2,b,closed,",
    "only_delimiters": _HEADER + b",,,\n1,a,\n",
    "quoted_blank_lines": _HEADER + b"1,\"a\",open\n\n\n2,b,closed\n\n",
    "quoted_spaces": _HEADER + b"1,\"  padded  \", open \n",
    "quoted_unicode": _HEADER + "1,\"Überweisung – 日本\",offen\n".encode(),
    "quoted_trailing_empty_field": _HEADER + b"1,\"a\",open\n2,b,closed,\n3,c,\n",
    "quoted_only_delimiters": _HEADER + b",,,\n1,\"a\",\n",
    "short_row": _HEADER + b"1,\"a\",open\n2,b\n3,c,closed\n",
    "long_row": _HEADER + b"1,\"a\",open\n2,b,closed,extra\n3,c,closed\n",
    "stray_quote": _HEADER + b"1,ab\"c,open\n2,b,closed\n",
    "text_after_quote": _HEADER + b"1,\"12\" screen,open\n2,b,closed\n",
    "never_closed": _HEADER + b"1,\"open quote,open\n2,b,closed\n3,c,closed\n",
    "not_utf8_later": _HEADER + b"1,a,open\n" * 10 + b"2,\"caf\xe9\",closed\n",
    "nul_byte": _HEADER + b"1,a\x00b,\"open\"\n2,b,closed\n",
    "one_column_blank": b"id\n1\n\n2\n",
    "semicolons": b"id;subject;status\n1;\"a;b\";open\n2;c;closed\n",
    "tabs": b"id\tsubject\tstatus\n1\ta b\topen\n",
    "unicode": _HEADER + "1,Überweisung – 日本,offen\n".encode(),
    # what lies above the body: DuckDB skips records where Python's csv module counted lines
    "title_above_header": b"Tickets report\n\n" + _HEADER + b"1,\"a\nb\",open\n2,c,closed\n",
    "quoted_header": b'"id","subject","status"\r\n1,"a\r\nb",open\r\n',
    "header_with_line_break": b'id,"sub\nject",status\n1,"a\nb",open\n2,c,closed\n',
    "header_lf_body_crlf": _HEADER + b'1,"a\r\nb",open\r\n2,c,closed\r\n',
}


def _files() -> list[Path]:
    found = sorted(p for p in FIXTURES.rglob("*") if p.suffix.lower() in {".csv", ".tsv", ".txt"})
    if REALDATA.exists():
        found += sorted(p for p in REALDATA.glob("*.csv"))
    return found


def _both(data: bytes, name: str, monkeypatch: pytest.MonkeyPatch,
          folder: Path | None = None) -> tuple[reader.RawTable | str, ...]:
    """(read with DuckDB allowed, read by pyarrow alone, whether DuckDB read a piece); with ``folder``, also (read
    from a file of these bytes, as an import of a file on disk reads it, whether DuckDB read the body whole)."""
    readings: list[reader.RawTable | str] = []
    calls: list[bool] = []
    whole: list[bool] = []
    original, original_whole = reader._StrictReader.read, reader._whole_body

    def counted(self: reader._StrictReader, begin: int, stop: int, has_cr: bool) -> pa.Table | None:
        table = original(self, begin, stop, has_cr)
        calls.append(table is not None)
        return table

    def counted_whole(*args: Any) -> Any:
        body = original_whole(*args)
        whole.append(body is not None)
        return body

    for strict in (True, False):
        with monkeypatch.context() as m:
            m.setattr(reader._StrictReader, "read", counted if strict else lambda *a: None)
            try:
                readings.append(reader.read_table(data, name=name))
            except Exception as exc:  # a refusal must be the same refusal
                readings.append(f"{type(exc).__name__}: {exc}")
    readings.append("strict used" if any(calls) else "strict declined")
    if folder is not None:
        path = folder / name
        path.write_bytes(data)
        with monkeypatch.context() as m:
            m.setattr(reader, "_whole_body", counted_whole)
            try:
                readings.append(reader.read_table(path))
            except Exception as exc:
                readings.append(f"{type(exc).__name__}: {exc}")
        readings.append("whole read" if any(whole) else "whole declined")
    return tuple(readings)


def _same(a: reader.RawTable | str, b: reader.RawTable | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert a.columns == b.columns
    assert a.table.schema == b.table.schema
    assert a.table.to_pydict() == b.table.to_pydict()
    assert a.lines_of(range(a.num_rows)).tolist() == b.lines_of(range(b.num_rows)).tolist()
    assert a.ragged == b.ragged
    assert [str(w) for w in a.warnings] == [str(w) for w in b.warnings]
    assert a.body_breaks == b.body_breaks


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bodies_read_alike(case: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    strict, plain, used, from_file, whole = _both(HOSTILE[case], f"{case}.csv", monkeypatch, tmp_path)
    _same(strict, plain)
    _same(from_file, plain)
    if case in {"crlf", "lf_inside_crlf", "empty_and_quoted_empty", "doubled_quotes", "semicolons",
                "quoted_blank_lines", "quoted_spaces", "quoted_unicode", "title_above_header", "quoted_header"}:
        assert whole == "whole read"  # a file on disk is read by DuckDB in one pass...
    if case in {"header_with_line_break", "header_lf_body_crlf", "short_row", "never_closed", "lone_cr",
                "trailing_empty_field", "quoted_trailing_empty_field", "nul_byte"}:
        assert whole == "whole declined"  # ...unless that reading could differ: then piece by piece, as from bytes
    if case in {"crlf", "lf_inside_crlf", "empty_and_quoted_empty", "doubled_quotes", "semicolons",
                "quoted_blank_lines", "quoted_spaces", "quoted_unicode"}:
        assert used == "strict used"  # the fast path is really taken on well-formed bodies with quoted values
    if case in {"short_row", "long_row", "stray_quote", "text_after_quote", "never_closed", "lone_cr",
                "mixed_line_ends", "nul_byte", "one_column_blank", "plain", "unicode"}:
        assert used == "strict declined"  # ...and declined where pyarrow must report or decide


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_real_files_read_alike(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    strict, plain, _, from_file, _ = _both(path.read_bytes(), path.name, monkeypatch, tmp_path)
    _same(strict, plain)
    _same(from_file, plain)


def test_large_body_in_pieces_reads_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several pieces (each its own DuckDB read), multi-line values across piece sizes, one bad record."""
    monkeypatch.setattr(reader, "PIECE_SIZE", 4096)
    monkeypatch.setattr(reader, "BLOCK_SIZE", 1024)
    rows = [f'{i},"line one\r\nline two of {i}",open' if i % 7 == 0 else f"{i},subject {i},closed"
            for i in range(3000)]
    rows[1500] = "1500,broken"  # a short record: its piece falls back to pyarrow and reports it
    data = ("id,subject,status\r\n" + "\r\n".join(rows) + "\r\n").encode()
    strict, plain, used = _both(data, "pieces.csv", monkeypatch)
    _same(strict, plain)
    assert used == "strict used"
    assert isinstance(strict, reader.RawTable)
    assert [line for line, _, _ in strict.ragged] == [2 + 1500 + 1500 // 7 + 1]


def test_delimiters_in_cells_are_counted_as_cell_by_cell() -> None:
    """The fast path's width check counts the delimiter in the cells' text bytes at once: the same count as cell by
    cell, on slices, with nulls, multi-byte characters and cells of every length."""
    rng = random.Random(7)
    for _ in range(300):
        cells = [None if rng.random() < 0.1 else "".join(rng.choice("a,;|\té\n日") for _ in range(rng.randint(0, 9)))
                 for _ in range(rng.randint(0, 40))]
        array = pa.array(cells, pa.string())
        if len(array) > 2 and rng.random() < 0.5:
            start = rng.randint(0, len(array) - 1)
            array = array.slice(start, rng.randint(0, len(array) - start))
        for delimiter in reader.DELIMITERS:
            expected = int(pc.sum(pc.count_substring(array, delimiter)).as_py() or 0)
            assert reader._byte_count(array, ord(delimiter)) == expected
            assert reader._byte_count(array.fill_null(""), ord(delimiter)) == expected


@pytest.mark.parametrize("case", ["plain", "crlf", "blank_crlf", "nul_byte", "not_utf8_later", "lone_cr"])
def test_a_mapped_file_answers_as_its_bytes(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file on disk is mapped, not copied (reader.file_bytes): each bytes method the reader calls answers alike."""
    data = HOSTILE[case]
    (tmp_path / "f.csv").write_bytes(data)
    mapped = reader.file_bytes(tmp_path / "f.csv")
    assert type(mapped) is not bytes and len(mapped) == len(data) and mapped[:] == data
    for prefix in (b"id", b"x", (b"\xff\xfe", b"id"), (b"a", b"b")):
        assert mapped.startswith(prefix) == data.startswith(prefix)
    assert mapped.isspace() == data.isspace()
    assert [mapped.count(b"\n", s, e) for s, e in ((0, None), (3, 20), (5, 5))] == \
        [data.count(b"\n", s, e) for s, e in ((0, None), (3, 20), (5, 5))]
    assert mapped.index(b",") == data.index(b",")
    # a span longer than the step it is counted in, with a CRLF across a step's edge
    monkeypatch.setattr(reader.records, "STEP_BYTES", 3)
    for sub in (b"\n", b"\r", b"\r\n", b","):
        assert [mapped.count(sub, s, e) for s, e in ((0, None), (1, 17), (2, 2))] == \
            [data.count(sub, s, e) for s, e in ((0, None), (1, 17), (2, 2))]
    with pytest.raises(ValueError):
        mapped.index(b"\x07")
    assert mapped.decode("latin-1") == data.decode("latin-1")
    (tmp_path / "w.json").write_bytes(b' [{"id": 1}]')
    assert type(reader.file_bytes(tmp_path / "w.json")) is bytes  # JSON and workbooks are read into memory
    (tmp_path / "w.txt").write_bytes(b'  {"id": 1}')
    assert type(reader.file_bytes(tmp_path / "w.txt")) is bytes
