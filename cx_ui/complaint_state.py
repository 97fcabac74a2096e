"""Cached wrappers of the complaint pages (Complaint trends, and the Overview's weekly trend and anomalies)."""

from __future__ import annotations

import pandas as pd

from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import complaints
from cx_ui.state import cached, connection, settings


@cached(max_entries=64)
def complaint_trend(period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return complaints.complaint_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@cached(max_entries=64)
def complaint_volume(period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    return complaints.complaint_volume(connection(), period=period, grain=grain, by=by, filters=filters,
                                       settings=settings())


@cached(max_entries=64)
def top_movers(period: Period, filters: Filters, by: str) -> pd.DataFrame:
    return complaints.top_movers(connection(), period=period, by=by, filters=filters, settings=settings())


@cached(max_entries=64)
def anomalies(period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    return complaints.anomalies(connection(), period=period, grain=grain, by=by, filters=filters, settings=settings())


@cached(max_entries=64)
def repeat_complaints(period: Period, filters: Filters) -> pd.DataFrame:
    return complaints.repeat_complaints(connection(), period=period, filters=filters, settings=settings())


@cached(max_entries=32)
def complaint_rows(start: pd.Timestamp, end: pd.Timestamp, by: str, value: str | None,
                   filters: Filters) -> pd.DataFrame:
    return complaints.complaint_rows(connection(), start=start, end=end, by=by, value=value, filters=filters,
                                     settings=settings())
