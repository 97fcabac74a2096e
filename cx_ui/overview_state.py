"""Cached wrappers of the Overview (its KPI tiles, also on the Resolution and Churn pages) and its PDF digest."""

from __future__ import annotations

import pandas as pd

from cx_metrics.digest import send
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import overview
from cx_ui.state import cached, connection, settings


@cached(max_entries=64)
def kpis(period: Period, filters: Filters) -> pd.DataFrame:
    return overview.kpis(connection(), period=period, filters=filters, settings=settings())


@cached(max_entries=16, show_spinner=False)
def digest_pdf(period: Period, filters: Filters, role: str, followup_revision: int) -> bytes:
    """The digest PDF of this view (the Overview's Download PDF): the same document as `cx digest`. Drawing it starts
    a browser (seconds), so it is kept per view, role (an analyst's edition has verbatims), data version and settings
    (the cache-key rule) and follow-up revision (the digest shows follow-up coverage, which a claim or close changes
    without a new data version): a repeated download is served from memory, for any session of the server."""
    return send.pdf_bytes(connection(), settings(), period, filters, role)


def digest_file_name(period: Period, filters: Filters) -> str:
    return send.file_name(period, filters)
