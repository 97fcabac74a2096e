"""Redact personal data from free text before it is shown, exported or fed to a model.

What is replaced (by a bracketed placeholder, so a reader still sees that something was there):

* ``[email]``: e-mail addresses;
* ``[iban]``: IBANs (2 letters, 2 check digits, 11-30 letters/digits, grouped or not) that pass the ISO 13616
  mod-97 check;
* ``[card]``: 13-19 digit numbers, grouped by spaces or dashes or not, that pass the Luhn check (payment cards);
* ``[phone]``: phone numbers: ``+`` or ``00`` international prefixes, national numbers written with separators
  (North American ``(555) 123-4567``, or starting with the trunk 0: ``06 12 34 56 78``, ``030 1234567``) or
  10-11 digits in one run; 7-15 digits in all.
  Dates (``2026-09-14``, ``14/09/2026``) and amounts are left alone.
* ``[redacted]``: what a vendor already masked: runs of capital X (``XXXX``, ``XX/XX/XXXX``, ``XXXX-XXXX-1234``'s
  mask) as in the CFPB complaint narratives and many ticket exports;
* ``[amount]``: amounts a vendor wrapped in braces (``{$21.00}``, CFPB's way of keeping a figure but marking it).

Our placeholders and the vendors' masks are one thing to every reader: a redaction, never a word (the theme model
drops them all, so "xx xx xxxx" is never a theme).

Person names are not redacted: that needs named-entity recognition, which this module does not do. Import drops
name columns unless told to keep them; names written inside free text stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
IBAN = "[iban]"
REDACTED = "[redacted]"
AMOUNT = "[amount]"
PLACEHOLDERS = (EMAIL, PHONE, CARD, IBAN, REDACTED, AMOUNT)

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD_RE = re.compile(r"(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d]|[.,]\d)")
_PHONE_RE = re.compile(r"(?<![\w+.,/])(?:\+|00)?\(?\d[\d ().\-/]{5,22}\d(?![\w]|[.,]\d)")
_NANP_RE = re.compile(r"(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}")
#: a vendor's own mask: two or more capital X, in groups joined by / - . (XXXX, XX/XX/XXXX, XXXX-XXXX)
_MASK_RE = re.compile(r"(?<![A-Za-z0-9])X{2,}(?:[/.\-]X{2,})*(?![A-Za-z])")
#: an amount a vendor kept but marked: {$21.00}, {$1,250.00}, {21.00}
_BRACED_AMOUNT_RE = re.compile(r"\{\s*[$€£]?\s*\d[\d,.]*\s*\}")
_DATE_RE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits (payment card numbers pass it)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group(0)


def _iban(match: re.Match[str]) -> str:
    return IBAN if iban_ok(match.group(0)) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    if not 7 <= len(digits) <= 15 or _DATE_RE.match(raw.strip()):
        return raw
    if raw.count("(") != raw.count(")"):
        return raw
    if raw.startswith(("+", "00")):
        return PHONE
    grouped = bool(re.search(r"[ ().\-/]", raw))
    if not grouped:
        return PHONE if 10 <= len(digits) <= 11 else raw  # 5551234567
    if _NANP_RE.fullmatch(raw):
        return PHONE  # (555) 123-4567, 555-123-4567, 555.123.4567
    # national numbers elsewhere start with the trunk prefix 0: 06 12 34 56 78, 030 1234567, 020 7946 0958
    return PHONE if raw.startswith(("0", "(0")) and len(digits) >= 9 else raw


def redact(text: str | None) -> str | None:
    """The text with e-mails, IBANs, card numbers and phone numbers replaced by placeholders, and a vendor's own
    masks (XXXX, {$21.00}) by ours."""
    if text is None:
        return None
    if not isinstance(text, str):  # a missing value read by pandas (NaN) stays as it is
        return text
    out = _MASK_RE.sub(REDACTED, text)
    out = _BRACED_AMOUNT_RE.sub(AMOUNT, out)
    out = _EMAIL_RE.sub(EMAIL, out)
    out = _IBAN_RE.sub(_iban, out)
    out = _CARD_RE.sub(_card, out)
    return _PHONE_RE.sub(_phone, out)


#: recent redactions' results, which redaction leaves as they are (it is idempotent): an import's rejects are
#: redacted for its preview and handed to redaction again where they are stored, and 10,000 rejected lines took a
#: second of scanning the second time. Only redacted text is kept, at most about 16 M characters.
_DONE: set[str] = set()
_DONE_CHARS = 16_000_000
_done_chars = 0


def redact_many(texts: Iterable[str | None]) -> list[str | None]:
    """:func:`redact` over many texts, each distinct text redacted once (and a text this process redacted already,
    handed back, not scanned again)."""
    global _done_chars
    seen: dict[str | None, str | None] = {}
    out = []
    for t in texts:
        if t not in seen:
            if isinstance(t, str) and t in _DONE:
                seen[t] = t
            else:
                seen[t] = done = redact(t)
                if isinstance(done, str):
                    if _done_chars + len(done) > _DONE_CHARS:
                        _DONE.clear()
                        _done_chars = 0
                    _DONE.add(done)
                    _done_chars += len(done)
        out.append(seen[t])
    return out
