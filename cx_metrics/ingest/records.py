"""Where the records of a CSV body begin and end, found once and exactly, so the body can be parsed in pieces.

pyarrow parses a CSV on every core by cutting it into blocks at line breaks. A cut inside a quoted value (a
multi-line description) makes it read the two halves as malformed rows and, with a handler that skips those,
lose the record without a word. Tracking quotes in its chunker instead halves its speed. Here the quotes are
found once (numpy, on every core) and the body is cut only where a record ends; each piece is then parsed whole.

The quote structure is read as pyarrow and Python's csv module read it (RFC 4180, leniently): a quote opens a
quoted value only at the start of a field; inside, ``""`` is a quote and a single quote closes the value; text
after a closing quote is appended to the field. Two cases are not read that way, because they would merge
records silently:

* a quote that never closes would swallow every record after it into one cell;
* a quoted value that spans a line break and is "closed" by a quote followed by text (not a delimiter or the end
  of the line) was most likely never closed either: the quote that ends it is the opening quote of a later value.

Both are :class:`Broken`: the record is reported with its line and left out, and reading resumes at the line
after the opening quote, so the records that follow load as themselves.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

QUOTE, LF, CR = 0x22, 0x0A, 0x0D
SCAN_BYTES = 16 << 20  # bytes per scan task
STEP_BYTES = 1 << 20  # bytes per numpy comparison: its temporary array is reused by the allocator, not re-mapped
T = TypeVar("T")


def in_parallel(fn: Callable[..., T], items: list[Any]) -> list[T]:
    """``fn`` over ``items`` on every core (numpy and pyarrow release the GIL), results in order."""
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(len(items), os.cpu_count() or 2)) as pool:
        return list(pool.map(fn, items))


def positions(arr: np.ndarray, byte: int, begin: int = 0, end: int | None = None, *,
              parallel: bool = True) -> np.ndarray:
    """Offsets in ``arr[begin:end]`` (counted from the start of ``arr``) where ``byte`` occurs."""
    stop = len(arr) if end is None else end

    def find(span: tuple[int, int]) -> np.ndarray:
        steps = [np.flatnonzero(arr[s:min(s + STEP_BYTES, span[1])] == byte) + s
                 for s in range(span[0], span[1], STEP_BYTES)]
        return np.concatenate(steps) if steps else np.zeros(0, dtype=np.int64)

    if not parallel:
        return find((begin, stop))
    found = in_parallel(find, [(s, min(s + SCAN_BYTES, stop)) for s in range(begin, stop, SCAN_BYTES)])
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Broken:
    """A record whose quoted value never closes: left out and reported (offsets into the body)."""

    start: int  # where the record begins
    end: int  # just past the line that holds the opening quote: reading resumes here
    quote: int  # the opening quote
    close: int  # the quote followed by text that would have closed it on a later line; -1: none does


@dataclass
class Structure:
    """The quoted values of a body as the parser reads them, and the records that had to be left out."""

    size: int
    opens: np.ndarray  # offset of each quoted value's opening quote, ascending
    closes: np.ndarray  # offset of its closing quote
    broken: list[Broken] = field(default_factory=list)
    # closing quotes followed by text on the same line ('"12" screen'): read as a spreadsheet reads them (the text
    # joins the value), but not well formed, so the reader names their lines
    loose: list[int] = field(default_factory=list)
    # every quote is where RFC 4180 puts it (or there is none): any strict CSV parser reads the body exactly so
    exact: bool = True

    def inside(self, offsets: np.ndarray) -> np.ndarray:
        """Whether each offset lies inside a quoted value (between its quotes)."""
        if len(self.opens) == 0:
            return np.zeros(len(offsets), dtype=bool)
        k = np.searchsorted(self.opens, offsets, side="right") - 1
        valid = k >= 0
        return valid & (offsets < self.closes[np.maximum(k, 0)])

    def _record_end(self, data: Any, origin: int, pos: int) -> int:
        """Offset just past the first line break at or after ``pos`` that ends a record (``size`` if none)."""
        while pos < self.size:
            nl = data.find(b"\n", origin + pos, origin + self.size)
            if nl < 0:
                return self.size
            nl = int(nl) - origin
            k = int(np.searchsorted(self.opens, nl, side="right")) - 1
            if k >= 0 and nl < self.closes[k]:
                pos = int(self.closes[k]) + 1
                continue
            return nl + 1
        return self.size

    def pieces(self, data: Any, origin: int, target: int, *, leave_out_broken: bool = True) -> list[tuple[int, int]]:
        """The body cut into spans of about ``target`` bytes, each ending where a record ends; broken records
        are left out (they are the gaps between spans) unless ``leave_out_broken`` is false."""
        broken = self.broken if leave_out_broken else []
        edges = [0, *[x for b in broken for x in (b.start, b.end)], self.size]
        spans: list[tuple[int, int]] = []
        for begin, stop in zip(edges[0::2], edges[1::2], strict=True):
            while begin < stop:
                cut = stop if stop - begin <= target else min(self._record_end(data, origin, begin + target), stop)
                spans.append((begin, cut))
                begin = cut
        return spans


def scan(data: Any, origin: int, size: int, delimiter: str) -> Structure:
    """The quote structure of the body ``data[origin:origin + size]`` (bytes, or an mmap)."""
    arr = np.frombuffer(data, dtype=np.uint8)[origin:origin + size] if size else np.zeros(0, dtype=np.uint8)
    if size == 0 or data.find(b'"', origin, origin + size) < 0:
        empty = np.zeros(0, dtype=np.int64)
        return Structure(size, empty, empty)
    quotes = positions(arr, QUOTE)
    well_formed = _well_formed(arr, quotes, ord(delimiter))
    if well_formed is not None:
        return Structure(size, *well_formed)
    return _walk(data, origin, arr, quotes, ord(delimiter))


def _well_formed(arr: np.ndarray, q: np.ndarray, delim: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(opens, closes) when every quote is where RFC 4180 puts it (then pairing quotes in order is exact), else
    None: each opening quote starts a field (or follows a closing quote: ``""``), each closing quote ends one (or
    precedes an opening quote), and the count is even."""
    if len(q) % 2:
        return None
    n = len(arr)
    opens, closes = q[0::2], q[1::2]
    before = arr[np.maximum(opens - 1, 0)]
    starts_field = (opens == 0) | (before == delim) | (before == LF) | (before == CR)
    starts_field[1:] |= opens[1:] - 1 == closes[:-1]
    after = arr[np.minimum(closes + 1, n - 1)]
    ends_field = (closes + 1 >= n) | (after == delim) | (after == LF) | (after == CR)
    ends_field[:-1] |= closes[:-1] + 1 == opens[1:]
    if bool(starts_field.all()) and bool(ends_field.all()):
        return opens, closes
    return None


def _walk(data: Any, origin: int, arr: np.ndarray, q: np.ndarray, delim: int) -> Structure:
    """The exact reading of a body whose quotes are not all well placed: one step per quote (only such files)."""
    n, k = len(arr), len(q)
    field_ends = (delim, LF, CR)
    opens: list[int] = []
    closes: list[int] = []
    broken: list[Broken] = []
    loose: list[int] = []
    i = 0
    while i < k:
        p = int(q[i])
        if p > 0 and arr[p - 1] not in field_ends:
            i += 1  # a quote inside an unquoted value is text
            continue
        j = i + 1
        while j + 1 < k and q[j + 1] == q[j] + 1:  # "" inside a quoted value is one quote
            j += 2
        close = int(q[j]) if j < k else -1
        after = arr[close + 1] if 0 <= close < n - 1 else LF
        spans_lines = data.find(b"\n", origin + p, origin + (close if close >= 0 else n)) >= 0
        if close >= 0 and (after in field_ends or not spans_lines):
            opens.append(p)
            closes.append(close)
            if after not in field_ends:
                loose.append(close)
            i = j + 1
            continue
        # never closed, or closed on a later line by a quote followed by text: leave the record out and read on
        # from the line after the opening quote
        line_end = data.find(b"\n", origin + p, origin + n)
        end = n if line_end < 0 else line_end - origin + 1
        start = _record_start(data, origin, p, opens, closes, broken[-1].end if broken else 0)
        broken.append(Broken(start, end, p, close))
        i = int(np.searchsorted(q, end))
    return Structure(n, np.asarray(opens, dtype=np.int64), np.asarray(closes, dtype=np.int64), broken, loose,
                     exact=False)


def _record_start(data: Any, origin: int, p: int, opens: list[int], closes: list[int], floor: int) -> int:
    """Where the record holding offset ``p`` begins: just past the last line break before it outside quotes."""
    pos = p
    while pos > floor:
        nl = data.rfind(b"\n", origin + floor, origin + pos)
        if nl < 0:
            return floor
        nl = int(nl) - origin
        k = bisect.bisect_right(opens, nl) - 1
        if k >= 0 and nl < closes[k]:
            pos = opens[k]
            continue
        return nl + 1
    return floor


@dataclass(frozen=True)
class Counts:
    """Bytes of a span of a body that decide how it is read: line feeds, carriage returns, CRs followed by an LF
    (the LF may lie just past the span), NULs and the delimiter."""

    lf: int
    cr: int
    crlf: int
    nul: int
    delimiter: int

    @property
    def breaks(self) -> int:
        """Line breaks: LF, CRLF, and a CR alone (as old Mac exports end lines); as :func:`line_breaks`."""
        return self.lf + self.cr - self.crlf

    @property
    def strict_readable(self) -> bool:
        """No NUL and no lone CR (old Mac line ends): DuckDB's strict reader may read the span; else pyarrow does."""
        return not self.nul and self.cr == self.crlf

    @staticmethod
    def total(spans: list[Counts]) -> Counts:
        """The counts of consecutive spans taken together."""
        return Counts(*(sum(getattr(c, f) for c in spans) for f in ("lf", "cr", "crlf", "nul", "delimiter")))


def count_bytes(data: Any, begin: int, end: int, delimiter: str) -> Counts:
    """:class:`Counts` of ``data[begin:end]`` in one pass of cache-sized numpy steps.

    ``bytes.count`` and ``bytes.find`` hold the GIL: five such passes over each 64 MB piece (LF, CR, CRLF, NUL,
    delimiter) ran one piece at a time whatever the cores, 0.2 s a piece for a CRLF export. numpy releases it, so
    the pieces parsed in parallel count in parallel too."""
    arr = np.frombuffer(data, dtype=np.uint8)
    lf = cr = crlf = nul = delim = 0
    byte = ord(delimiter)
    for s in range(begin, end, STEP_BYTES):
        e = min(s + STEP_BYTES, end)
        step = arr[s:e]
        lf += int(np.count_nonzero(step == LF))
        crs = step == CR
        n = int(np.count_nonzero(crs))
        if n:
            cr += n
            after = arr[s + 1:min(e + 1, len(arr))]  # the byte after each, one past the span for its last
            crlf += int(np.count_nonzero(crs[:len(after)] & (after == LF)))
        nul += int(np.count_nonzero(step == 0))
        delim += int(np.count_nonzero(step == byte))
    return Counts(lf, cr, crlf, nul, delim)


def line_breaks(data: bytes | bytearray, begin: int, end: int) -> int:
    """Line breaks in ``data[begin:end]``: LF, CRLF, and a CR alone (as old Mac exports end lines)."""
    breaks = data.count(b"\n", begin, end)
    if data.find(b"\r", begin, end) >= 0:  # a CR followed by LF is one break with it
        breaks += data.count(b"\r", begin, end) - data.count(b"\r\n", begin, min(end + 1, len(data)))
    return breaks


def record_lines(arr: np.ndarray, begin: int, end: int, structure: Structure, first_line: int, width: int,
                 delimiter: str, *, count_fields: bool, has_cr: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(line of each row, line of each malformed record) in ``arr[begin:end]``, a span that starts a record on
    physical line ``first_line``. Rows are the records the parser returns: not empty and, when ``count_fields``
    (the parser reported malformed records here), of ``width`` fields; the others are malformed."""
    lfs = positions(arr, LF, begin, end, parallel=False)
    if has_cr:
        crs = positions(arr, CR, begin, end, parallel=False)
        lone_crs = crs[(crs + 1 >= len(arr)) | (arr[np.minimum(crs + 1, len(arr) - 1)] != LF)]
        breaks = np.sort(np.concatenate([lfs, lone_crs])) if len(lone_crs) else lfs
    else:
        breaks = lfs
    ends = breaks[~structure.inside(breaks)]
    starts = np.concatenate([[begin], ends + 1])
    stops = np.concatenate([ends, [end]])
    keep = starts < end
    starts, stops = starts[keep], stops[keep]
    lines = first_line + np.searchsorted(breaks, starts)
    length = stops - starts
    present = ~((length == 0) | ((length == 1) & (arr[np.minimum(starts, len(arr) - 1)] == CR)))
    if not count_fields:
        return lines[present], lines[:0]
    delims = positions(arr, ord(delimiter), begin, end, parallel=False)
    delims = delims[~structure.inside(delims)]
    fields = np.bincount(np.searchsorted(starts, delims, side="right") - 1, minlength=len(starts)) + 1
    return lines[present & (fields == width)], lines[present & (fields != width)]
