"""Alerts on metrics: rules, their evaluation episode by episode, notification through the outbox, backtests."""
