"""Personal data at rest (issue 16 item 7): e-mails only as a keyed hash (a secret per database) that still joins
across imports, rejected lines redacted like the stored fields, and an older database brought up to it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from cx_metrics import db, pii
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.normalize import Options

CUSTOMERS = ("Customer ID,Email,Plan,Signup date\n"
             "C1,Ada@Example.com,Pro,2025-01-01\n"
             "C2,bob@example.com,Basic,2025-02-01\n")
TICKETS_BY_EMAIL = ("Ticket ID,Created at,Status,Requester email,Subject\n"
                    "T1,2026-03-02 09:00,open,ada@example.com,Refund\n"
                    "T2,2026-03-03 09:00,open,carol@example.com,Login\n")


def _connect(path: Path) -> db.Connection:
    return db.connect(Settings().with_db(path))


def _import(conn: db.Connection, text: str, name: str, **options: object) -> ingest.ImportResult:
    return ingest.load(conn, ingest.preview(text.encode(), name=name, options=Options(**options)))  # type: ignore[arg-type]


def test_sql_macro_is_the_python_keyed_hash() -> None:
    conn = duckdb.connect()
    secret = bytes(range(32))
    pii.install(conn, secret)
    for digest in ("0123456789abcdef0123", pii.email_digest("Someone@Example.com "), ""):
        assert conn.execute(f"SELECT {pii.MACRO}(?)", [digest]).fetchall()[0][0] == pii.keyed_hex(secret, digest)
    assert pii.keyed_hex(secret, "0123456789abcdef0123") != pii.keyed_hex(bytes(32), "0123456789abcdef0123")


def test_emails_are_keyed_and_still_join_across_imports(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "a.duckdb")
    try:
        _import(conn, CUSTOMERS, "crm.csv")
        _import(conn, TICKETS_BY_EMAIL, "tickets.csv")
        secret = pii.key(conn.cursor())
        hashes = dict(conn.execute("SELECT customer_id, email_hash FROM customers").fetchall())
        assert hashes["C1"] == pii.keyed_hex(secret, pii.email_digest("ada@example.com"))
        plain = hashlib.sha256(b"ada@example.com").hexdigest()
        assert hashes["C1"] != plain and plain[:20] not in hashes["C1"]  # no unsalted SHA-256 anywhere
        tickets = dict(conn.execute("SELECT ticket_id, customer_id FROM tickets").fetchall())
        assert tickets["T1"] == "C1"  # joined by e-mail to the customer imported before
        carol = tickets["T2"]
        assert carol == "email:" + pii.keyed_hex(secret, pii.email_digest("carol@example.com"))[:20]
        assert hashlib.sha256(b"carol@example.com").hexdigest()[:20] not in carol
        # a later file naming carol by e-mail lands on the same id
        _import(conn, TICKETS_BY_EMAIL.replace("T1,", "T9,").replace("T2,", "T8,"), "later.csv")
        assert conn.execute("SELECT customer_id FROM tickets WHERE ticket_id = 'T8'").fetchall() == [(carol,)]
    finally:
        conn.close()
    other = _connect(tmp_path / "b.duckdb")
    try:
        _import(other, CUSTOMERS, "crm.csv")
        assert other.execute("SELECT email_hash FROM customers WHERE customer_id = 'C1'").fetchall() != [
            (hashes["C1"],)]  # another database, another key
    finally:
        other.close()


def test_rejected_lines_are_redacted_like_stored_fields(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "r.duckdb")
    try:
        text = ("Ticket ID,Created at,Status,Full name,Phone,Subject\n"
                "R1,2026-03-02 09:00,open,Ann Other,+44 20 7946 0958,fine\n"
                "R2,someday,open,Jane Roe,+33 6 12 34 56 78,write to jane.roe@example.com or 4111 1111 1111 1111\n")
        result = _import(conn, text, "with-pii.csv")
        assert result.rows_rejected == 1
        (raw,) = conn.execute("SELECT raw_text FROM import_rejects").fetchall()[0]
        for secret in ("Jane Roe", "+33 6 12 34 56 78", "jane.roe@example.com", "4111 1111 1111 1111"):
            assert secret not in raw
        assert "[personal data]" in raw and "[email]" in raw and "[card]" in raw and "R2" in raw and "someday" in raw
    finally:
        conn.close()


def test_an_older_database_is_rekeyed_redacted_and_purged(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    conn = _connect(path)
    try:
        _import(conn, CUSTOMERS, "crm.csv")
        _import(conn, TICKETS_BY_EMAIL, "tickets.csv")
        # what a database written before keyed hashes holds: unsalted SHA-256, raw rejected lines, personal answers
        ada, carol = (hashlib.sha256(e.encode()).hexdigest() for e in ("ada@example.com", "carol@example.com"))
        conn.execute("UPDATE customers SET email_hash = ? WHERE customer_id = 'C1'", [ada])
        conn.execute("UPDATE tickets SET customer_id = ? WHERE ticket_id = 'T2'", ["email:" + carol[:20]])
        conn.execute("INSERT INTO customers (customer_id, plan, email_hash) VALUES (?, 'Free', ?)",
                     ["email:" + carol[:20], carol])
        conn.execute("INSERT INTO import_rejects (import_id, line_number, reason, raw_text) VALUES "
                     "(1, 3, 'bad date', 'X1,someday,call +44 20 7946 0958 or mail carol@example.com')")
        conn.execute("INSERT INTO survey_answers (source, response_id, question_id, question, answer) VALUES "
                     "('q', 'r1', 'Q1', 'What is your full name?', 'Carol Dee'), "
                     "('q', 'r1', 'Q2', 'Which plan are you on?', 'Pro')")
        conn.execute("DELETE FROM meta WHERE key = 'pii_key'")
        version = next(v for v, name, _ in db.migrations() if name == "pii_at_rest")
        conn.execute("DELETE FROM schema_version WHERE version >= ?", [version])
    finally:
        conn.close()
    conn = _connect(path)  # the migration runs
    try:
        secret = pii.key(conn.cursor())
        keyed_carol = pii.keyed_hex(secret, carol[:20])
        assert conn.execute("SELECT email_hash FROM customers WHERE customer_id = 'C1'").fetchall() == [
            (pii.keyed_hex(secret, ada[:20]),)]
        assert conn.execute("SELECT customer_id FROM tickets WHERE ticket_id = 'T2'").fetchall() == [
            ("email:" + keyed_carol[:20],)]
        assert conn.execute("SELECT count(*) FROM customers WHERE customer_id = ?",
                            ["email:" + keyed_carol[:20]]).fetchall() == [(1,)]  # still joined
        raw = conn.execute("SELECT raw_text FROM import_rejects WHERE line_number = 3").fetchall()[0][0]
        assert "carol@example.com" not in raw and "7946" not in raw and "[email]" in raw and "[phone]" in raw
        assert conn.execute("SELECT question FROM survey_answers").fetchall() == [("Which plan are you on?",)]
        # a new file still joins to what was re-keyed
        _import(conn, "Ticket ID,Created at,Status,Requester email\nT7,2026-03-05 09:00,open,carol@example.com\n",
                "new.csv")
        assert conn.execute("SELECT customer_id FROM tickets WHERE ticket_id = 'T7'").fetchall() == [
            ("email:" + keyed_carol[:20],)]
    finally:
        conn.close()


@pytest.mark.parametrize("question", ["Full name", "What is your full name?", "Your phone number", "Home address",
                                      "Contact phone", "Please enter your email"])
def test_personal_survey_questions_are_not_stored(tmp_path: Path, question: str) -> None:
    conn = _connect(tmp_path / "s.duckdb")
    try:
        text = (f"Response ID,Recorded Date,How likely are you to recommend us?,{question},What could we improve?\n"
                "a,2026-03-02 09:00,9,Jane Roe +44 20 7946 0958,faster support\n")
        result = _import(conn, text, "survey.csv")
        assert f"Not stored (personal data): {question}" in " ".join(result.summary["warnings"])
        stored = [q for (q,) in conn.execute("SELECT DISTINCT question FROM survey_answers").fetchall()]
        assert question not in stored and "What could we improve?" in stored
    finally:
        conn.close()
    conn = _connect(tmp_path / "k.duckdb")
    try:
        _import(conn, text, "survey.csv", keep_pii=True)
        assert question in [q for (q,) in conn.execute("SELECT DISTINCT question FROM survey_answers").fetchall()]
    finally:
        conn.close()
