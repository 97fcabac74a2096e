"""Cached wrappers of the Digests page: subscriptions, alert rules and their backtest; who delivers (never cached)."""

from __future__ import annotations

import pandas as pd

from cx_metrics import scheduler
from cx_metrics.alerts import evaluate, rules
from cx_metrics.digest import subscriptions
from cx_ui.state import cached, connection, reads, settings


@reads
def subscriptions_table() -> pd.DataFrame:
    return subscriptions.table(connection())


@reads
def alert_rules_table() -> pd.DataFrame:
    return rules.table(connection())


@cached(max_entries=8, show_spinner="Replaying the history...")
def alert_backtest(rules_key: str, defaults: bool) -> pd.DataFrame:
    """Per rule, how often it would have fired over the history (keyed on the rules' table as text)."""
    chosen = list(rules.DEFAULT_RULES) if defaults else rules.all_rules(connection(), active_only=True)
    return evaluate.backtest_summary(connection(), settings(), chosen)


def delivery_status() -> scheduler.DeliveryStatus:
    """Whether this server process delivers, read fresh on every run (its heartbeat moves every interval)."""
    return scheduler.status(settings())
