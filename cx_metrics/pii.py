"""Personal data at rest: e-mail addresses are kept only as a keyed hash, rejected lines only redacted.

**Keyed hash.** An e-mail becomes ``SHA-256(key || d)``: ``key`` is a 256-bit secret created once per database
(``meta`` row ``pii_key``, from :mod:`secrets`, as 64 hex digits) and ``d`` the first 20 hex digits of
``SHA-256(lower(trim(email)))`` (what an import stages). ``customers.email_hash`` holds it; a customer known only by
e-mail gets the id ``email:`` + its first 20 digits, so tickets, survey responses and customers still join, across
imports, by e-mail. An unsalted SHA-256 can be reversed by hashing a list of candidate addresses; the keyed hash
cannot without the key, so an exported id or hash tells nothing, and the same address hashes differently in another
database. The key lives in the database file: whoever holds the file can still test candidates against it.

Every input has the same length (84 hex digits), so the secret-prefix construction is sound here (the length
extension that rules it out for messages of any length yields no input we hash); it costs one SHA-256 per value
against HMAC's two plus conversions, four times less on an import of a million addresses. DuckDB computes it in a
temp macro :func:`install` creates on a cursor, so an import never leaves SQL; :func:`keyed_hex` is the same in
Python (tests, the demo).

**At rest in an older database** (:func:`secure_existing`, run once by its migration): unsalted hashes and ids are
re-keyed in place (the stored 20-digit prefix is exactly ``d``), rejected lines are redacted, and answers to
personal questions (name, phone, address...) that older imports kept are deleted.
"""

from __future__ import annotations

import hashlib
import secrets

import duckdb

from cx_metrics.text.personal import personal_question
from cx_metrics.text.redact import redact_many

KEY_ROW = "pii_key"
MACRO = "cx_pii"


def key(cur: duckdb.DuckDBPyConnection, *, create: bool = False) -> bytes:
    """This database's key (created when ``create`` and there is none yet; the caller commits it)."""
    row = cur.execute("SELECT value FROM meta WHERE key = ?", [KEY_ROW]).fetchall()
    if row:
        return bytes.fromhex(str(row[0][0]))
    if not create:
        raise LookupError("this database has no personal-data key yet; open it for writing once to create it")
    value = secrets.token_bytes(32)
    cur.execute("INSERT INTO meta VALUES (?, ?)", [KEY_ROW, value.hex()])
    return value


def keyed_hex(secret: bytes, digest20: str) -> str:
    """The keyed hash of a staged 20-digit e-mail digest, hex: what :func:`install`'s macro computes in SQL."""
    return hashlib.sha256((secret.hex() + digest20).encode("ascii")).hexdigest()


def email_digest(email: str) -> str:
    """The 20 hex digits an import stages for an e-mail address (before the key is applied)."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:20]


def install(cur: duckdb.DuckDBPyConnection, secret: bytes) -> None:
    """Create the temp macro ``cx_pii(digest20)`` (the keyed hash under ``secret``) on ``cur``'s connection.

    The key is a hex literal in the macro (a macro takes no bound parameters): it never comes from input, and a temp
    macro lives only in this connection's memory."""
    cur.execute(f"CREATE OR REPLACE TEMP MACRO {MACRO}(x) AS sha256('{secret.hex()}' || x)")


def keyed_column(column: str, quoted: str) -> str:
    """The SQL that stores staged column ``column`` (quoted as ``quoted``) keyed: e-mail hashes and ``email:``
    ids through the macro, any other column as it is."""
    if column == "email_hash":
        return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE {MACRO}(left({quoted}, 20)) END"
    if column == "customer_id":
        return (f"CASE WHEN {quoted} LIKE 'email:%' THEN 'email:' || left({MACRO}(substr({quoted}, 7, 20)), 20) "
                f"ELSE {quoted} END")
    return quoted


def _tables_with(cur: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.columns WHERE column_name = ? AND table_schema = 'main' "
        "AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE') "
        "ORDER BY table_name", [column]).fetchall()]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def secure_existing(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Create the key and bring what an older database holds up to it, inside the caller's transaction.

    Returns how many values were changed per kind (``ids``, ``hashes``, ``rejects``, ``answers``)."""
    secret = key(cur, create=True)
    install(cur, secret)
    changed = {"ids": 0, "hashes": 0, "rejects": 0, "answers": 0}
    for table in _tables_with(cur, "customer_id"):
        changed["ids"] += int(cur.execute(
            f"UPDATE {_q(table)} SET customer_id = {keyed_column('customer_id', 'customer_id')} "  # noqa: S608
            "WHERE customer_id LIKE 'email:%'").fetchall()[0][0])
    for table in _tables_with(cur, "email_hash"):
        changed["hashes"] += int(cur.execute(
            f"UPDATE {_q(table)} SET email_hash = {keyed_column('email_hash', 'email_hash')} "  # noqa: S608
            "WHERE email_hash IS NOT NULL").fetchall()[0][0])
    rejects = cur.execute("SELECT rowid, raw_text FROM import_rejects WHERE raw_text IS NOT NULL").fetchall()
    redacted = [(new, rowid) for (rowid, old), new in zip(rejects, redact_many([r[1] for r in rejects]), strict=True)
                if new != old]
    if redacted:
        cur.executemany("UPDATE import_rejects SET raw_text = ? WHERE rowid = ?", redacted)
    changed["rejects"] = len(redacted)
    questions = [q for (q,) in cur.execute("SELECT DISTINCT question FROM survey_answers").fetchall()
                 if q is not None and personal_question(str(q))]
    if questions:
        changed["answers"] = int(cur.execute(
            "DELETE FROM survey_answers WHERE question IN (SELECT unnest(?::VARCHAR[]))", [questions]).fetchall()[0][0])
    return changed
