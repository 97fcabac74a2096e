"""Cached wrappers of the Overview (its KPI tiles, also on the Resolution and Churn pages) and its PDF digest."""

from __future__ import annotations

import pandas as pd

from cx_metrics.digest import send
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import overview
from cx_ui.state import cached, connection, reads, settings


@cached(max_entries=64)
def kpis(period: Period, filters: Filters) -> pd.DataFrame:
    return overview.kpis(connection(), period=period, filters=filters, settings=settings())


@reads
def digest_pdf(period: Period, filters: Filters, role: str) -> bytes:
    """The digest PDF of this view (the Overview's Download PDF): the same document as `cx digest`."""
    return send.pdf_bytes(connection(), settings(), period, filters, role)


def digest_file_name(period: Period, filters: Filters) -> str:
    return send.file_name(period, filters)
