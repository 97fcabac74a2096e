"""Cached wrappers and actions of the Churn page."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import churn
from cx_metrics.models import churn_store
from cx_ui.state import cached, connection, reads, settings


@cached(max_entries=8)
def churn_definition() -> Any:
    return churn.definition(connection(), settings())


@cached(max_entries=32)
def snapshot_churn(filters: Filters, by: str) -> pd.DataFrame:
    return churn.snapshot_churn(connection(), by=by, filters=filters, settings=settings())


@cached(max_entries=32)
def churn_rates(period: Period, filters: Filters, grain: str, by: str) -> pd.DataFrame:
    return churn.churn_rates(connection(), period=period, grain=grain, by=by, filters=filters, settings=settings(),
                             definition_=churn_definition())


@cached(max_entries=32)
def churn_by_cohort(period: Period, filters: Filters, by: str) -> pd.DataFrame:
    return churn.churn_by_cohort(connection(), period=period, by=by, filters=filters, settings=settings(),
                                 definition_=churn_definition())


@cached(max_entries=32)
def retention_curves(filters: Filters, by: str) -> pd.DataFrame:
    return churn.retention_curves(connection(), by=by, filters=filters, settings=settings(),
                                  definition_=churn_definition())


@cached(max_entries=16)
def complaint_lift(filters: Filters) -> pd.DataFrame:
    return churn.complaint_lift(connection(), filters=filters, settings=settings(),
                                definition_=churn_definition())


@cached(max_entries=16)
def service_recovery(window: Period, filters: Filters) -> pd.DataFrame:
    return churn.service_recovery(connection(), window=window, filters=filters, settings=settings(),
                                  definition_=churn_definition())


@cached(max_entries=16)
def recovery_verdict(window: Period, filters: Filters) -> pd.DataFrame:
    return churn.recovery_verdict(service_recovery(window, filters), settings())


@cached(max_entries=16)
def experience_curves(window: Period, filters: Filters) -> pd.DataFrame:
    return churn.experience_curves(connection(), window=window, filters=filters, settings=settings(),
                                   definition_=churn_definition(), max_days=365)


@reads
def churn_model_status() -> tuple[str, str]:
    return churn_store.model_status(connection(), settings())


def churn_model_card() -> dict[str, Any] | None:
    return churn_store.read_card(settings())


@reads
def train_churn_model(progress: Any) -> dict[str, Any]:
    """Train (and save) the churn model; ``progress(fraction, text)`` reports each step. Returns the card."""
    model = churn_store.train(connection(), settings(), progress=progress)
    return model.card  # cached scores are keyed on the training time, so the new model's are computed afresh


@cached(max_entries=8, show_spinner="Scoring customers...")
def churn_scores(trained_at: str, filters: Filters, top: int) -> pd.DataFrame:
    return churn_store.score(connection(), settings(), filters=filters, top=top)
