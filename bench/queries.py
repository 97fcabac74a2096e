"""The metric calls each page makes, by name (shared by the benchmark's cold and warm runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cx_metrics import db, followups
from cx_metrics.metrics import base, complaints, overview, resolution


def _p(c: db.Connection) -> Any:
    return base.default_period(c)


QUERIES: dict[str, Callable[[db.Connection], Any]] = {
    "overview: KPI tiles": lambda c: overview.kpis(c, period=_p(c)),
    "overview: follow-up tile (coverage and effect)": lambda c: followups.summary(c, _p(c)),
    "overview: weekly complaint trend": lambda c: complaints.complaint_trend(c, period=_p(c)),
    "overview: weekly median resolution (Kaplan-Meier)": lambda c: resolution.resolution_trend(c, period=_p(c)),
    "overview/complaints: weekly anomalies by category": lambda c: complaints.anomalies(
        c, period=_p(c), grain="week", by="category"),
    "sidebar: filter options + data span": lambda c: (base.filter_options(c), base.data_range(c)),
    "complaints: rates per 1,000 by category": lambda c: complaints.complaint_volume(c, period=_p(c)),
    "complaints: top movers": lambda c: complaints.top_movers(c, period=_p(c)),
    "complaints: repeat complaints": lambda c: complaints.repeat_complaints(c, period=_p(c)),
    "resolution: time to resolution by channel": lambda c: resolution.time_to_event(c, period=_p(c), by="channel"),
    "resolution: Kaplan-Meier curves by channel": lambda c: resolution.km_curves(c, period=_p(c), by="channel"),
    "resolution: log-rank by channel": lambda c: resolution.logrank(c, period=_p(c), by="channel"),
    "resolution: time to resolution by channel, business hours": lambda c: resolution.time_to_event(
        c, period=_p(c), by="channel", clock="business"),
    "resolution: tickets behind a channel (drill-through)": lambda c: resolution.resolution_rows(
        c, period=_p(c), by="channel", value="email"),
    "resolution: agreement with vendor minutes": lambda c: resolution.vendor_agreement(c, period=_p(c)),
    "resolution: follow-through + handoff distribution": lambda c: (
        resolution.follow_through(c, period=_p(c), by="channel"), resolution.handoff_distribution(c, period=_p(c))),
    "resolution: SLA breaches": lambda c: resolution.sla_breaches(c, period=_p(c)),
    "resolution: SLA breaches over time (weekly)": lambda c: resolution.sla_breach_trend(c, period=_p(c)),
    "resolution: backlog ageing": resolution.backlog,
    "resolution: backlog over time": lambda c: resolution.backlog_history(c, period=_p(c)),
    "resolution: CSAT by resolution time": lambda c: resolution.experience_vs_outcome(c, period=_p(c)),
    "data status: rows per table": db.table_counts,
    "upload: import history": base.imports,
}
