"""Metric functions: ``fn(conn, *, period/start/end, filters, ...) -> tidy DataFrame``.

Each function documents its output columns; the dashboard pages, the CLI and the tests call the same
functions.
"""
