"""Cached wrappers of the Surveys and Cohorts pages (made, as every wrapper is, with :func:`cx_ui.state.cached`)."""

from __future__ import annotations

import pandas as pd

from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import cohorts, surveys
from cx_ui import state


@state.cached(max_entries=32)
def survey_summary(period: Period, filters: Filters, level: str,
                   names: tuple[str, ...]) -> pd.DataFrame:
    return surveys.survey_summary(state.connection(), period=period, filters=filters, settings=state.settings(),
                                  level=level, surveys=names)


@state.cached(max_entries=32)
def survey_trend(period: Period, filters: Filters, metric: str, grain: str, level: str,
                 names: tuple[str, ...]) -> pd.DataFrame:
    return surveys.survey_trend(state.connection(), period=period, metric=metric, grain=grain, filters=filters,
                                settings=state.settings(), level=level, surveys=names)


@state.cached(max_entries=32)
def score_distribution(period: Period, filters: Filters, metric: str, by: str,
                       level: str, names: tuple[str, ...]) -> pd.DataFrame:
    d = cohorts.parse_dimension(by)
    return surveys.score_distribution(state.connection(), period=period, metric=metric, by=d.sql_name,
                                      attribute=d.attribute, filters=filters, settings=state.settings(),
                                      level=level, surveys=names)


@state.cached(max_entries=32)
def response_rate(period: Period, filters: Filters) -> pd.DataFrame:
    return surveys.response_rate(state.connection(), period=period, filters=filters, settings=state.settings())


@state.cached(ttl=120, max_entries=32)
def verbatims(period: Period, filters: Filters, metric: str, group: str, search: str,
              by: str, value: str | None, names: tuple[str, ...]) -> pd.DataFrame:
    d = cohorts.parse_dimension(by)
    return surveys.verbatims(state.connection(), period=period, metric=metric, group=group, search=search,
                             by=d.sql_name, value=value, attribute=d.attribute, filters=filters,
                             settings=state.settings(), surveys=names)


@state.cached(max_entries=8)
def survey_inventory() -> pd.DataFrame:
    return surveys.survey_inventory(state.connection())


@state.cached(max_entries=16)
def answer_distribution(source: str, survey_name: str,
                        min_respondents: int | None = None) -> pd.DataFrame:
    return surveys.answer_distribution(state.connection(), source=source, survey_name=survey_name,
                                       settings=state.settings(), min_respondents=min_respondents)


@state.cached(max_entries=8)
def dimension_options() -> list[str]:
    return cohorts.dimension_options(state.connection())


@state.cached(max_entries=32)
def breakdown(period: Period, filters: Filters, metric: str, dim1: str, dim2: str,
              level: str) -> pd.DataFrame:
    return cohorts.breakdown(state.connection(), period=period, metric=metric, dim1=dim1, dim2=dim2,
                             filters=filters, settings=state.settings(), level=level)


@state.cached(max_entries=32)
def compare(period: Period, filters: Filters, metric: str, dim1: str, a: str, b: str,
            dim2: str, a2: str, b2: str, level: str) -> pd.DataFrame:
    return cohorts.compare(state.connection(), period=period, metric=metric, dim1=dim1, a=a, b=b, dim2=dim2, a2=a2,
                           b2=b2, filters=filters, settings=state.settings(), level=level)


@state.cached(max_entries=32)
def spread(period: Period, filters: Filters, metric: str, dim1: str, dim2: str,
           level: str) -> pd.DataFrame:
    return cohorts.spread(state.connection(), period=period, metric=metric, dim1=dim1, dim2=dim2, filters=filters,
                          settings=state.settings(), level=level)


@state.cached(max_entries=16)
def grid(filters: Filters, metric: str, grain: str) -> pd.DataFrame:
    return cohorts.grid(state.connection(), metric=metric, grain=grain, filters=filters, settings=state.settings())


@state.cached(ttl=120, max_entries=16)
def drill_rows(period: Period, filters: Filters, metric: str, dim1: str, value1: str,
               dim2: str, value2: str, level: str) -> pd.DataFrame:
    return cohorts.drill_rows(state.connection(), period=period, metric=metric, dim1=dim1, value1=value1, dim2=dim2,
                              value2=value2, filters=filters, settings=state.settings(), level=level)
