"""Complaint volume over time."""

from __future__ import annotations

import pandas as pd

from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period

GRAINS = ("day", "week", "month")


def _period_end(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "day":
        return start + pd.Timedelta(days=1)
    if grain == "week":
        return start + pd.Timedelta(days=7)
    return start + pd.offsets.MonthBegin(1)


def complaint_trend(
    conn: Connection,
    *,
    period: Period,
    grain: str = "week",
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Complaints per ``grain`` (day/week/month) and category, zero-filled.

    Columns: ``period_start`` (Timestamp, weeks start Monday), ``category``, ``complaints`` (int),
    ``partial`` (bool: the period is cut by the date range, so its count covers fewer days),
    ``days_covered`` (int).
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")
    params = {
        **(filters or Filters()).params(),
        "grain": grain,
        "start": period.start_ts,
        "end": period.end_ts,
    }
    raw = query(conn, "complaint_trend", params)
    columns = ["period_start", "category", "complaints", "partial", "days_covered"]
    if raw.empty:
        return pd.DataFrame(columns=columns)
    # Every period touched by the range, also those without complaints (zero, not missing).
    trunc = {"day": "D", "week": "W-SUN", "month": "M"}[grain]
    cursor = pd.Timestamp(period.start_ts).to_period(trunc).start_time
    end = pd.Timestamp(period.end_ts)
    starts = []
    while cursor < end:
        starts.append(cursor)
        cursor = _period_end(cursor, grain)
    grid = pd.MultiIndex.from_product(
        [pd.DatetimeIndex(starts), sorted(raw["category"].unique())], names=["period_start", "category"]
    )
    raw["period_start"] = pd.to_datetime(raw["period_start"])
    out = (
        raw.set_index(["period_start", "category"])["complaints"]
        .reindex(grid, fill_value=0)
        .astype("int64")
        .reset_index()
    )
    lo, hi = pd.Timestamp(period.start_ts), end
    ends = out["period_start"].map(lambda s: _period_end(s, grain))
    covered = (ends.where(ends < hi, hi) - out["period_start"].where(out["period_start"] > lo, lo)).dt.days
    out["days_covered"] = covered.astype("int64")
    out["partial"] = (out["period_start"] < lo) | (ends > hi)
    return out[columns]
