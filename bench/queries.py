"""The metric calls each page makes, by name (shared by the benchmark's cold and warm runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cx_metrics import db
from cx_metrics.metrics import base, complaints, overview

QUERIES: dict[str, Callable[[db.Connection], Any]] = {
    "overview: KPI tiles": lambda c: overview.kpis(c, period=base.default_period(c)),
    "overview: weekly complaint trend": lambda c: complaints.complaint_trend(c, period=base.default_period(c)),
    "sidebar: filter options + data span": lambda c: (base.filter_options(c), base.data_range(c)),
    "data status: rows per table": db.table_counts,
    "upload: import history": base.imports,
}
