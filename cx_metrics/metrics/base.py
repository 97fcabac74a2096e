"""What the database holds: date span, filter options, imports (feeds defaults and status views)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cx_metrics.columns import describe_rows
from cx_metrics.db import Connection, query
from cx_metrics.filters import Period

DEFAULT_WEEKS = 13


def data_range(conn: Connection) -> tuple[dt.date, dt.date] | None:
    """First and last day with a ticket or a survey response; None for an empty database."""
    row = query(conn, "data_range").iloc[0]
    if pd.isna(row["first_at"]) or pd.isna(row["last_at"]):
        return None
    return pd.Timestamp(row["first_at"]).date(), pd.Timestamp(row["last_at"]).date()


def default_period(conn: Connection, weeks: int = DEFAULT_WEEKS) -> Period:
    """The last ``weeks`` full weeks (Mon-Sun) up to the last day of the user's own data, or of the demo's when the
    database holds nothing else; today's if there is no data (:func:`period_for_span`).

    Own data decides when there is any, so after an import the pages open on it, not on the demo's dates.
    """
    found = contents(conn)
    return period_for_span(found.own_span or found.demo_span, weeks)


def period_for_span(span: tuple[dt.date, dt.date] | None, weeks: int = DEFAULT_WEEKS) -> Period:
    """The last ``weeks`` full weeks (Mon-Sun) up to ``span``'s last day, no earlier than its first; today's week
    range when there is no span. Ending on a Sunday keeps weekly buckets whole and the previous period comparable."""
    last = span[1] if span else dt.datetime.now(dt.UTC).date()
    end = last - dt.timedelta(days=(last.weekday() + 1) % 7)  # the Sunday on or before `last`
    if span and end < span[0]:
        end = last
    start = end - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)
    if span and start < span[0]:
        start = span[0]
    return Period(start, end)


#: data tables in the order a person reads them, with the noun of one row
@dataclass(frozen=True)
class Contents:
    """Where the database's rows came from: the seeded demo dataset or the user's own imports."""

    demo_rows: dict[str, int]
    own_rows: dict[str, int]
    demo_span: tuple[dt.date, dt.date] | None
    own_span: tuple[dt.date, dt.date] | None

    @property
    def has_demo(self) -> bool:
        return any(self.demo_rows.values())

    @property
    def has_own(self) -> bool:
        return any(self.own_rows.values())

    @property
    def mixed(self) -> bool:
        """Demo rows and the user's rows side by side: every figure counts both."""
        return self.has_demo and self.has_own

    describe = staticmethod(describe_rows)

    def summary(self) -> str:
        """One sentence on what the database holds, for `cx info` and the dashboard."""
        if self.mixed:
            return (f"MIXED: the demo dataset ({self.describe(self.demo_rows)}) and your own data "
                    f"({self.describe(self.own_rows)}); every figure counts both.")
        if self.has_demo:
            return f"the demo dataset only ({self.describe(self.demo_rows)}), not your data."
        if self.has_own:
            return f"your own data ({self.describe(self.own_rows)})."
        return "nothing yet."


def _span(first: Any, last: Any) -> tuple[dt.date, dt.date] | None:
    if pd.isna(first) or pd.isna(last):
        return None
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def contents(conn: Connection) -> Contents:
    """Rows per table from the demo dataset and from the user's own imports, and the span of each."""
    frame = query(conn, "data_origin")
    rows: dict[str, dict[str, int]] = {"demo": {}, "own": {}}
    spans: dict[str, tuple[dt.date, dt.date] | None] = {"demo": None, "own": None}
    for origin, group in frame.groupby("origin", sort=False):
        rows[str(origin)] = {str(t): int(n) for t, n in zip(group["table_name"], group["row_count"], strict=True)}
        spans[str(origin)] = _span(group["first_at"].min(), group["last_at"].max())
    return Contents(rows["demo"], rows["own"], spans["demo"], spans["own"])


def filter_options(conn: Connection) -> dict[str, list[str]]:
    """Values offered by each shared filter, most common first."""
    frame = query(conn, "filter_options")
    out: dict[str, list[str]] = {"plans": [], "regions": [], "segments": [], "channels": []}
    for dim, group in frame.groupby("dimension", sort=False):
        out[str(dim)] = [str(v) for v in group["value"]]
    return out


def imports(conn: Connection) -> pd.DataFrame:
    """One row per import, newest first (columns as in ``imports_list.sql``)."""
    return query(conn, "imports_list")


#: breakdowns whose values come in a fixed order (not from the data)
FIXED_VALUES = {
    "generation": ["Silent", "Boomers", "Gen X", "Millennials", "Gen Z", "Gen Alpha"],
    "handoffs": ["0 handoffs", "1 handoff", "2+ handoffs"],
}


def dimension_values(conn: Connection) -> dict[str, list[str]]:
    """Every value of each breakdown in the database, most common first (fixed orders for generations and
    handoffs): what chart colours are keyed on (:func:`cx_metrics.charts.color_map`), so a category keeps its colour
    when a filter or another period leaves others out."""
    frame = query(conn, "dimension_values")
    out: dict[str, list[str]] = {dim: list(values) for dim, values in FIXED_VALUES.items()}
    for dim, group in frame.groupby("dimension", sort=False):
        out[str(dim)] = [str(v) for v in group["value"]]
    return out
