"""Dates: the format of a column inferred from a sample (DD/MM vs MM/DD decided per file, ambiguity
flagged), its translation for the DuckDB import query, and a pandas parser for survey files."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cx_metrics.ingest import vocab
from cx_metrics.ingest.reader import clean

_EPOCH_RE = re.compile(r"^\d{9,13}(\.\d+)?$")
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$")

# (format, day_first) - None means the format does not depend on day order
_FORMATS: list[tuple[str, bool | None]] = []
for _sep in ("/", "-", "."):
    for _year in ("%Y", "%y"):
        for _time in ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p"):
            _FORMATS.append((f"%m{_sep}%d{_sep}{_year}{_time}", False))
            _FORMATS.append((f"%d{_sep}%m{_sep}{_year}{_time}", True))
_FORMATS += [
    ("%d/%b/%y %I:%M %p", None),  # Jira: 05/Jan/23 10:00 AM
    ("%d/%b/%Y %I:%M %p", None),
    ("%d %b %Y %H:%M", None),
    ("%d %b %Y", None),
    ("%b %d, %Y %I:%M %p", None),
    ("%b %d, %Y", None),
    ("%B %d, %Y", None),
    ("%Y/%m/%d %H:%M:%S", None),
    ("%Y/%m/%d %H:%M", None),
    ("%Y/%m/%d", None),
    ("%d %B %Y", None),
    ("%d %B %Y %H:%M", None),
    ("%d. %B %Y", None),
    ("%d/%b/%Y", None),
    ("%d-%b-%Y", None),
    ("%d-%b-%y", None),
]

#: Dates before this are placeholders ("1900-01-01" in Zendesk means "never"), not real events
MIN_REAL_DATE = pd.Timestamp("1901-01-01")


@dataclass(frozen=True)
class DateFormat:
    fmt: str  # "ISO8601", "epoch_s", "epoch_ms", "excel_serial" or a strptime pattern
    day_first: bool | None  # None: the format does not depend on day order
    ambiguous: bool = False  # MM/DD and DD/MM both read every sampled value
    months: str | None = None  # month names written in this language (vocab.MONTHS), translated before reading
    leading: bool = False  # the date opens a longer value ("25/04/2025, Santa Maria - RS"): read that part


#: a date (and time) at the start of a value, followed by a comma or semicolon and more text
LEADING_DATE = (r"^\s*(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?)?)"
                r"\s*[,;]\s*\S")


_PATTERN_WORDS = (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"), ("%I", "hh"), ("%M", "mm"),
                  ("%S", "ss"), ("%f", "ffffff"), ("%b", "Mon"), ("%B", "Month"), ("%p", "AM/PM"), ("%z", "+hh:mm"),
                  ("%Z", "zone"))


def describe_format(fmt: str) -> str:
    """A date format as a person reads it: "ISO 8601", "Unix seconds", "DD/MM/YYYY hh:mm" (never a strptime
    pattern)."""
    named = {"ISO8601": "ISO 8601 (YYYY-MM-DD hh:mm:ss)", "epoch_s": "Unix time in seconds",
             "epoch_ms": "Unix time in milliseconds"}
    if fmt in named:
        return named[fmt]
    for code, word in _PATTERN_WORDS:
        fmt = fmt.replace(code, word)
    return fmt


def _sample(values: pd.Series, n: int = 400) -> pd.Series:
    present = clean(values).dropna()
    if len(present) > n:
        present = present.drop_duplicates()
        present = present.iloc[np.linspace(0, len(present) - 1, min(n, len(present))).astype(int)]
    return present


def _share_parsed(sample: pd.Series, fmt: str) -> float:
    if sample.empty:
        return 0.0
    parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
    return float(parsed.notna().mean())


def month_rules(language: str) -> list[tuple[str, str]]:
    """(regex, English abbreviation) for the month names of a language, longest names first."""
    pairs = sorted(vocab.MONTHS[language], key=lambda kv: len(kv[0]), reverse=True)
    return [(rf"\b{re.escape(word)}\b\.?", english) for word, english in pairs]


def translate_months(values: pd.Series, language: str) -> pd.Series:
    text = values.astype("string").map(vocab.fold, na_action="ignore").astype("string")
    for pattern, english in month_rules(language):
        text = text.str.replace(pattern, english, regex=True)
    return text


def infer_date_format(values: pd.Series, *, prefer_day_first: bool | None = None) -> DateFormat | None:
    """The format that reads the most sampled values (at least half: the rest become rejects with their line);
    None if no format fits. Month names in another language than English are translated first."""
    sample = _sample(values)
    if sample.empty:
        return None
    found = _infer(sample, prefer_day_first)
    if found is None and _share(sample, _LEADING_RE) >= 0.6:
        # a date followed by other text in the same cell (a date and a place, say): the date is read
        leading = _infer(sample.str.extract(LEADING_DATE, expand=False).dropna(), prefer_day_first)
        return replace(leading, leading=True) if leading is not None else None
    if found is not None or not _share(sample, _WORD_RE, search=True) >= 0.5:
        return found
    folded = sample.map(vocab.fold)
    for language in vocab.MONTHS:
        # only a language whose month names the values use (a subject line is not tried six times over)
        if _share(folded, _month_words(language), search=True) < 0.5:
            continue
        translated = _infer(translate_months(sample, language).dropna(), prefer_day_first)
        if translated is not None:
            return replace(translated, months=language)
    return None


@functools.cache
def _month_words(language: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(word) for word, _ in vocab.MONTHS[language]) + r")\b")


_LEADING_RE = re.compile(LEADING_DATE)
_WORD_RE = re.compile(r"[^\W\d_]{3}")
_TWO_NUMBERS = re.compile(r"\d\D+\d")


def _share(sample: pd.Series, pattern: re.Pattern[str], *, search: bool = False) -> float:
    """Share of the (few hundred) sampled values matching ``pattern`` at their start, or anywhere with ``search``."""
    test = pattern.search if search else pattern.match
    values = sample.tolist()
    return sum(test(v) is not None for v in values) / len(values) if values else 0.0


#: values a date format is first tried on; formats that read fewer than half of them are not tried further
_PROBE = 24


def _infer(sample: pd.Series, prefer_day_first: bool | None) -> DateFormat | None:
    if sample.empty:
        return None
    if _share(sample, _ISO_RE) >= 0.5:
        return DateFormat("ISO8601", None)
    if _share(sample, _EPOCH_RE) >= 0.5:
        return DateFormat("epoch_ms" if sample.str.len().median() >= 13 else "epoch_s", None)
    serials = pd.to_numeric(sample, errors="coerce")
    if serials.notna().mean() >= 0.9 and serials.between(32874, 58440).mean() >= 0.9:
        return DateFormat("excel_serial", None)  # Excel's day count since 1899-12-30 (years 1990..2060)
    if _share(sample, _TWO_NUMBERS, search=True) < 0.5:
        return None  # every format has a day and a year: two runs of digits apart (not "C116726", not "12 boxes")
    probe = sample.iloc[np.linspace(0, len(sample) - 1, min(_PROBE, len(sample))).astype(int)]
    likely = [(fmt, df) for fmt, df in _FORMATS if _share_parsed(probe, fmt) >= 0.5]
    scored = [(fmt, day_first, _share_parsed(sample, fmt)) for fmt, day_first in likely] or [("", None, 0.0)]
    best = max(share for _, _, share in scored)
    if best < 0.5:
        return None
    top = [(fmt, df) for fmt, df, share in scored if share == best]
    day_orders = {df for _, df in top if df is not None}
    if len(day_orders) == 2:
        dotted = any("." in f and "%d" in f for f, _ in top)
        if dotted and prefer_day_first is None:  # 02.03.2026 is day-first wherever dots are used
            return DateFormat(next(f for f, df in top if df is True), True)
        choice = bool(prefer_day_first)  # US order unless the file or the user says otherwise
        fmt = next(f for f, df in top if df is choice)
        return DateFormat(fmt, choice, ambiguous=True)
    fmt, df = top[0]
    return DateFormat(fmt, df)


_HAS_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)$"


def parse_dates(values: pd.Series, fmt: DateFormat, timezone: str = "UTC") -> tuple[pd.Series, pd.Series]:
    """(timestamps as naive UTC, mask of cells that had text but could not be read).

    Times without an offset are wall-clock times in ``timezone``.
    """
    text = clean(values)
    if fmt.leading:
        text = text.str.extract(LEADING_DATE, expand=False).fillna(text)
    if fmt.months:
        text = translate_months(text, fmt.months)
    if fmt.fmt == "excel_serial":
        days = pd.to_numeric(text, errors="coerce")
        parsed = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
    elif fmt.fmt in {"epoch_s", "epoch_ms"}:
        nums = pd.to_numeric(text, errors="coerce")
        parsed = pd.to_datetime(nums, unit="s" if fmt.fmt == "epoch_s" else "ms", errors="coerce")
    elif fmt.fmt == "ISO8601":
        parsed = pd.to_datetime(text.str.replace(r"\s*UTC$", "Z", regex=True), format="ISO8601", errors="coerce",
                                utc=True)
        parsed = parsed.dt.tz_convert(None)
    else:
        parsed = pd.to_datetime(text, format=fmt.fmt, errors="coerce")
    parsed = pd.Series(parsed, index=values.index).astype("datetime64[us]")
    if timezone != "UTC" and fmt.fmt not in {"epoch_s", "epoch_ms", "excel_serial"}:
        local = ~text.str.contains(_HAS_OFFSET, regex=True, na=False)
        shifted = (parsed[local].dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
                   .dt.tz_convert("UTC").dt.tz_localize(None))
        parsed = parsed.where(~local, shifted.reindex(parsed.index)).astype("datetime64[us]")
    bad = text.notna() & parsed.isna()
    placeholder = parsed < MIN_REAL_DATE
    parsed = parsed.mask(placeholder)
    return parsed, bad
