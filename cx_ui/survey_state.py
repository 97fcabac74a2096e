"""Cached wrappers for the Surveys and Cohorts pages (keyed as every wrapper is: :func:`cx_ui.state.key`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import cohorts, surveys
from cx_ui import state

#: the version of :func:`cx_ui.state.key`: data version and settings, the one cache-key rule of every wrapper
Version = int


def key() -> tuple[str, Version]:
    """(database path, version): the first arguments of every wrapper here, as of every other page."""
    return state.key()


@state.reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def survey_summary(path: str, version: Version, period: Period, filters: Filters, level: str,
                   names: tuple[str, ...]) -> pd.DataFrame:
    return surveys.survey_summary(state.connection(), period=period, filters=filters, settings=state.settings(),
                                  level=level, surveys=names)


@state.reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def survey_trend(path: str, version: Version, period: Period, filters: Filters, metric: str, grain: str, level: str,
                 names: tuple[str, ...]) -> pd.DataFrame:
    return surveys.survey_trend(state.connection(), period=period, metric=metric, grain=grain, filters=filters,
                                settings=state.settings(), level=level, surveys=names)


@state.reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def score_distribution(path: str, version: Version, period: Period, filters: Filters, metric: str, by: str,
                       level: str, names: tuple[str, ...]) -> pd.DataFrame:
    d = cohorts.parse_dimension(by)
    return surveys.score_distribution(state.connection(), period=period, metric=metric, by=d.sql_name,
                                      attribute=d.attribute, filters=filters, settings=state.settings(),
                                      level=level, surveys=names)


@state.reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def response_rate(path: str, version: Version, period: Period, filters: Filters) -> pd.DataFrame:
    return surveys.response_rate(state.connection(), period=period, filters=filters, settings=state.settings())


@state.reads
@st.cache_data(ttl=120, max_entries=32, show_spinner=False)
def verbatims(path: str, version: Version, period: Period, filters: Filters, metric: str, group: str, search: str,
              by: str, value: str | None, names: tuple[str, ...]) -> pd.DataFrame:
    d = cohorts.parse_dimension(by)
    return surveys.verbatims(state.connection(), period=period, metric=metric, group=group, search=search,
                             by=d.sql_name, value=value, attribute=d.attribute, filters=filters,
                             settings=state.settings(), surveys=names)


@state.reads
@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def survey_inventory(path: str, version: Version) -> pd.DataFrame:
    return surveys.survey_inventory(state.connection())


@state.reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def answer_distribution(path: str, version: Version, source: str, survey_name: str,
                        min_respondents: int | None = None) -> pd.DataFrame:
    return surveys.answer_distribution(state.connection(), source=source, survey_name=survey_name,
                                       settings=state.settings(), min_respondents=min_respondents)


@state.reads
@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def dimension_options(path: str, version: Version) -> list[str]:
    return cohorts.dimension_options(state.connection())


@state.reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def breakdown(path: str, version: Version, period: Period, filters: Filters, metric: str, dim1: str, dim2: str,
              level: str) -> pd.DataFrame:
    return cohorts.breakdown(state.connection(), period=period, metric=metric, dim1=dim1, dim2=dim2,
                             filters=filters, settings=state.settings(), level=level)


@state.reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def compare(path: str, version: Version, period: Period, filters: Filters, metric: str, dim1: str, a: str, b: str,
            dim2: str, a2: str, b2: str, level: str) -> pd.DataFrame:
    return cohorts.compare(state.connection(), period=period, metric=metric, dim1=dim1, a=a, b=b, dim2=dim2, a2=a2,
                           b2=b2, filters=filters, settings=state.settings(), level=level)


@state.reads
@st.cache_data(ttl=600, max_entries=32, show_spinner=False)
def spread(path: str, version: Version, period: Period, filters: Filters, metric: str, dim1: str, dim2: str,
           level: str) -> pd.DataFrame:
    return cohorts.spread(state.connection(), period=period, metric=metric, dim1=dim1, dim2=dim2, filters=filters,
                          settings=state.settings(), level=level)


@state.reads
@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def grid(path: str, version: Version, filters: Filters, metric: str, grain: str) -> pd.DataFrame:
    return cohorts.grid(state.connection(), metric=metric, grain=grain, filters=filters, settings=state.settings())


@state.reads
@st.cache_data(ttl=120, max_entries=16, show_spinner=False)
def drill_rows(path: str, version: Version, period: Period, filters: Filters, metric: str, dim1: str, value1: str,
               dim2: str, value2: str, level: str) -> pd.DataFrame:
    return cohorts.drill_rows(state.connection(), period=period, metric=metric, dim1=dim1, value1=value1, dim2=dim2,
                              value2=value2, filters=filters, settings=state.settings(), level=level)
