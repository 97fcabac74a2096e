"""Links into the dashboard: the page, the period and the filters in the URL query string, as the dashboard reads
them (cx_ui/url_state.py: ``start``, ``end``, repeated ``plan``, ``region``, ``segment``, ``channel``)."""

from __future__ import annotations

import urllib.parse

from cx_metrics.filters import Filters, Period

#: filter name -> query key (the inverse of cx_ui.url_state.FILTER_PARAMS)
QUERY_KEYS = {"plans": "plan", "regions": "region", "segments": "segment", "channels": "channel"}


def view_link(base_url: str, page: str, period: Period, filters: Filters, extra: dict[str, str] | None = None) -> str:
    """``base_url/page?start=...&end=...&region=...``; empty when no dashboard address is configured."""
    if not base_url:
        return ""
    pairs: list[tuple[str, str]] = [("start", period.start.isoformat()), ("end", period.end.isoformat())]
    for name, key in QUERY_KEYS.items():
        pairs += [(key, v) for v in getattr(filters, name)]
    pairs += [(k, v) for k, v in (extra or {}).items() if v]
    path = base_url.rstrip("/") + ("/" + page if page else "/")
    return path + "?" + urllib.parse.urlencode(pairs)
