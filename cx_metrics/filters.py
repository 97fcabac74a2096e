"""Shared filters (the dashboard sidebar, the CLI flags) and reporting periods.

Every metric query binds the same parameters, produced by :meth:`Filters.params` and
:meth:`Period.params`. Empty selections mean "all".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

#: filter name -> what it applies to (stated in the app next to the filters)
FILTER_SCOPE = {
    "plans": "customer plan",
    "regions": "customer region",
    "segments": "customer segment",
    "channels": "ticket / surveyed interaction channel (does not apply to churn)",
}


@dataclass(frozen=True)
class Filters:
    plans: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            values = list(getattr(self, f.name))
            out[f.name] = values
            out[f"all_{f.name}"] = not values
        return out

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def describe(self, value: Callable[[str], str] = str) -> str:
        """"plans: Pro; channels: chat" (``value`` formats each filter value, e.g. escapes it for Markdown)."""
        parts = [f"{f.name}: {', '.join(map(value, getattr(self, f.name)))}" for f in fields(self)
                 if getattr(self, f.name)]
        return "; ".join(parts) if parts else "no filters"

    @classmethod
    def of(cls, **values: Any) -> Filters:
        return cls(**{k: tuple(sorted(str(x) for x in (v or ()))) for k, v in values.items()})


@dataclass(frozen=True)
class Period:
    """An inclusive range of calendar days [start, end] (UTC)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_ts(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    @property
    def end_ts(self) -> dt.datetime:
        """Exclusive end: midnight after the last day."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())

    def previous(self) -> Period:
        """The period of equal length immediately before this one."""
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def label(self) -> str:
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    def comparison_params(self) -> dict[str, Any]:
        prev = self.previous()
        return {"prev_start": prev.start_ts, "cur_start": self.start_ts, "cur_end": self.end_ts}
