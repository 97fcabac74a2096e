"""The CSV reader against Python's csv module, the reference: every record, every cell and every line number,
whatever the parse block size and wherever a quoted line break falls; a quote that never closes is reported with
its line and swallows nothing.

Before the body was cut where records end, a quoted value across a block boundary was read as two malformed rows
that were skipped: ``test_quoted_line_breaks_across_every_block_boundary`` loses a record at every boundary there.
"""

from __future__ import annotations

import csv
import io
import itertools
import random

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx_metrics.ingest import reader, records
from cx_metrics.ingest.reader import RawTable, read_table

HEADER = ["id", "text", "n"]
# cells with commas, quotes, both line endings and non-ASCII text; no other delimiter, no header words
CELL = st.lists(st.sampled_from([*"ab c,\"é\n", "\r\n", "z" * 7]), max_size=12).map("".join)


def reference(data: bytes) -> list[tuple[int, list[str]]]:
    """(line where it starts, cells) of every non-empty record, as Python's csv module reads the file."""
    out = []
    parser = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    line = 0
    for row in parser:
        start, line = line + 1, parser.line_num
        if row:
            out.append((start, row))
    return out


def write(rows: list[list[str]], ending: str = "\n", blank_after: frozenset[int] = frozenset()) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=ending)
    writer.writerow(HEADER)
    for i, row in enumerate(rows):
        writer.writerow(row)
        if i in blank_after:
            buffer.write(ending)
    return buffer.getvalue().encode("utf-8")


def read(data: bytes, block: int) -> RawTable:
    """The records as parsed (a footer, read from their shape after parsing, is tested in test_footer.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "BLOCK_SIZE", block)
        return read_table(data, name="t.csv", ends_file=False)


def assert_same_as_reference(data: bytes, block: int) -> None:
    expected = reference(data)[1:]
    raw = read(data, block)
    rows = [(line, cells) for line, cells in expected if len(cells) == len(HEADER)]
    ragged = [line for line, cells in expected if len(cells) != len(HEADER)]
    got_cells = [list(r.values()) for r in raw.table.to_pylist()]
    assert got_cells == [cells for _, cells in rows]
    assert raw.lines_of(range(raw.num_rows)).tolist() == [line for line, _ in rows]
    assert sorted(line for line, _, _ in raw.ragged) == ragged


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=40),
       ending=st.sampled_from(["\n", "\r\n"]), blank_after=st.frozensets(st.integers(0, 39), max_size=3),
       block=st.integers(1, 600))
def test_any_well_formed_file_reads_as_pythons_csv_module_at_any_block_size(
        rows: list[list[str]], ending: str, blank_after: frozenset[int], block: int) -> None:
    """Rows of other widths are reported with their line; blank lines are skipped; cells and lines are exact."""
    assert_same_as_reference(write(rows, ending, blank_after), block)


def straddling(block: int, filler: list[str]) -> bytes:
    """A file whose body has a quoted line break as the last byte before every multiple of ``block`` bytes (where
    a block that splits at its last line break cuts the value in two): each record's text is padded to put it
    there."""
    body = bytearray()
    i = 0
    while len(body) < 12 * block:
        boundary = (len(body) // block + 1) * block
        prefix = b'%d,"' % i
        room = boundary - 1 - len(body) - len(prefix)
        if room < 0:  # the id itself would cross the boundary: a plain record first
            body += b"%d,plain,0\n" % i
        else:
            pad = (filler[i % len(filler)].replace('"', '""') * block).encode()[:room]
            if (len(pad) - len(pad.rstrip(b'"'))) % 2:
                pad = pad[:-1]  # never half of a doubled quote
            pad += b"x" * (room - len(pad))
            second = "é" + filler[(i + 1) % len(filler)].replace('"', '""')
            body += prefix + pad + b"\n" + second.encode() + b'",%d\n' % i
        i += 1
    return write([]) + bytes(body)


@pytest.mark.parametrize("block", [64, 257, 1000, 4096])
@settings(max_examples=10, deadline=None)
@given(filler=st.lists(st.text(alphabet="ab ,\"", min_size=1, max_size=8), min_size=1, max_size=4))
def test_quoted_line_breaks_across_every_block_boundary(block: int, filler: list[str]) -> None:
    data = straddling(block, filler)
    body = data[data.index(b"\n") + 1:]
    for boundary in range(block, len(body), block):  # the construction does what it says
        assert body[boundary - 1] == ord("\n") and body[:boundary].count(b'"') % 2 == 1
    assert_same_as_reference(data, block)
    assert len(read(data, block).table) == len(reference(data)) - 1


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=2, max_size=30), data=st.data(),
       block=st.integers(1, 400))
def test_a_quote_that_never_closes_is_reported_and_swallows_nothing(rows: list[list[str]], data: st.DataObject,
                                                                    block: int) -> None:
    """One unquoted cell of one record gets an opening quote that is never closed. That record is reported with
    its line, or read as a spreadsheet reads it with a warning when the stray quote ends on its own line; every
    other record is read exactly as before (quoted cells start with a letter, so the quote that would have
    "closed" the stray one is followed by text)."""
    rows = [[("q" + c) if any(ch in c for ch in ',"\r\n') else c for c in row] for row in rows]
    k = data.draw(st.integers(0, len(rows) - 1))
    plain = [j for j, c in enumerate(rows[k]) if not any(ch in c for ch in ',"\r\n')]
    if not plain:
        return
    j = data.draw(st.sampled_from(plain))
    clean = write(rows)
    expected = reference(clean)[1:]
    start_k = expected[k][0]
    end_k = expected[k + 1][0] - 1 if k + 1 < len(expected) else start_k + clean.count(b"\n")
    broken_rows = [list(r) for r in rows]
    broken_rows[k][j] = "\x00" + broken_rows[k][j]  # a marker csv.writer leaves unquoted
    broken = write(broken_rows).replace(b"\x00", b'"')
    raw = read(broken, block)
    kept = [(line, cells) for i, (line, cells) in enumerate(expected) if i != k]
    got = list(zip(raw.lines_of(range(raw.num_rows)).tolist(), [list(r.values()) for r in raw.table.to_pylist()],
                   strict=True))
    loose = [(line, cells) for line, cells in got if start_k <= line <= end_k]
    assert [entry for entry in got if entry not in loose] == kept
    reported = sorted(line for line, _, _ in raw.ragged)
    assert all(start_k <= line <= end_k for line in reported)
    assert start_k in reported or (loose and any("after its closing quote" in w for w in raw.warnings))


def test_an_unclosed_quote_is_reported_with_its_line_and_the_records_after_it_load() -> None:
    data = (b"Ticket ID,Created at,Category\n"
            b'1,2024-01-02,"billing\n'
            b"2,2024-01-03,refund\n"
            b'3,2024-01-04,"tech"\n'
            b'4,2024-01-05,"never\n'
            b"5,2024-01-06,done\n")
    raw = read_table(data, name="t.csv")
    assert raw.table.to_pylist() == [{"Ticket ID": "2", "Created at": "2024-01-03", "Category": "refund"},
                                     {"Ticket ID": "3", "Created at": "2024-01-04", "Category": "tech"},
                                     {"Ticket ID": "5", "Created at": "2024-01-06", "Category": "done"}]
    assert raw.lines_of([0, 1, 2]).tolist() == [3, 4, 6]
    (line2, why2, text2), (line5, why5, text5) = raw.ragged
    assert (line2, line5) == (2, 5)
    assert "never closed" in why2 and "the next 2 lines" in why2 and text2 == '1,2024-01-02,"billing'
    assert "to the end of the file" in why5 and text5 == '4,2024-01-05,"never'


def test_pieces_end_where_records_end() -> None:
    data = b'1,"a\nb"\n2,plain\n3,"c\nd\ne"\n4,x\n'
    structure = records.scan(data, 0, len(data), ",")
    for target in range(1, len(data) + 1):
        spans = structure.pieces(data, 0, target)
        assert spans[0][0] == 0 and spans[-1][1] == len(data)
        for (_, stop), (begin, _) in itertools.pairwise(spans):
            assert stop == begin and data[stop - 1:stop] == b"\n" and data[:stop].count(b'"') % 2 == 0


def test_rows_taken_from_a_table_in_chunks_are_the_rows_asked_for_in_their_order() -> None:
    """reader.take_rows picks rows chunk by chunk (Arrow's take would first join every chunk of a large file); the
    rows, their order, repeats, nulls and empty chunks are exactly what Table.take gives."""
    rng = random.Random(3)
    schema = pa.schema([("text", pa.string()), ("n", pa.int64())])
    for _ in range(400):
        batches, total = [], 0
        for size in [rng.randint(0, 6) for _ in range(rng.randint(1, 5))]:
            batches.append(pa.record_batch({"text": [None if rng.random() < 0.1 else f"v{total + i}"
                                                     for i in range(size)],
                                            "n": list(range(total, total + size))}, schema=schema))
            total += size
        table = pa.Table.from_batches(batches, schema=schema)
        rows = [rng.randrange(total) for _ in range(rng.randint(0, 12))] if total else []
        picked = reader.take_rows(table, rows)
        assert picked.schema == schema
        assert picked.to_pylist() == table.take(pa.array(rows, pa.int64())).to_pylist()


@settings(max_examples=300, deadline=None)
@given(body=st.lists(st.sampled_from([b"a", b",", b"\r", b"\n", b"\r\n", b"\x00", b'"', "é".encode()]), max_size=60)
       .map(b"".join), cut=st.data())
def test_byte_counts_of_a_span_are_those_python_counts(body: bytes, cut: st.DataObject) -> None:
    """The one numpy pass a parse piece makes (off the GIL) counts what ``bytes.count`` counts, whatever the span:
    a CRLF whose LF lies just past the span's end counts as one, as the line count of the span needs, and the step
    size of the pass (forced small here) changes nothing."""
    begin = cut.draw(st.integers(0, len(body)))
    end = cut.draw(st.integers(begin, len(body)))
    want = records.Counts(lf=body.count(b"\n", begin, end), cr=body.count(b"\r", begin, end),
                          crlf=body.count(b"\r\n", begin, min(end + 1, len(body))),
                          nul=body.count(b"\x00", begin, end), delimiter=body.count(b",", begin, end))
    assert records.count_bytes(body, begin, end, ",") == want
    assert want.breaks == records.line_breaks(body, begin, end)
    step, records.STEP_BYTES = records.STEP_BYTES, 3
    try:
        assert records.count_bytes(body, begin, end, ",") == want
    finally:
        records.STEP_BYTES = step
