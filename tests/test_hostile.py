"""Hostile and broken uploads: each one is refused with a clear sentence or loads safely, and the data afterwards
is exactly what it should be (content checksums of every table), never half-written.

The corpus is listed in one place so its results can be printed for the record:
``python -m pytest tests/test_hostile.py -q -rA`` (or ``python tests/test_hostile.py`` for a table).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.export import to_safe_csv
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.errors import ImportRefused
from cx_metrics.ingest.limits import Limits
from tests.test_ingest import TICKETS_CSV, checksum

HEADER = "Ticket ID,Created at,Status,Channel,Subject\n"


def _zip_bomb(inflated_mb: int) -> bytes:
    """An .xlsx-shaped zip whose one sheet inflates to ``inflated_mb`` MB of zeros from a few hundred KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            block = b"0" * (1024 * 1024)
            for _ in range(inflated_mb):
                sheet.write(block)
    return buffer.getvalue()


def _rows(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


@dataclass(frozen=True)
class Case:
    name: str  # the file name uploaded (its suffix matters)
    data: bytes | Callable[[], bytes]
    refused: str | None = None  # regex the refusal must match; None = it must load
    check: Callable[[db.Connection], None] | None = None  # what must hold after a load
    limits: Limits | None = None

    def payload(self) -> bytes:
        return self.data() if callable(self.data) else self.data


def _one(conn: db.Connection, sql: str) -> object:
    return conn.execute(sql).fetchall()[0][0]


def _formulas_kept_and_guarded(conn: db.Connection) -> None:
    frame = conn.execute("SELECT ticket_id, subject FROM tickets WHERE source = 'hostile' ORDER BY 1").df()
    assert list(frame["subject"]) == ["=cmd|'/C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "=HYPERLINK(\"x\")"]
    exported = pd.read_csv(io.BytesIO(to_safe_csv(frame)), encoding="utf-8-sig", dtype=str)
    assert all(cell.startswith("'") for cell in exported["subject"])  # a spreadsheet shows them as text


def _sql_values_verbatim(conn: db.Connection) -> None:
    assert _one(conn, "SELECT subject FROM tickets WHERE ticket_id = '1; DELETE FROM tickets'") == (
        "'); DROP TABLE tickets; --")
    assert _one(conn, "SELECT count(*) FROM tickets WHERE source = 'file'") == 3  # the earlier import is intact


def _sql_column_name_kept_as_attribute(conn: db.Connection) -> None:
    value = _one(conn, "SELECT json_extract_string(attributes, '$.\"Robert''); DROP TABLE customers;--\"') "
                       "FROM tickets WHERE ticket_id = 'S1'")
    assert value == "bobby"
    assert _one(conn, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'customers'") == 1


def _megabyte_cell(conn: db.Connection) -> None:
    assert _one(conn, "SELECT length(subject) FROM tickets WHERE ticket_id = 'M1'") == 1_000_000


def _last_import(conn: db.Connection) -> tuple[list[str], list[tuple[int, str | None, str]]]:
    """The newest import's warnings and its rejects (line, field, reason)."""
    import_id, warnings = conn.execute("SELECT import_id, warnings FROM imports ORDER BY import_id DESC LIMIT 1"
                                       ).fetchall()[0]
    rejects = conn.execute("SELECT line_number, field, reason FROM import_rejects WHERE import_id = ? "
                           "ORDER BY line_number", [import_id]).fetchall()
    return json.loads(warnings), rejects


def _duplicate_headers(conn: db.Connection) -> None:
    warnings, _ = _last_import(conn)
    repeated = [w for w in warnings if "more than once" in w]
    assert len(repeated) == 1  # one sentence for every copy of every name, not a warning per copy
    assert "2 column names appear more than once: 'Subject' (2 times), 'Tags' (3 times)" in repeated[0]
    assert _one(conn, "SELECT subject FROM tickets WHERE ticket_id = 'D1'") == "first"


def _future_row_rejected(conn: db.Connection) -> None:
    assert _one(conn, "SELECT count(*) FROM tickets WHERE source = 'hostile'") == 2
    reject = conn.execute("SELECT line_number, field, reason FROM import_rejects").fetchall()
    assert len(reject) == 1 and reject[0][:2] == (3, "Created at")
    assert reject[0][2].startswith("'Created at' is in the future")


def _undated(conn: db.Connection) -> None:
    # a zero Unix time is a placeholder, not 1 Jan 1970: kept as an undated ticket, like exports without a date
    assert conn.execute("SELECT ticket_id, created_at FROM tickets WHERE source = 'hostile' ORDER BY 1").fetchall() == [
        ("Z1", None), ("Z2", None)]


def _unterminated_quote(conn: db.Connection) -> None:
    # the record whose quote never closes is rejected with its line (it may be cut short); the others load
    assert conn.execute("SELECT ticket_id, subject FROM tickets WHERE source = 'hostile'").fetchall() == [
        ("Q0", "fine")]
    _, rejects = _last_import(conn)
    assert len(rejects) == 1 and rejects[0][0] == 3 and "never closed" in rejects[0][2]


def _quote_closed_records_later(conn: db.Connection) -> None:
    # '"billing' never closes; read as written, the next quote would close it two lines further and the category
    # would hold two records. The record is rejected with its line; the records after it load as themselves.
    rows = conn.execute("SELECT ticket_id, category FROM tickets WHERE source = 'hostile' ORDER BY 1").fetchall()
    assert rows == [("1", "ok"), ("3", "refund"), ("4", "tech")]
    _, rejects = _last_import(conn)
    assert [r[0] for r in rejects] == [3] and "never closed" in rejects[0][2] and "next 2 lines" in rejects[0][2]


def _quote_closed_cleanly_later(conn: db.Connection) -> None:
    # the stray quote happens to be closed by a quote at the end of a later line: the category would hold a line
    # break and the next record, which no category can; rejected with its line
    rows = conn.execute("SELECT ticket_id, category FROM tickets WHERE source = 'hostile' ORDER BY 1").fetchall()
    assert rows == [("1", "ok"), ("4", "tech")]
    _, rejects = _last_import(conn)
    assert [(r[0], r[1]) for r in rejects] == [(3, "Category")] and "line break" in rejects[0][2]


def _every_record_across_blocks(conn: db.Connection) -> None:
    assert _one(conn, "SELECT count(*) FROM tickets WHERE source = 'hostile'") == _ACROSS_BLOCKS[1]
    assert _one(conn, "SELECT count(*) FROM import_rejects") == 0
    assert _one(conn, "SELECT count(*) FROM tickets WHERE source = 'hostile' AND description LIKE 'Hello%Thanks'"
                ) == _ACROSS_BLOCKS[1]


def _huge_category_rejected(conn: db.Connection) -> None:
    assert conn.execute("SELECT ticket_id FROM tickets WHERE source = 'hostile' ORDER BY 1").fetchall() == [
        ("H1",), ("H3",)]
    _, rejects = _last_import(conn)
    assert [(r[0], r[1]) for r in rejects] == [(3, "Category")]
    assert "too long for a category (at most 255 characters)" in rejects[0][2]
    assert _one(conn, "SELECT max(length(category)) FROM tickets") < 100  # nothing long reaches a filter list


def _epoch_placeholder(conn: db.Connection) -> None:
    assert _one(conn, "SELECT solved_at FROM tickets WHERE ticket_id = 'E1'") is None


def _text_kept(ticket: str, expected: str) -> Callable[[db.Connection], None]:
    def check(conn: db.Connection) -> None:
        assert _one(conn, f"SELECT subject FROM tickets WHERE ticket_id = '{ticket}'") == expected

    return check


def _across_blocks() -> tuple[bytes, int]:
    """A Kaggle-shaped export a little over two parse blocks (16 MiB) long, with a multi-line description across
    each block boundary (how 100,000 tickets once loaded as 99,998)."""
    from cx_metrics.ingest.reader import BLOCK_SIZE

    head = b"Ticket ID,Created at,Status,Channel,Ticket Description\n"
    out, i = bytearray(head), 0
    boundaries = [len(head) + BLOCK_SIZE * k for k in (1, 2)]
    while len(out) < boundaries[-1] + 1000:
        text = "Hello,\n\nmy order {i} has not arrived.\n\nThanks"
        record = f'T{i},2026-03-01 10:00,open,email,"{text.format(i=i)}"\n'.encode()
        nxt = next((b for b in boundaries if b > len(out)), None)
        if nxt is not None and len(out) + len(record) > nxt - 5 and len(out) < nxt - 5:  # break before the boundary
            pad = nxt - 5 - len(out) - len(f'T{i},2026-03-01 10:00,open,email,"Hello,'.encode())
            record = f'T{i},2026-03-01 10:00,open,email,"Hello,{"x" * max(pad, 0)}\n\nThanks"\n'.encode()
        out += record
        i += 1
    return bytes(out), i


_ACROSS_BLOCKS = _across_blocks()
_BILLING = (b"Ticket ID,Created at,Status,Category\n1,2024-01-02 10:00,open,ok\n"
            b'2,2024-01-02 10:00,open,"billing\n3,2024-01-03 10:00,open,refund\n')


def _disguised_formulas_guarded(conn: db.Connection) -> None:
    frame = conn.execute("SELECT ticket_id, subject FROM tickets WHERE source = 'hostile' ORDER BY 1").df()
    kept = [str(v).strip() for v in frame["subject"]]  # stored as imported (the blanks around a cell are trimmed)
    assert kept == ["=1+1", "\uff1d1+1", '=HYPERLINK("x")', "@SUM(A1)", "\uff0bcmd"]
    exported = pd.read_csv(io.BytesIO(to_safe_csv(frame)), encoding="utf-8-sig", dtype=str)
    assert all(cell.startswith("'") for cell in exported["subject"])


def _rejected_line_redacted(conn: db.Connection) -> None:
    (raw,) = conn.execute("SELECT raw_text FROM import_rejects").fetchall()[0]
    assert "jane.roe@example.com" not in raw and "7946 0958" not in raw and "Jane Roe" not in raw
    assert "[email]" in raw and "[phone]" in raw and "[personal data]" in raw


def _personal_answers_not_stored(conn: db.Connection) -> None:
    questions = {q for (q,) in conn.execute("SELECT DISTINCT question FROM survey_answers").fetchall()}
    assert questions == {"What could we improve?"}
    warnings = str(_one(conn, "SELECT warnings FROM imports ORDER BY import_id DESC LIMIT 1"))
    assert "Not stored (personal data): Full name, Your phone number, Home address" in warnings


def _deep_json() -> bytes:
    inner = "1"
    for _ in range(5_000):
        inner = '{"x": ' + inner + "}"
    return ('{"conversations": [{"id": 1, "created_at": "2026-03-01T10:00:00Z", "deep": ' + inner + "}]}").encode()


SMALL = Limits(max_bytes=64 * 1024, max_columns=50, max_unzipped_bytes=8 * 1024 * 1024, max_ratio=100.0)

CORPUS: list[Case] = [
    # --- refused, with what was expected and what was found --------------------------------------------
    Case("empty.csv", b"", refused="empty"),
    Case("blank.csv", b" \r\n\t\n", refused="empty"),
    Case("header_only.csv", HEADER.encode(), refused="no data rows"),
    Case("random.csv", bytes(range(256)) * 64, refused="binary"),
    Case("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16, refused="binary"),
    Case("nul_bytes.csv", b"Ticket ID,Created at\n1,2026-03-01\n2\x00,2026-03-01\x00\x00\x00\n",
         refused="NUL bytes \\(the first on line 3\\)"),
    Case("setup.exe", b"MZ\x90\x00" + b"\x00" * 200, refused="we read CSV"),
    Case("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", refused="we read CSV"),
    Case("bomb.xlsx", lambda: _zip_bomb(24), refused="would expand", limits=SMALL),
    Case("bomb_default_limits.xlsx", lambda: _zip_bomb(64), refused="would expand"),  # 1,000x: by ratio
    Case("truncated.xlsx", b"PK\x03\x04" + b"\x00" * 64, refused="not a readable spreadsheet"),
    Case("truncated.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, refused="not a readable spreadsheet"),
    Case("wide.csv", lambda: (",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("1" * 100_000) + "\n")
         .encode(), refused="100,000 columns"),
    Case("too_big.csv", lambda: _rows(*[f"{i},2026-03-01 10:00,open,email,{'x' * 100}" for i in range(1000)]),
         refused="upload limit", limits=SMALL),
    Case("wrong_kind.csv", b"colour,size\nred,3\nblue,4\n", refused="does not look like"),
    Case("bad_dates.csv", b"Ticket ID,Created at\n1,someday\n2,never\n", refused="does not hold dates"),
    Case("no_ids.csv", b"Ticket ID,Created at\n,2026-03-01\n,2026-03-02\n", refused="none of its 2 rows"),
    Case("all_future.csv", _rows("F1,2099-01-01 10:00,open,email,later", "F2,2199-06-01 10:00,open,chat,much later"),
         refused="is in the future"),
    Case("bad.json", b'{"conversations": [{"id": 1,', refused="not valid JSON"),
    Case("scalar.json", b"[1, 2, 3]", refused="not a list of records"),
    Case("no_records.json", b'{"total": 3, "next_page": null}', refused="no list of records"),
    Case("only_delimiters.csv", b",,,\n,,,\n,,,\n", refused="does not look like|no data rows"),
    Case("qualtrics_headers_only.csv",
         b'ResponseId,Q1\n"Response ID","How likely are you to recommend us?"\n'
         b'"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}"\n', refused="no data rows"),
    Case("scores_bad_dates.csv", b"Response ID,Response Date,How likely to recommend us\na,soon,9\nb,later,7\n",
         refused="need a response date"),
    Case("nested_arrays.json", lambda: b"[" * 100_000 + b"]" * 100_000, refused="nests its JSON more deeply"),
    Case("nested_record.json", _deep_json, refused="nests its JSON more deeply"),
    # --- loads safely: stored verbatim, guarded on the way out, nothing else touched ------------------------
    Case("formulas.csv", _rows("X1,2026-03-01 10:00,open,email,=cmd|'/C calc'!A0",
                               "X2,2026-03-01 10:00,open,email,+1+1", "X3,2026-03-01 10:00,open,email,-2+3",
                               "X4,2026-03-01 10:00,open,email,@SUM(A1:A9)",
                               'X5,2026-03-01 10:00,open,email,"=HYPERLINK(""x"")"'),
         check=_formulas_kept_and_guarded),
    Case("sql_values.csv",
         _rows("\"1; DELETE FROM tickets\",2026-03-01 10:00,open,email,\"'); DROP TABLE tickets; --\""),
         check=_sql_values_verbatim),
    Case("sql_column.csv", (b"Ticket ID,Created at,Status,\"Robert'); DROP TABLE customers;--\"\n"
                            b"S1,2026-03-01 10:00,open,bobby\n"), check=_sql_column_name_kept_as_attribute),
    Case("megabyte_cell.csv", lambda: _rows(f"M1,2026-03-01 10:00,open,email,{'y' * 1_000_000}"),
         check=_megabyte_cell),
    Case("duplicate_headers.csv", b"Ticket ID,Created at,Subject,Subject,Tags,Tags,Tags\n"
         b"D1,2026-03-01 10:00,first,second,a,b,c\n",
         check=_duplicate_headers),
    Case("one_future_row.csv", _rows("P1,2026-03-01 10:00,open,email,ok", "P2,2999-03-01 10:00,open,email,typo",
                                     "P3,2026-03-02 10:00,open,email,ok"), check=_future_row_rejected),
    Case("all_epoch.csv", _rows("Z1,1970-01-01 00:00:00,open,email,zero", "Z2,1970-01-01 00:00:00,new,chat,zero"),
         check=_undated),
    Case("truncated_quote.csv", _rows("Q0,2026-03-01 10:00,open,email,fine",
                                      'Q1,2026-03-01 10:00,open,email,"never closed'), check=_unterminated_quote),
    Case("quote_closed_records_later.csv", _BILLING + b'4,2024-01-04 10:00,open,"tech"\n',
         check=_quote_closed_records_later),
    Case("quote_closed_cleanly_later.csv", _BILLING + b'5,2024-01-04 10:00,open,"\n4,2024-01-04 10:00,open,tech\n',
         check=_quote_closed_cleanly_later),
    Case("multiline_across_blocks.csv", _ACROSS_BLOCKS[0], check=_every_record_across_blocks),
    Case("huge_category.csv", lambda: (b"Ticket ID,Created at,Status,Category\nH1,2026-03-01 10:00,open,Billing\n"
                                       b"H2,2026-03-01 10:00,open," + b"z" * 5_000_000 + b"\n"
                                       b"H3,2026-03-01 10:00,open,Refunds\n"), check=_huge_category_rejected),
    Case("utf16_no_bom.csv", "Ticket ID,Created at,Status,Subject\nB1,2026-03-01 10:00,open,sans BOM\n"
         .encode("utf-16-le"), check=_text_kept("B1", "sans BOM")),
    Case("epoch_placeholder.csv",
         b"Ticket ID,Created at,Solved at,Status\nE1,2026-03-01 10:00,1970-01-01 00:00:00,open\n",
         check=_epoch_placeholder),
    Case("cp1252.csv", "Ticket ID,Created at,Status,Channel,Subject\nW1,2026-03-01 10:00,open,email,“Déjà vu” 20 €\n"
         .encode("cp1252"), check=_text_kept("W1", "“Déjà vu” 20 €")),
    Case("control_chars.csv", _rows("C1,2026-03-01 10:00,open,email,\x1b[31mred\x1b[0m \u202eevil"),
         check=_text_kept("C1", "\x1b[31mred\x1b[0m \u202eevil")),
    Case("html.csv", _rows("H1,2026-03-01 10:00,open,email,<script>alert(1)</script>"),
         check=_text_kept("H1", "<script>alert(1)</script>")),
    Case("formulas_disguised.csv", _rows("Y1,2026-03-01 10:00,open,email, =1+1", "Y2,2026-03-01 10:00,open,email,＝1+1",
                                         'Y3,2026-03-01 10:00,open,email,"\n=HYPERLINK(""x"")"',
                                         "Y4,2026-03-01 10:00,open,email,\u3000@SUM(A1)",
                                         "Y5,2026-03-01 10:00,open,email,＋cmd"),
         check=_disguised_formulas_guarded),
    Case("pii_in_rejected_line.csv", (b"Ticket ID,Created at,Full name,Subject\n"
                                      b"J1,2026-03-01 10:00,Ann Other,fine\n"
                                      b"J2,someday,Jane Roe,mail jane.roe@example.com or call +44 20 7946 0958\n"),
         check=_rejected_line_redacted),
    Case("survey_personal_columns.csv",
         (b"Response ID,Recorded Date,How likely are you to recommend us?,Full name,Your phone number,Home address,"
          b"What could we improve?\na,2026-03-01 10:00,9,Jane Roe,+44 20 7946 0958,1 High St,faster support\n"),
         check=_personal_answers_not_stored),
    Case("markdown_and_html_text.csv",
         _rows("K1,2026-03-01 10:00,open,email,[Session expired - sign in again](https://evil.example) "
               "![x](https://evil.example/p.png) <a href=\"https://evil.example\">x</a> :red[alert]"),
         check=_text_kept("K1", "[Session expired - sign in again](https://evil.example) "
                                "![x](https://evil.example/p.png) <a href=\"https://evil.example\">x</a> :red[alert]")),
    Case("utf16.csv", ("Ticket ID\tCreated at\tStatus\tSubject\r\nU1\t2026-03-01 10:00\topen\tnaïve ☕\r\n")
         .encode("utf-16"), check=_text_kept("U1", "naïve ☕")),
]


@pytest.fixture
def conn(tmp_path: Path) -> db.Connection:
    c = db.connect(Settings().with_db(tmp_path / "hostile.duckdb"))
    ingest.load(c, ingest.preview(TICKETS_CSV.encode(), name="before.csv",
                                  options=ingest.normalize.Options(source="file")))
    yield c
    c.close()


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 30
    assert len({c.name for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_hostile_input(conn: db.Connection, case: Case) -> None:
    before = checksum(conn)
    options = ingest.normalize.Options(source="hostile")
    if case.refused is not None:
        with pytest.raises(ImportRefused, match=case.refused):
            ingest.load(conn, ingest.preview(case.payload(), name=case.name, options=options, limits=case.limits))
        assert checksum(conn) == before
        return
    result = ingest.load(conn, ingest.preview(case.payload(), name=case.name, options=options, limits=case.limits))
    assert result.status == "loaded" and result.rows_loaded >= 1
    assert case.check is not None
    case.check(conn)
    # nothing but the new import's rows changed: undo it and the database is as before, content for content
    ingest.undo(conn, int(result.import_id or 0))
    tables_only = [t for t in ("customers", "tickets", "survey_responses", "ticket_events")]
    for table in tables_only:
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE import_id = ?", [result.import_id]).fetchall() == [
            (0,)]
    assert _one(conn, "SELECT count(*) FROM tickets WHERE source = 'file'") == 3
