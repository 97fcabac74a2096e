"""What the data can support: whether a metric's inputs are present, and whether a period can be compared.

A rate computed on inputs that are absent is not a rate: an export without first-reply times makes every open
ticket a first-response breach (100%), a relationship NPS filtered to a channel keeps no response ("n < 30"), a
previous period before the first ticket holds no complaints ("new · real change"). Every tile and table asks
:func:`coverage` first and shows the reason instead of a number:

* :meth:`Coverage.unavailable` - the reason a metric cannot be computed on this selection ('' when it can): the
  column is empty in the whole data, the period lies outside the data, the filter does not apply to the source;
* :meth:`Coverage.comparison` - the reason the previous period of equal length cannot be compared ('' when it
  can): it starts before the source's first record, or this period runs past the data's last day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period

#: metric -> the source whose span and columns it reads
SOURCES = {
    "complaints": "tickets", "first_response": "tickets", "resolution": "tickets", "full_resolution": "tickets",
    "first_resolution": "tickets", "sla": "tickets", "sla_first_response": "tickets", "sla_resolution": "tickets",
    "nps": "nps", "csat": "csat", "ces": "ces", "ces_easy": "ces", "churn": "customers",
}
#: what one record of a source is called in a sentence
NOUNS = {"tickets": "ticket", "nps": "NPS response", "csat": "CSAT response", "ces": "CES response",
         "customers": "customer signup"}
_SURVEY_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def _day(value: dt.date) -> str:
    return f"{value:%d %b %Y}"


@dataclass(frozen=True)
class Coverage:
    """The inputs behind every metric of one selection (period and filters); see the module docstring."""

    period: Period
    filters: Filters
    counts: dict[str, Any]

    def _int(self, key: str) -> int:
        value = self.counts.get(key)
        return 0 if value is None or pd.isna(value) else int(value)

    def _responses(self, metric: str) -> tuple[int, int, int, int, int]:
        """(kept, any channel, with a channel) in the period and (all, with a channel) in the whole table."""
        period = self.counts.get("responses_period") or {}
        table = self.counts.get("responses_table") or {}
        kept, any_channel, with_channel = (int(x) for x in period.get(metric, (0, 0, 0)))
        total, total_with_channel = (int(x) for x in table.get(metric, (0, 0)))
        return kept, any_channel, with_channel, total, total_with_channel

    def span(self, source: str) -> tuple[dt.date | None, dt.date | None]:
        """First and last day of a source's records (None, None without any)."""
        if source == "tickets":
            return _date(self.counts.get("first_ticket")), _date(self.counts.get("last_ticket"))
        if source == "customers":
            return _date(self.counts.get("first_signup")), self.data_last
        first, last = (self.counts.get("response_spans") or {}).get(source, (None, None))
        return _date(first), _date(last)

    @property
    def data_last(self) -> dt.date | None:
        """The data's last day: the latest ticket or survey response of any kind."""
        lasts = [self.span(s)[1] for s in ("tickets", "nps", "csat", "ces")]
        known = [d for d in lasts if d is not None]
        return max(known) if known else None

    def unavailable(self, metric: str) -> str:
        """Why ``metric`` cannot be computed on this selection ('' when it can)."""
        source = SOURCES[metric]
        if source == "tickets":
            return self._tickets_unavailable(metric)
        if source == "customers":
            return self._customers_unavailable()
        return self._survey_unavailable(source)

    def _outside(self, source: str, plural: str) -> str:
        first, last = self.span(source)
        if first is None or last is None:
            return ""
        if self.period.end < first or self.period.start > last:
            return (f"no {plural} in this period: the data's {plural} run from {_day(first)} to {_day(last)}")
        return ""

    def _tickets_unavailable(self, metric: str) -> str:
        if self._int("tickets_all") == 0:
            return "no tickets in this data"
        if metric in ("first_response", "sla_first_response") and self._int("with_first_response_all") == 0:
            return "no first-reply times in this data"
        if metric in ("resolution", "full_resolution", "first_resolution", "sla_resolution") \
                and self._int("with_solved_all") == 0:
            return "no solve times in this data"
        if metric.startswith("sla") and self._int("with_priority_all") == 0:
            return "no ticket has a priority, so no SLA target applies"
        return self._outside("tickets", "tickets")

    def _survey_unavailable(self, source: str) -> str:
        label = _SURVEY_LABELS[source]
        kept, any_channel, with_channel, total, total_with_channel = self._responses(source)
        if total == 0:
            return f"no {label} responses in this data"
        if self.filters.channels and kept == 0 and (total_with_channel == 0 or (any_channel and not with_channel)):
            return (f"{label} responses carry no channel (a relationship survey, not tied to an interaction), so "
                    "the channel filter leaves none")
        return self._outside(source, f"{label} responses")

    def _customers_unavailable(self) -> str:
        if self._int("customers_all") == 0:
            return "no customer file in this data"
        if self._int("with_signup_all") == 0:
            return "the customers carry no signup dates"
        if self._int("with_churn_date_all") == 0:
            return "the customers carry no churn dates"
        return ""

    def comparison(self, metric: str) -> str:
        """Why the previous period of equal length cannot be compared for ``metric`` ('' when it can)."""
        if self.unavailable(metric):
            return ""
        first, _ = self.span(SOURCES[metric])
        previous = self.period.previous()
        if first is not None and previous.start < first:
            return (f"no comparison: the previous period ({previous.label()}) starts before the first "
                    f"{NOUNS[SOURCES[metric]]} ({_day(first)})")
        last = self.data_last
        if last is not None and self.period.end > last:
            return f"no comparison: this period runs past the data's last day ({_day(last)})"
        return ""


def coverage(conn: Connection, *, period: Period, filters: Filters | None = None) -> Coverage:
    """What the data holds for the metrics of ``period`` under ``filters`` (one query)."""
    f = filters or Filters()
    row = query(conn, "input_coverage", {**f.params(), "start": period.start_ts, "end": period.end_ts}).iloc[0]
    return Coverage(period=period, filters=f, counts={str(k): v for k, v in row.to_dict().items()})
