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
         "responses": "survey response", "customers": "customer signup"}
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
    spans: dict[str, tuple[dt.date | None, dt.date | None]]
    churn_mode: str = "contractual"  # [churn] mode: "activity" churn needs no churn dates

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
        """First and last day of a source's records (None, None without any); customers end on the data's last
        day (a customer is observed until then)."""
        first, last = self.spans.get(source, (None, None))
        return (first, self.data_last) if source == "customers" else (first, last)

    @property
    def data_last(self) -> dt.date | None:
        """The data's last day: the latest ticket or survey response of any kind."""
        return data_last(self.spans)

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
        if self.churn_mode == "contractual" and self._int("with_churn_date_all") == 0:
            return "the customers carry no churn dates"
        return ""

    def comparison(self, metric: str) -> str:
        """Why the previous period of equal length cannot be compared for ``metric`` ('' when it can)."""
        if self.unavailable(metric):
            return ""
        return comparison_reason(self.period, SOURCES[metric], self.spans, counts=metric in COUNTS)


#: metrics that are counts over the period: a period the data covers only in part has fewer of them
COUNTS = frozenset({"complaints"})


def comparison_reason(period: Period, source: str, spans_: dict[str, tuple[dt.date | None, dt.date | None]], *,
                      counts: bool = False) -> str:
    """Why ``period`` cannot be compared with the previous period of equal length on ``source``'s records: the
    previous period starts before the source's first record (its days were not observed: "nothing" there is not
    zero), or, for ``counts``, ``period`` runs past the data's last day (a rate or a median of the days observed
    is still comparable; a count of part of the period is not). '' when the comparison is fair (or the source is
    empty)."""
    first = spans_.get(source, (None, None))[0]
    previous = period.previous()
    if first is not None and previous.start < first:
        return (f"no comparison: the previous period ({previous.label()}) starts before the first "
                f"{NOUNS.get(source, 'record')} ({_day(first)})")
    last = data_last(spans_)
    if counts and first is not None and last is not None and period.end > last:
        return f"no comparison: this period runs past the data's last day ({_day(last)})"
    return ""


def comparison_note(conn: Connection, period: Period, source: str, *, counts: bool = False) -> str:
    """:func:`comparison_reason` on the database's spans."""
    return comparison_reason(period, source, spans(conn), counts=counts)


def spans(conn: Connection) -> dict[str, tuple[dt.date | None, dt.date | None]]:
    """First and last day of each source ('tickets', 'nps', 'csat', 'ces', 'responses' for every survey response,
    'customers' for signups); (None, None) for a source without records."""
    frame = query(conn, "data_spans")
    return {str(r["source"]): (_date(r["first_at"]), _date(r["last_at"])) for r in frame.to_dict("records")}


def observed_span(conn: Connection, *sources: str) -> tuple[dt.date | None, dt.date | None]:
    """The days the data observed ``sources`` ('tickets', 'nps', 'responses'...): from the first record of any of
    them to the data's last day (an export covers its sources up to one end, so a quiet source is not unobserved
    at the end); (None, None) when none of them has records."""
    known = spans(conn)
    firsts = [known.get(s, (None, None))[0] for s in sources]
    days = [d for d in firsts if d is not None]
    return (min(days), data_last(known)) if days else (None, None)


def data_last(spans_: dict[str, tuple[dt.date | None, dt.date | None]]) -> dt.date | None:
    """The data's last day: the latest ticket or survey response (None for an empty database)."""
    known = [spans_.get(s, (None, None))[1] for s in ("tickets", "responses")]
    days = [d for d in known if d is not None]
    return max(days) if days else None


def observed(starts: pd.Series, ends: pd.Series, span: tuple[dt.date | None, dt.date | None]) -> pd.Series:
    """Whether each bucket [start, end) lies wholly inside the span's days (a bucket before the first record or
    after the last one was not observed: its count is unknown, not zero)."""
    first, last = span
    if first is None or last is None:
        return pd.Series(False, index=starts.index)
    lo, hi = pd.Timestamp(first), pd.Timestamp(last) + pd.Timedelta(days=1)
    return (starts >= lo) & (ends <= hi)


def partial_buckets(starts: pd.Series, ends: pd.Series, period: Period,
                    span: tuple[dt.date | None, dt.date | None]) -> pd.Series:
    """Whether each bucket [start, end) is only partly counted: cut by the period, or not wholly inside the data's
    span (the last month of an export that ends mid-month). Charts draw such buckets apart (dashed, labelled)."""
    starts, ends = pd.to_datetime(starts), pd.to_datetime(ends)
    cut = (starts < pd.Timestamp(period.start_ts)) | (ends > pd.Timestamp(period.end_ts))
    return cut | ~observed(starts, ends, span)


def coverage(conn: Connection, *, period: Period, filters: Filters | None = None,
             churn_mode: str = "contractual") -> Coverage:
    """What the data holds for the metrics of ``period`` under ``filters`` (two small queries), churn read under
    ``churn_mode`` ([churn] mode)."""
    f = filters or Filters()
    row = query(conn, "input_coverage", {**f.params(), "start": period.start_ts, "end": period.end_ts}).iloc[0]
    return Coverage(period=period, filters=f, counts={str(k): v for k, v in row.to_dict().items()},
                    spans=spans(conn), churn_mode=churn_mode)


def with_notes(frame: pd.DataFrame, *notes: str) -> pd.DataFrame:
    """``frame`` carrying ``notes`` (sentences saying what the data cannot support or compare) in
    ``frame.attrs['notes']``, after any it already carries; pages show them above the table, the CLI on stderr."""
    kept = [*frame.attrs.get("notes", ()), *(n for n in notes if n)]
    frame.attrs["notes"] = list(dict.fromkeys(kept))
    return frame
