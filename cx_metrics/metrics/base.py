"""What the database holds: date span, filter options, imports (feeds defaults and status views)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

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
    """The last ``weeks`` full weeks (Mon-Sun) up to the data's last day; today's if there is no data.

    Ending on a Sunday keeps weekly buckets whole and the previous period comparable.
    """
    span = data_range(conn)
    last = span[1] if span else dt.datetime.now(dt.UTC).date()
    end = last - dt.timedelta(days=(last.weekday() + 1) % 7)  # the Sunday on or before `last`
    if span and end < span[0]:
        end = last
    start = end - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)
    if span and start < span[0]:
        start = span[0]
    return Period(start, end)


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
