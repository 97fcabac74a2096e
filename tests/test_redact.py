"""PII redaction: what is replaced, what must survive, and that every theme text path applies it."""

from __future__ import annotations

import math

import pytest

from cx_metrics.text.redact import CARD, EMAIL, IBAN, PHONE, iban_ok, luhn_ok, redact, redact_many


@pytest.mark.parametrize(("text", "expected"), [
    ("write to jane.doe+cx@example.co.uk today", f"write to {EMAIL} today"),
    ("MAIL: Bob_O'Brien@sub.example.com.", f"MAIL: Bob_O'{EMAIL}."),
    ("call +44 20 7946 0958 please", f"call {PHONE} please"),
    ("appelez le 06 12 34 56 78", f"appelez le {PHONE}"),
    ("ou le +33 (0)1 23 45 67 89", f"ou le {PHONE}"),
    ("oder 0049 30 1234567", f"oder {PHONE}"),
    ("Ruf an: 030 1234567", f"Ruf an: {PHONE}"),
    ("US (555) 123-4567, 555-123-4567, 555.123.4567 or 5551234567",
     f"US {PHONE}, {PHONE}, {PHONE} or {PHONE}"),
    ("Visa 4111 1111 1111 1111 charged", f"Visa {CARD} charged"),
    ("MC 5500-0000-0000-0004", f"MC {CARD}"),
    ("amex 378282246310005.", f"amex {CARD}."),
    ("IBAN DE89 3704 0044 0532 0130 00 please", f"IBAN {IBAN} please"),
    ("FR1420041010050500013M02606", IBAN),
    ("GB82WEST12345698765432 is mine", f"{IBAN} is mine"),
])
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "On 2026-09-14 at 12:15:36 I paid $1,234.50 for 3 licences",
    "order #12345, invoice 2026/0042, ticket 4567",
    "dated 14/09/2026 and 09.14.2026",
    "version 2.3.14 build 20260914",
    "1.234.567 units, 1 234 units",
    "4111 1111 1111 1112",  # 16 digits failing the Luhn check: not a card
    "DE89 3704 0044 0532 0130 01",  # IBAN shape with a wrong check: left alone
    "Le problème n'est toujours pas résolu après deux semaines.",
])
def test_ordinary_text_and_numbers_survive(text: str) -> None:
    assert redact(text) == text


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112") and not luhn_ok("41111x")
    assert iban_ok("DE89370400440532013000") and iban_ok("gb82 west 1234 5698 7654 32")
    assert not iban_ok("DE89370400440532013001") and not iban_ok("DE89")


def test_missing_values_pass_and_redaction_is_idempotent() -> None:
    assert redact(None) is None
    nan = float("nan")
    assert math.isnan(redact(nan))  # type: ignore[arg-type]
    once = redact("a@b.co, +1 415 555 0100, 4111111111111111")
    assert once == f"{EMAIL}, {PHONE}, {CARD}"
    assert redact(once) == once
    assert redact_many(["x@y.org", None, "x@y.org"]) == [EMAIL, None, EMAIL]


def test_a_text_redacted_before_is_not_scanned_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """An import's rejects are redacted for its preview and again where they are stored: the second pass hands
    back what the first made without scanning it (a text never seen is still scanned, and redacted)."""
    from cx_metrics.text import redact as module

    first = redact_many(["mail x@y.org or call +1 415 555 0100", "nothing here"])
    assert first == [f"mail {EMAIL} or call {PHONE}", "nothing here"]
    scanned: list[str] = []

    def counted(text: str) -> str | None:
        scanned.append(text)
        return redact(text)

    monkeypatch.setattr(module, "redact", counted)
    assert redact_many([*first, "new z@w.org"]) == [*first, f"new {EMAIL}"]
    assert scanned == ["new z@w.org"]


def test_complaint_rows_redact_subjects(tiny_conn: object) -> None:
    import datetime as dt

    import pandas as pd

    from cx_metrics.metrics import complaints

    tiny_conn.execute(  # type: ignore[attr-defined]
        "UPDATE tickets SET subject = 'Refund to FR1420041010050500013M02606, call +33 6 12 34 56 78' "
        "WHERE ticket_id = 't1'")
    rows = complaints.complaint_rows(tiny_conn, start=pd.Timestamp(dt.date(2026, 1, 5)),  # type: ignore[arg-type]
                                     end=pd.Timestamp(dt.date(2026, 1, 12)))
    subject = rows.set_index("ticket_id").loc["t1", "subject"]
    assert subject == f"Refund to {IBAN}, call {PHONE}"


@pytest.mark.parametrize(("text", "expected"), [
    ("On XX/XX/XXXX I called XXXX", "On [redacted] I called [redacted]"),
    ("a fee of {$21.00} and {$1,250.00}", "a fee of [amount] and [amount]"),
    ("card XXXX-XXXX-XXXX-1234 was charged", "card [redacted]-1234 was charged"),
    ("XXL shirts, an XBOX, TAX and EXXON stay", "XXL shirts, an XBOX, TAX and EXXON stay"),
])
def test_vendor_masks_are_redactions_like_ours(text: str, expected: str) -> None:
    """CFPB narratives and many exports mask data themselves: XXXX, XX/XX/XXXX, {$21.00}. They are redactions, so
    every reader sees our placeholder and the theme model drops them, as it drops ours."""
    from cx_metrics.text.tokens import tokens

    assert redact(text) == expected
    assert not {t for t in tokens(text) if set(t) <= {"x"}}
