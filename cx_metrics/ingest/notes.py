"""Warnings that count rows, so that the parts of one file add up to the file's figure.

A large export is imported in parts; each part says "69,010 tickets carry no time". Written as a plain sentence,
the parts' figures cannot be added, and the import reported the first part's figure. A :class:`Counted` warning
is still the sentence (a ``str``) but keeps its template, its row count and the lines it names, so :func:`merge`
sums the parts (and the lines, counted from the top of the file).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

SHOWN_LINES = 5  # lines named in a warning; the count says how many there are


class Counted(str):
    """A warning about ``rows`` rows: ``template`` with ``{n}`` for that count (and ``{lines}`` for the first
    lines it concerns, when it names lines)."""

    template: str
    rows: int
    lines: tuple[int, ...]

    def __new__(cls, template: str, rows: int, lines: Iterable[int] = ()) -> Counted:
        kept = tuple(lines)[:SHOWN_LINES]
        shown = ", ".join(f"{n:,}" for n in kept) + (", ..." if rows > len(kept) else "")
        self = super().__new__(cls, template.format(n=rows, lines=shown))
        self.template, self.rows, self.lines = template, rows, kept
        return self

    def __getnewargs__(self) -> tuple[str, int, tuple[int, ...]]:  # type: ignore[override]
        return self.template, self.rows, self.lines

    def shifted(self, offset: int) -> Counted:
        """The same warning with its lines counted ``offset`` lines further down the file."""
        return Counted(self.template, self.rows, [n + offset for n in self.lines])


def literal(text: str) -> str:
    """``text`` for a template: its braces (a column may be named "{x}") are not placeholders."""
    return text.replace("{", "{{").replace("}", "}}")


def merge(parts: Iterable[list[str]], offsets: Iterable[int] | None = None) -> list[str]:
    """One list of warnings for the parts of a file: counted warnings with one template are summed, the lines
    they name are shifted by each part's line offset; any other sentence is kept once."""
    out: list[str] = []
    where: dict[str, int] = {}
    for warnings, offset in zip(parts, itertools.repeat(0) if offsets is None else offsets, strict=False):
        for warning in warnings:
            if isinstance(warning, Counted):
                warning = warning.shifted(offset)
                if warning.template in where:
                    i = where[warning.template]
                    before = out[i]
                    assert isinstance(before, Counted)
                    out[i] = Counted(warning.template, before.rows + warning.rows, before.lines + warning.lines)
                    continue
                where[warning.template] = len(out)
            elif warning in out:
                continue
            out.append(warning)
    return out
