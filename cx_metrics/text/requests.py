"""Product requests in free text ("please add dark mode", "il faudrait un export Excel", "bitte Dunkelmodus
hinzufügen"): a small list of request cues per language, and what is asked, normalised for grouping.

Each cue is a regular expression whose one capturing group is the thing asked for. English cues come first;
French and German ones cover the usual phrasings of a wish ("ce serait bien de", "il faudrait", "wäre schön,
wenn", "könntet ihr ... einbauen"), including German's verb at the end ("bitte X hinzufügen"), where the thing
asked for comes before the verb. Texts are matched as written (accents and curly apostrophes both accepted);
what is asked is then redacted, folded and stripped of stop words and request verbs.
"""

from __future__ import annotations

import re

from cx_metrics.text.tokens import tokens

_WHAT = r"([^.!?\n]{2,80})"
_WHAT_LAZY = r"([^.!?\n]{2,80}?)"
_APOS = r"['’]"
#: German verbs that end a request clause ("... einbauen", "... hinzufügen")
_DE_VERBS = (r"(?:hinzufügen|hinzufuegen|einbauen|anbieten|ergänzen|ergaenzen|integrieren|unterstützen|"
             r"unterstuetzen|einführen|einfuehren|bereitstellen|ermöglichen|ermoeglichen)")

CUES: dict[str, list[str]] = {
    "en": [
        r"feature request\s*[:\-–]?\s*" + _WHAT,
        r"(?:please|pls|could you|can you|would you|will you)\s+(?:please\s+)?(?:add|support|provide|offer|build|"
        r"include|implement|allow|enable|introduce)\s+" + _WHAT,
        r"(?:would|" + _APOS + r"d)\s+(?:love|like)\s+(?:to see\s+|to have\s+)?(?:a|an|the|some|more)\s+" + _WHAT,
        r"(?:it would be|would be)\s+(?:great|nice|good|helpful|useful|awesome)\s+(?:if|to)\s+" + _WHAT,
        r"(?:i|we)\s+wish\s+(?:there was|there were|you had|it had|it could|you could)\s+" + _WHAT,
        r"(?:missing|lacks?|lacking)\s+(?:a|an|the)?\s*(features?[^.!?\n]{0,80})",
        r"(?:add|adding)\s+support\s+for\s+" + _WHAT,
    ],
    "fr": [
        r"(?:pourriez-vous|pouvez-vous|merci d" + _APOS + r"|serait-il possible d" + _APOS + r")\s*"
        r"(?:ajouter|proposer|prendre en charge|intégrer|integrer)\s+" + _WHAT,
        r"(?:il manque|manque)\s+" + _WHAT,
        r"(?:ce serait|ça serait|ca serait|il serait)\s+(?:vraiment\s+)?(?:bien|top|utile|pratique|génial|genial|"
        r"super)\s+(?:de|d" + _APOS + r"|que|qu" + _APOS + r")\s*" + _WHAT,
        r"il\s+faudrait\s+(?:que vous ajoutiez|ajouter|pouvoir|avoir|un|une|des|le|la|les)?\s*" + _WHAT,
    ],
    "de": [
        r"(?:wäre|waere)\s+(?:es\s+)?(?:schön|schoen|toll|gut|hilfreich|praktisch|super|klasse)\s*,?\s*"
        r"(?:wenn|eine?n?)?\s*" + _WHAT,
        r"bitte\s+(?:fügt|fuegt|fügen sie|fuegen sie)\s+" + _WHAT,
        r"bitte\s+" + _WHAT_LAZY + r"\s+" + _DE_VERBS + r"\b",
        r"(?:könnt|koennt|könntet|koenntet|können|koennen)\s+(?:ihr|sie)\s+(?:bitte\s+)?(?:auch\s+)?" + _WHAT_LAZY
        + r"\s+" + _DE_VERBS + r"\b",
        r"(?:ich wünsche mir|ich wuensche mir|wir wünschen uns|wir wuenschen uns|wünschenswert wäre|"
        r"wuenschenswert waere)\s+" + _WHAT,
    ],
}
_RE = re.compile("|".join(f"(?:{p})" for cues in CUES.values() for p in cues), re.IGNORECASE)
#: words that say "a request" rather than what is requested, folded (request verbs and auxiliaries included)
_STOP = frozenset("""
feature features option ability possibility way support add new
fonction fonctionnalite fonctionnalites pouvoir avoir ajouter disposer possibilite puisse puissions pourrait
funktion funktionen moglichkeit hatte hattet hatten wurde wurdet wurden konnte konntet konnten gabe
hinzufugen hinzu einbauen anbieten erganzen integrieren unterstutzen einfuhren bereitstellen ermoglichen
""".split())


def request_of(text: str | None) -> str | None:
    """What a text asks for, normalised for grouping (``"dark mode"``), or None when it asks for nothing.

    The phrase after (German: before the verb of) the first request cue is redacted, folded, stripped of stop
    words and request verbs, and cut to its first three content words.
    """
    if not text:
        return None
    match = _RE.search(text)
    if not match:
        return None
    what = next((g for g in match.groups() if g), "")
    words = tokens(what)
    content = [w for w in words if w not in _STOP] or words
    if not content:
        return "(unspecified)"
    return " ".join(content[:3])
