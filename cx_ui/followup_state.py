"""App-layer glue of the Follow-ups page and the Overview's follow-up tile: cached reads keyed on the data version
and the follow-up revision (a claim or close shows at once without invalidating every other page's cache), each in a
read section of the shared connection, and the writes, each one transaction in a write section (the connection is
read-write only while it lasts; cx_metrics.followups makes it safe against a second writer)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cx_metrics import followups
from cx_metrics.filters import Filters, Period
from cx_ui import state


@state.reads
def revision() -> int:
    return followups.revision(state.connection())


@state.cached(max_entries=16)
def worklist(rev: int, filters: Filters) -> pd.DataFrame:
    return followups.worklist(state.connection(), state.settings(), filters=filters)


@state.cached(max_entries=4, show_spinner="Scoring churn risk…")
def churn_risk() -> tuple[pd.DataFrame | None, str]:
    return followups.churn_risk(state.connection(), state.settings())


@state.cached(max_entries=16)
def effect(rev: int, period: Period, filters: Filters) -> followups.Effect:
    return followups.effect(state.connection(), period, settings=state.settings(), filters=filters)


@state.cached(max_entries=16)
def effect_period(period: Period) -> tuple[Period | None, str]:
    return followups.effect_period(state.connection(), period, settings=state.settings())


@state.cached(max_entries=16)
def coverage(rev: int, period: Period, filters: Filters, by: str) -> pd.DataFrame:
    return followups.coverage(state.connection(), period, by=by, settings=state.settings(), filters=filters)


@state.cached(max_entries=16)
def summary(rev: int, period: Period, filters: Filters) -> dict[str, Any]:
    return followups.summary(state.connection(), period, settings=state.settings(), filters=filters)


@state.reads
def done(period: Period) -> pd.DataFrame:
    return followups.done(state.connection(), period)


@state.reads
def history(key: str = "") -> pd.DataFrame:
    return followups.history(state.connection(), key)


def claim(key: str, actor: str) -> int:
    with state.writing() as conn:
        return followups.claim(conn, key, actor, settings=state.settings())


def close(key: str, actor: str, *, outcome: str, contacted_on: dt.date, note: str, version: int) -> int:
    with state.writing() as conn:
        return followups.close(conn, key, actor, outcome=outcome, contacted_on=contacted_on, note=note,
                               version=version, settings=state.settings())


def undo(key: str, actor: str, role: str | None) -> str:
    with state.writing() as conn:
        return followups.undo(conn, key, actor, role)
