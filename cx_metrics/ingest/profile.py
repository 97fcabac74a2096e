"""What a column holds, read from a sample of its values: type by parsing, share parsed, uniqueness,
cardinality, text length, monotone counters, status/boolean vocabularies, e-mails, hashes.

Profiles are computed on at most :data:`SAMPLE_ROWS` rows (evenly spread over the file), so inference costs
the same on a thousand rows as on ten million.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx_metrics.ingest import parse, vocab
from cx_metrics.ingest.reader import RawTable, clean

SAMPLE_ROWS = 3_000
_VOCABULARY_VALUES = 300  # distinct values read for status, channel and yes/no words
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_HASH = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$", re.IGNORECASE)
_KEYLIKE = re.compile(r"^[A-Za-z]{0,6}[-_ #]?\d[\d\s\u00a0\u202f.,/-]*$")
_TIME_OF_DAY = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?$")
_NUMBER = re.compile(r"^[-+]?(?:\d+|\d{1,3}(?:[,.\s\u00a0]\d{3})+)(?:[.,]\d+)?$")
_STATUS = [(re.compile(p), label) for p, label in vocab.STATUS_WORDS]


@dataclass
class ColumnProfile:
    name: str
    present: int  # non-missing values in the sample
    rows: int
    distinct: int
    unique_share: float  # distinct / present
    date_share: float  # share of values read by the best date format
    date_format: parse.DateFormat | None
    number_share: float
    integer_share: float
    time_share: float  # time of day (09:41, 9:41 PM) or a day fraction between 0 and 1
    mean_length: float
    email_share: float
    hash_share: float
    keylike_share: float  # short codes with digits: INC0000045, 3384392, SD-101, 5 732 943
    status_share: float  # values that read as a ticket status word in some language
    channel_share: float  # values that name a contact channel (email, phone, chat, web...)
    bool_share: float  # values in a two-value yes/no vocabulary (any language)
    monotone: bool  # integers increasing by one along the rows (a row counter)
    sentinels: list[str] = field(default_factory=list)  # values that stand for "missing" in this column
    number_min: float | None = None
    number_max: float | None = None
    top: list[str] = field(default_factory=list)  # most frequent values
    clock_share: float = 0.0  # share of the dates read that carry a time of day (not midnight)
    repeated: int = 0  # distinct values that occur more than once
    repeat_share: float = 0.0  # share of the values whose value occurs more than once

    @property
    def fill(self) -> float:
        return self.present / self.rows if self.rows else 0.0

    @property
    def is_date(self) -> bool:
        return self.date_share >= 0.6 and self.number_share < 0.9

    @property
    def is_number(self) -> bool:
        return self.number_share >= 0.9

    @property
    def is_text(self) -> bool:
        return not self.is_date and not self.is_number and self.present > 0

    @property
    def is_identifier(self) -> bool:
        """Unique per row, a row counter or a hash: a key, never a measurement."""
        if self.present == 0:
            return False
        unique = self.unique_share >= 0.98 and self.present >= 10
        return (self.monotone or self.hash_share >= 0.9
                or (unique and (self.keylike_share >= 0.8 or self.is_number) and self.date_share < 0.5))


def sample(raw: RawTable, n: int = SAMPLE_ROWS) -> pd.DataFrame:
    """At most ``n`` rows: the file's first rows and rows spread evenly over the rest."""
    if raw.num_rows <= n:
        return raw.data
    head = n // 2
    rest = np.linspace(head, raw.num_rows - 1, n - head).astype(int)
    frame: pd.DataFrame = raw.take(np.concatenate([np.arange(head), rest])).to_pandas(
        types_mapper=lambda t: pd.StringDtype())
    return frame


def profile_table(frame: pd.DataFrame) -> dict[str, ColumnProfile]:
    return {str(col): profile_column(str(col), frame[col]) for col in frame.columns}


def _by_value(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``fn`` computed once per distinct value and spread back over ``values`` (a label column of 3,000 sampled
    rows has a handful of distinct values: its parses cost a handful)."""
    distinct = values.drop_duplicates()
    if len(distinct) == len(values):
        return fn(values)
    result = fn(distinct)
    spread = pd.Series(result.to_numpy(), index=distinct.to_numpy()).reindex(values.to_numpy())
    return pd.Series(spread.to_numpy(), index=values.index, dtype=result.dtype)


def _numbers(text: pd.Series) -> pd.Series:
    plain = pd.to_numeric(text, errors="coerce")
    rest = text[plain.isna()]
    rest = rest[rest.str.match(_NUMBER)] if len(rest) else rest  # only number-shaped text is read further
    if len(rest):
        european = rest.str.replace(r"[\s\u00a0\u202f.]", "", regex=True).str.replace(",", ".", regex=False)
        american = rest.str.replace(r"[\s\u00a0\u202f,]", "", regex=True)
        parsed = pd.to_numeric(american.where(~rest.str.contains(r",\d{1,2}$", regex=True), european),
                               errors="coerce")
        plain = plain.fillna(parsed)
    return plain.astype("float64")


def profile_column(name: str, values: pd.Series) -> ColumnProfile:
    text = clean(values)
    rows = len(text)
    present_all = text.dropna()
    # values that stand for "missing" (?, --, <none>...) are not data
    values = present_all.drop_duplicates()
    sentinels = sorted(values[values.str.match(vocab.SENTINEL_RE).to_numpy(dtype=bool)].tolist())
    present = present_all[~present_all.isin(sentinels)] if sentinels else present_all
    n = len(present)
    if n == 0:
        return ColumnProfile(name, 0, rows, 0, 0.0, 0.0, None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                             False, sentinels)
    distinct = int(present.nunique())
    counts = present.value_counts()
    repeated, in_repeats = int((counts > 1).sum()), int(counts[counts > 1].sum())
    numbers = _by_value(present, _numbers)
    number_share = float(numbers.notna().mean())
    finite = numbers.dropna()
    integer_share = float((finite == finite.round()).mean()) if len(finite) else 0.0
    fmt = parse.infer_date_format(present) if number_share < 0.9 or _serial_like(finite) else None
    date_share = clock_share = 0.0
    if fmt is not None:
        parsed = _by_value(present, lambda v: parse.parse_dates(v, fmt)[0])
        date_share = float(parsed.notna().mean())
        read = parsed.dropna()
        clock_share = float((read != read.dt.normalize()).mean()) if len(read) else 0.0
    # word vocabularies are read on the distinct values (a label column has few), weighted by how often each occurs;
    # a column with hundreds of distinct texts is no status, channel or yes/no column: its commonest values decide
    common = counts.head(_VOCABULARY_VALUES)
    folded_values = pd.Series([vocab.fold(v) for v in common.index.astype(str)], index=common.index, dtype=object)
    weights = common.to_numpy(dtype=float) / n
    fractions = finite[(finite >= 0) & (finite < 1)]
    distinct_values = pd.Series(counts.index.astype(str), dtype=object)
    shares = counts.to_numpy(dtype=float) / n

    def share(pattern: re.Pattern[str]) -> float:
        """Share of the values matching ``pattern``, read once per distinct value."""
        return float((distinct_values.map(lambda v: pattern.match(v) is not None).to_numpy(dtype=float)
                      * shares).sum())

    time_share = share(_TIME_OF_DAY)
    if number_share >= 0.9 and len(finite) and len(fractions) == len(finite) and integer_share < 0.5:
        time_share = 1.0  # Excel writes a time of day as a fraction of a day
    ints = finite.to_numpy()
    monotone = bool(number_share == 1.0 and integer_share == 1.0 and n >= 10 and n == rows
                    and np.all(np.diff(ints) == 1))
    status_share = float((folded_values.map(_is_status).to_numpy(dtype=float) * weights).sum())
    bool_values = set(folded_values.tolist())
    bool_share = float(distinct <= len(common) and 0 < len(bool_values) <= 2
                       and all(v in vocab.TRUE_WORDS or v in vocab.FALSE_WORDS for v in bool_values))
    return ColumnProfile(
        name=name, present=n, rows=rows, distinct=distinct, unique_share=distinct / n,
        date_share=date_share, date_format=fmt, number_share=number_share, integer_share=integer_share,
        time_share=time_share, mean_length=float(present.str.len().mean()),
        email_share=share(_EMAIL), hash_share=share(_HASH), keylike_share=share(_KEYLIKE), status_share=status_share,
        channel_share=float((folded_values.str.contains(vocab.CHANNEL_WORDS).to_numpy(dtype=float) * weights).sum())
        if number_share < 0.5 else 0.0,
        bool_share=bool_share, monotone=monotone, sentinels=sentinels,
        number_min=float(finite.min()) if len(finite) else None,
        number_max=float(finite.max()) if len(finite) else None,
        top=counts.head(8).index.astype(str).tolist(), clock_share=clock_share, repeated=repeated,
        repeat_share=in_repeats / n,
    )


def _serial_like(numbers: pd.Series) -> bool:
    """Excel day serials (1990..2060) are numbers that are dates."""
    return bool(len(numbers) and numbers.between(32874, 58440).mean() >= 0.9 and numbers.nunique() > 1)


def _is_status(value: str) -> bool:
    return any(rx.search(value) for rx, _ in _STATUS) and len(value) <= 40


def status_class(value: str | None) -> str | None:
    """A status word in any known language -> new / pending / solved / closed / open (None: not a status)."""
    if value is None:
        return None
    folded = vocab.fold(value.strip())
    return next((label for rx, label in _STATUS if rx.search(folded)), None)
