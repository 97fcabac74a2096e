"""Cached wrappers and actions of the Themes page (and the themes behind a complaint mover)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cx_metrics import db
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import themes as tm
from cx_metrics.models import theme_store
from cx_ui.state import cached, connection, settings, writing


@cached(max_entries=16)
def theme_catalog(source: str = "all") -> pd.DataFrame:
    return theme_store.catalog(connection(), source)


@cached(max_entries=16)
def theme_fit_status() -> tuple[dict[str, dict[str, Any]], int]:
    """(latest fit of each corpus that has one, texts imported since)."""
    conn = connection()
    return theme_store.latest_fits(conn), theme_store.unassigned_count(conn)


@cached(max_entries=32)
def theme_volume(period: Period, filters: Filters, grain: str,
                 kinds: tuple[str, ...]) -> pd.DataFrame:
    return tm.theme_volume(connection(), period=period, grain=grain, filters=filters, kinds=kinds,
                           settings=settings())


@cached(max_entries=32)
def theme_anomalies(period: Period, filters: Filters, grain: str,
                    kinds: tuple[str, ...]) -> pd.DataFrame:
    return tm.theme_anomalies(connection(), period=period, grain=grain, filters=filters, kinds=kinds,
                              settings=settings())


@cached(max_entries=32)
def theme_mix(period: Period, filters: Filters, by: str,
              kinds: tuple[str, ...]) -> pd.DataFrame:
    return tm.theme_mix(connection(), period=period, by=by, filters=filters, kinds=kinds, settings=settings())


@cached(max_entries=32)
def emerging_themes(period: Period, filters: Filters, kinds: tuple[str, ...]) -> pd.DataFrame:
    return tm.emerging_themes(connection(), period=period, filters=filters, kinds=kinds, settings=settings())


@cached(max_entries=32)
def theme_impact(period: Period, filters: Filters, metric: str) -> pd.DataFrame:
    return tm.theme_impact(connection(), period=period, metric=metric, filters=filters, settings=settings())


@cached(max_entries=32)
def product_requests(period: Period, filters: Filters, kinds: tuple[str, ...]) -> pd.DataFrame:
    return tm.product_requests(connection(), period=period, filters=filters, kinds=kinds)


@cached(max_entries=32)
def themes_behind(period: Period, filters: Filters, by: str,
                  value: str | None) -> pd.DataFrame:
    return tm.themes_behind(connection(), period=period, by=by, value=value, filters=filters, settings=settings())


@cached(max_entries=32)
def theme_verbatims(period: Period, filters: Filters, theme_key: int,
                    kinds: tuple[str, ...]) -> pd.DataFrame:
    return tm.theme_verbatims(connection(), theme_key=theme_key, period=period, filters=filters, kinds=kinds)


def fit_themes(progress: Any, source: str = "all") -> Any:
    """Refit the theme models (writes; the data version bump refreshes every cache); a list of fit summaries."""
    with writing() as conn:
        return theme_store.fit_all(conn, settings(), source=source, actor="dashboard", progress=progress)


def assign_new_themes(progress: Any) -> int:
    with writing() as conn:
        return theme_store.assign_new(conn, settings(), progress=progress)


def edit_theme(action: str, key: int, value: Any = None) -> None:
    """rename / pin / unpin / merge / unmerge a theme, recorded as made from the dashboard."""
    with writing() as conn:
        _edit_theme(conn, action, key, value)


def _edit_theme(conn: db.Connection, action: str, key: int, value: Any) -> None:
    if action == "rename":
        theme_store.rename(conn, key, value, actor="dashboard")
    elif action in ("pin", "unpin"):
        theme_store.pin(conn, key, action == "pin", actor="dashboard")
    elif action == "merge":
        theme_store.merge(conn, key, int(value), actor="dashboard")
    elif action == "unmerge":
        theme_store.unmerge(conn, key, actor="dashboard")
    else:
        raise ValueError(f"unknown theme edit {action!r}")
