"""What names a personal-data column or question (not stored unless an import is told ``--keep-pii``)."""

from __future__ import annotations

import re

#: a column whose values identify a person: e-mail, phone, postal or IP address, national ids, names
PII_HINTS = re.compile(
    r"^(?:.*[\s_.-])?(?:e-?mail(?:[\s_]?address)?|phone(?:[\s_]?number)?|mobile(?:[\s_]?number)?|address|"
    r"ip[\s_]?address|ssn|passport(?:[\s_]?number)?)$"
    r"|^(?:(?:.*[\s_.-])?(?:first|last|full|given|family|sur|customer|contact|requester|recipient|user|to|from)"
    r"[\s_]?)?name$|^(?:vorname|nachname|apellidos?|pr[eé]nom|cognome|sobrenome)$",
    re.IGNORECASE,
)
_ASKING = re.compile(r"^(?:(?:what(?:'s| is)|please (?:enter|give|tell us|type)|enter|type|tell us)\s+)?"
                     r"(?:your\s+)?", re.IGNORECASE)


def personal_question(question: str) -> bool:
    """A column or survey question asking who the respondent is ("Full name", "What is your full name?", "Your
    phone number", "Home address")."""
    return bool(PII_HINTS.search(_ASKING.sub("", question.strip().rstrip("?:.*! ").strip())))
