"""Cached wrappers of the Resolution page (and the Overview's weekly resolution and SLA charts)."""

from __future__ import annotations

import pandas as pd

from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import resolution
from cx_ui.state import cached, connection, settings


@cached(max_entries=32)
def time_to_event(period: Period, filters: Filters, metric: str, by: str,
                  clock: str = "calendar") -> pd.DataFrame:
    return resolution.time_to_event(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                                    settings=settings())


@cached(max_entries=32)
def km_curves(period: Period, filters: Filters, metric: str, by: str,
              clock: str = "calendar") -> pd.DataFrame:
    return resolution.km_curves(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                                settings=settings())


@cached(max_entries=32)
def logrank(period: Period, filters: Filters, metric: str, by: str,
            clock: str = "calendar") -> pd.DataFrame:
    return resolution.logrank(connection(), period=period, metric=metric, by=by, filters=filters, clock=clock,
                              settings=settings())


@cached(max_entries=32)
def sla_breaches(period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.sla_breaches(connection(), period=period, filters=filters, settings=settings())


@cached(max_entries=32)
def resolution_trend(period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return resolution.resolution_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@cached(max_entries=32)
def sla_breach_trend(period: Period, filters: Filters, grain: str) -> pd.DataFrame:
    return resolution.sla_breach_trend(connection(), period=period, grain=grain, filters=filters, settings=settings())


@cached(max_entries=32)
def handoff_distribution(period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.handoff_distribution(connection(), period=period, filters=filters, settings=settings())


@cached(max_entries=32)
def backlog_history(period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.backlog_history(connection(), period=period, filters=filters)


@cached(max_entries=32)
def vendor_agreement(period: Period, filters: Filters) -> pd.DataFrame:
    return resolution.vendor_agreement(connection(), period=period, filters=filters, settings=settings())


@cached(max_entries=32)
def resolution_rows(period: Period, filters: Filters, metric: str, by: str,
                    value: str | None, clock: str) -> pd.DataFrame:
    return resolution.resolution_rows(connection(), period=period, metric=metric, by=by, value=value,
                                      filters=filters, settings=settings(), clock=clock)


@cached(max_entries=32)
def follow_through(period: Period, filters: Filters, by: str) -> pd.DataFrame:
    return resolution.follow_through(connection(), period=period, by=by, filters=filters, settings=settings())


@cached(max_entries=32)
def backlog(filters: Filters) -> pd.DataFrame:
    return resolution.backlog(connection(), filters=filters)


@cached(max_entries=32)
def experience_vs_outcome(period: Period, filters: Filters, by: str,
                          metric: str = "csat") -> pd.DataFrame:
    return resolution.experience_vs_outcome(connection(), period=period, by=by, filters=filters, settings=settings(),
                                            metric=metric)
