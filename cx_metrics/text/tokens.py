"""Multilingual tokenisation for the theme model: redaction, accent folding, unicode words, stop words.

Texts are redacted first (no e-mail or phone number becomes a theme term), lower-cased and folded to their
base letters (``résolu`` -> ``resolu``, ``Größe`` -> ``grosse``), so French and German comments share terms
with their unaccented spellings. Tokens are runs of two or more unicode letters (digits and placeholders are
dropped). Stop words: scikit-learn's English list plus French, German and Spanish function words and the
courtesy words of support conversations (please, thanks, bonjour, merci...), all folded the same way.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache

from cx_metrics.text.redact import redact

TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
_PLACEHOLDER_RE = re.compile(r"\[(?:email|phone|card|iban|redacted|amount)\]")

FRENCH = """
a ai aie aient aies ait alors as au aucun aucune aupres aura aurai auraient aurais aurait auras aurez auriez
aurions aurons auront aussi autre autres aux avaient avais avait avant avec avez aviez avions avoir avons ayant
ayez ayons bien c ca ce ceci cela celle celles celui cependant certain certaine ces cet cette ceux chaque chez
ci comme comment d dans de depuis des deux devrait dois doit donc dont du elle elles en encore entre es est et
etaient etais etait etant ete etes etiez etions etre eu eue eues eumes eurent eus eusse eussent eusses eussiez
eussions eut eutes eux fait faites fois font furent fus fusse fussent fusses fussiez fussions fut futes ici il
ils j je jusqu jusque l la le les leur leurs lui m ma mais me meme memes mes moi mon n ne ni nos notre nous on
ont ou par parce pas peu peut plus pour pourquoi qu quand que quel quelle quelles quelqu quelque quels qui quoi
s sa sans se sera serai seraient serais serait seras serez seriez serions serons seront ses si sien son sont
sous suis sur t ta te tes toi ton tous tout toute toutes tres tu un une unes uns vos votre vous y
bonjour merci cordialement svp plait madame monsieur
"""
GERMAN = """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm andern
anders auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein deine deinem deinen deiner
deines dem demselben den denn denselben der derer derselbe derselben des desselben dessen dich die dies diese
dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einig
einige einigem einigen einiger einiges einmal er es etwas euch euer eure eurem euren eurer eures fur gegen
gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im
in indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen
keiner keines konnen konnte machen man manche manchem manchen mancher manches mein meine meinem meinen meiner
meines mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen
seiner seines selbst sich sie sind so solche solchem solchen solcher solches soll sollte sondern sonst uber um
und uns unser unsere unserem unseren unserer unseres unter viel vom von vor wahrend war waren warst was weg
weil weiter welche welchem welchen welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen
wollte wurde wurden zu zum zur zwar zwischen bitte danke hallo gruss grusse freundlichen gabe gibt
"""
SPANISH = """
al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante el ella ellas ellos
en entre era eran es esa esas ese eso esos esta estaba estado estan estar este esto estos fue fueron ha habia
han hasta hay la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros o os otra otros para pero
poco por porque que quien se ser si sin sobre son su sus tambien te tiene tienen todo todos tu tus un una uno
unos usted ustedes y ya yo gracias hola favor
"""
SUPPORT = """
please pls thanks thank thx hi hello hey dear regards kind best cheers sir madam team guys asap soon
hope hoping let know just really also get got would could like need want via one two still
"""


def fold(text: str) -> str:
    """Lower-case and strip accents: NFKD, drop combining marks, ß -> ss."""
    lowered = text.lower().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def preprocess(text: str, template: frozenset[str] = frozenset()) -> str:
    """What the vectoriser sees: the redacted, folded text without placeholders or template sentences, one
    sentence per line."""
    clean = redact(text) or ""
    if template:
        clean = without_boilerplate(clean, template)
    else:
        clean = "\n".join(sentences(clean))
    return _PLACEHOLDER_RE.sub(" ", fold(clean))


#: words of scikit-learn's English stop list that name what a customer writes about ("wrong amount on my bill",
#: "the system is down", "I want a call back"): kept as content words
NOT_STOP_WORDS = frozenset("""
amount bill bottom call computer detail empty fire front full interest move name side system top
""".split())


@cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS) - NOT_STOP_WORDS
    for block in (FRENCH, GERMAN, SPANISH, SUPPORT):
        words.update(fold(w) for w in block.split())
    return frozenset(words)


def tokens(text: str) -> list[str]:
    """Content tokens of a text (for grouping short phrases such as product requests)."""
    stops = stop_words()
    return [t for t in re.findall(TOKEN_PATTERN, preprocess(text)) if t not in stops]


_SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+|[\r\n]+")
_TOKEN_RE = re.compile(TOKEN_PATTERN)


def sentences(text: str) -> list[str]:
    """The text cut at sentence ends (. ! ? ;) and line breaks, blanks dropped."""
    return [s.strip() for s in _SENTENCE_RE.split(text) if s.strip()]


def sentence_key(sentence: str) -> str:
    """A sentence normalised for boilerplate detection: folded words only."""
    return " ".join(_TOKEN_RE.findall(fold(sentence)))


def boilerplate(texts: list[str], counts: list[float] | None = None, *, min_share: float = 0.01,
                min_companions: int = 20) -> frozenset[str]:
    """Template sentences: each in at least ``min_share`` of the documents and in at least ``min_companions``
    different texts (signatures, "Thanks in advance", "Screenshots attached", "Critical.").

    ``texts`` are distinct texts, ``counts`` how many documents carry each. A sentence that is always the same
    text's whole content never counts; the first sentence of a text (a ticket's subject) is never dropped
    (see :func:`without_boilerplate`), so a common subject still speaks for its ticket.
    """
    weights = counts or [1.0] * len(texts)
    total = float(sum(weights))
    docs: dict[str, float] = {}
    companions: dict[str, set[str]] = {}
    for text, weight in zip(texts, weights, strict=True):
        parts = [sentence_key(s) for s in sentences(text)]
        if len(parts) < 2:
            continue
        for key in set(parts[1:]):
            if key:
                docs[key] = docs.get(key, 0.0) + weight
                companions.setdefault(key, set()).add(text)
    return frozenset(k for k, d in docs.items() if d >= min_share * total and len(companions[k]) >= min_companions)


def without_boilerplate(text: str, template: frozenset[str]) -> str:
    """The text without its template sentences (the first sentence always stays), one sentence per line."""
    parts = sentences(text)
    kept = parts[:1] + [s for s in parts[1:] if sentence_key(s) not in template]
    return "\n".join(kept)


def analyze(text: str) -> list[str]:
    """Terms of a prepared text (:func:`preprocess` of :func:`without_boilerplate`): content words and two-word
    phrases of adjacent content words, never across a sentence."""
    stops = stop_words()
    out: list[str] = []
    for line in text.split("\n"):
        words = [w for w in _TOKEN_RE.findall(line) if w not in stops]
        out.extend(words)
        out.extend(f"{a} {b}" for a, b in itertools.pairwise(words))
    return out


LABEL_MAX_WORDS = 3  #: longest phrase a theme label uses


def phrases(text: str) -> list[str]:
    """Theme label candidates of a prepared text: runs of one to :data:`LABEL_MAX_WORDS` adjacent content words,
    never across a sentence, each once."""
    stops = stop_words()
    out: set[str] = set()
    for line in text.split("\n"):
        words = [w for w in _TOKEN_RE.findall(line) if w not in stops]
        for n in range(1, LABEL_MAX_WORDS + 1):
            out.update(" ".join(words[i: i + n]) for i in range(len(words) - n + 1))
    return sorted(out)


#: words that turn a phrase into its opposite: kept in front of a label's words ("not fixed", "cannot log in")
NEGATIONS = frozenset(fold(w) for w in """
not no never nobody nothing none cannot without nor ne pas jamais rien aucun aucune sans nicht kein keine keinen
nie niemand nichts ohne nunca nada nadie ningun ninguna sin
""".split())
_WORD_RE = re.compile(TOKEN_PATTERN)
#: a particle right after a label's last word belongs to it ("followed up", "handed off")
PARTICLES = frozenset("up off out down back away over".split())
#: a label is at most this many words; a longer surface form is replaced by the phrase itself
SURFACE_MAX_WORDS = 10


def surface_forms(phrase: str, text: str) -> list[str]:
    """How ``phrase`` (content words as :func:`phrases` makes them: folded, stop words left out) is written in
    ``text``: every span of a sentence from its first to its last word, with the words between them ("asked year
    ago" -> "asked for a year ago"), a negation just before it ("not fixed", "cannot log in") and the function words
    that end its sentence ("getting handed" -> "getting handed off"). Personal data is redacted first."""
    target = phrase.split()
    stops = stop_words()
    out = []
    for sentence in sentences(redact(text) or ""):
        words = [(m.start(), m.end(), fold(m.group())) for m in _WORD_RE.finditer(sentence)]
        content = [i for i, (_, _, w) in enumerate(words) if w not in stops]
        for j in range(len(content) - len(target) + 1):
            if [words[content[j + q]][2] for q in range(len(target))] != target:
                continue
            first, last = content[j], content[j + len(target) - 1]
            for k in range(first - 1, max(first - 4, -1), -1):  # a negation among the 3 words before
                if words[k][2] not in stops:
                    break
                if words[k][2] in NEGATIONS:
                    first = k
            tail = range(last + 1, len(words))
            if 0 < len(tail) <= 3 and all(words[k][2] in stops for k in tail):
                last = len(words) - 1  # "took" + "a while." at the end of the sentence
            elif tail and words[last + 1][2] in PARTICLES:
                last += 1  # "followed" + "up", "handed" + "off"
            out.append(" ".join(sentence[words[first][0]:words[last][1]].split()))
    return out


def surface_label(phrase: str, texts: list[str], weights: list[float]) -> str:
    """The way ``phrase`` is most often written in ``texts`` (weighted), as a label a person reads ("Cannot log
    in to my account", not "log account"); the phrase itself when no text writes it in at most
    :data:`SURFACE_MAX_WORDS` words."""
    words = phrase.split()
    for size in range(len(words), 0, -1):  # the whole phrase, else its longest beginning that is written briefly
        tally: dict[str, float] = {}
        written: dict[str, str] = {}
        for text, weight in zip(texts, weights, strict=True):
            for form in surface_forms(" ".join(words[:size]), text):
                if len(form.split()) > SURFACE_MAX_WORDS:
                    continue
                key = form.casefold()
                tally[key] = tally.get(key, 0.0) + float(weight)
                written.setdefault(key, form)
        if tally:
            best = written[max(tally, key=lambda k: (tally[k], -len(k)))]
            return best[:1].upper() + best[1:] + ("" if size == len(words) else "…")
    return phrase
