"""Business hours: a weekly schedule in a time zone, minus holidays, and the time it leaves between two moments.

A schedule is written per weekday as opening intervals in local wall-clock time (``"09:00-12:30, 13:30-17:00"``,
``"00:00-24:00"`` for all day, ``""`` for closed), a time zone name, and a list of local holiday dates. Stored
times are naive UTC, so the schedule is turned into UTC once per query:

* :func:`hour_table` lays it over the UTC hours of a span: for every hour the business seconds before it
  (``cum``) and a 60-bit mask of which of its minutes are open (``mask``), computed with the zone's real offsets
  (daylight saving included) by pandas/zoneinfo.
* The SQL fragment ``business_seconds`` evaluates the cumulative business seconds at a timestamp from those two
  lists (bound as parameters), so business time between two moments is the difference of two lookups: no
  joins, exact to the second for schedules written to the minute.
* :func:`business_seconds_between` is a plain, independent implementation (interval intersection, day by
  day) used by the tests as the oracle and for single values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class ScheduleError(ValueError):
    """A business-hours setting cannot be used; the message says which and how to write it."""


@dataclass(frozen=True)
class Schedule:
    """Weekly opening hours (minutes from local midnight, per weekday Monday..Sunday), zone and holidays."""

    timezone: str = "UTC"
    week: tuple[tuple[tuple[int, int], ...], ...] = (((540, 1020),),) * 5 + ((), ())
    holidays: tuple[dt.date, ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ScheduleError(f"business hours time zone {self.timezone!r} is not a zone name; use e.g. "
                                "'Europe/Paris' or 'America/New_York'") from exc
        if len(self.week) != 7:
            raise ScheduleError("a business-hours week needs 7 days, Monday to Sunday")
        for day, intervals in zip(WEEKDAYS, self.week, strict=True):
            last = -1
            for start, end in intervals:
                if not 0 <= start < end <= 1440 or start < last:
                    raise ScheduleError(f"business hours for {day} must be increasing, non-overlapping intervals "
                                        "within the day, e.g. '09:00-12:30, 13:30-17:00'")
                last = end

    @property
    def weekly_hours(self) -> float:
        return sum(end - start for day in self.week for start, end in day) / 60.0

    def describe(self) -> str:
        days = []
        for name, intervals in zip(WEEKDAYS, self.week, strict=True):
            text = ", ".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in intervals) or "closed"
            days.append(f"{name[:3].title()} {text}")
        holidays = f"; {len(self.holidays)} holidays" if self.holidays else "; no holidays"
        return f"{' · '.join(days)} ({self.timezone}{holidays}; {self.weekly_hours:g} h a week)"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_day(name: str, text: Any) -> tuple[tuple[int, int], ...]:
    """``"09:00-12:30, 13:30-17:00"`` (or a list of such strings) -> ((540, 750), (810, 1020))."""
    parts = text if isinstance(text, list) else str(text).split(",")
    out = []
    for part in parts:
        part = str(part).strip()
        if not part or part.lower() == "closed":
            continue
        match = _INTERVAL_RE.match(part)
        if not match:
            raise ScheduleError(f"business_hours.{name} = {text!r}: write opening hours as 'HH:MM-HH:MM', several "
                                "separated by commas, or '' when closed")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440:
            raise ScheduleError(f"business_hours.{name} = {text!r}: {part!r} is not a time range within a day")
        out.append((start, end))
    return tuple(out)


def parse_holidays(values: Any) -> tuple[dt.date, ...]:
    items = values if isinstance(values, list) else [v for v in str(values).split(",") if v.strip()]
    out = []
    for item in items:
        if isinstance(item, dt.date):
            out.append(item)
            continue
        try:
            out.append(dt.date.fromisoformat(str(item).strip()))
        except ValueError as exc:
            raise ScheduleError(f"business_hours.holidays: {item!r} is not a date; write YYYY-MM-DD") from exc
    return tuple(sorted(set(out)))


def business_seconds_between(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> float:
    """Business seconds from ``start`` to ``end`` (naive UTC), by intersecting each local day's intervals."""
    if end <= start:
        return 0.0
    zone = ZoneInfo(schedule.timezone)
    utc = dt.UTC
    a = start.replace(tzinfo=utc)
    b = end.replace(tzinfo=utc)
    day = a.astimezone(zone).date() - dt.timedelta(days=1)
    last = b.astimezone(zone).date() + dt.timedelta(days=1)
    holidays = set(schedule.holidays)
    total = 0.0
    while day <= last:
        if day not in holidays:
            for s, e in schedule.week[day.weekday()]:
                lo = _local(day, s, zone)
                hi = _local(day, e, zone)
                overlap = (min(hi, b) - max(lo, a)).total_seconds()
                total += max(0.0, overlap)
        day += dt.timedelta(days=1)
    return total


def _local(day: dt.date, minutes: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall-clock minute of ``day`` (24:00 = next midnight)."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    return naive.replace(tzinfo=zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class HourTable:
    """Per UTC hour from ``first_hour`` (hours since the epoch): business seconds before it and open minutes."""

    first_hour: int
    cum: list[int]
    mask: list[int]

    def params(self, clock: str) -> dict[str, Any]:
        """The bound parameters of the ``business_seconds`` SQL fragment (``clock`` = calendar|business)."""
        return {"clock": clock, "bh_first_hour": self.first_hour, "bh_cum": self.cum, "bh_mask": self.mask}


#: what to bind when the calendar clock is used: an empty table, so the business joins cost nothing
CALENDAR_ONLY = HourTable(0, [], [])


def hour_table(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> HourTable:
    """Lay the schedule over every UTC hour from ``start`` to ``end`` (naive UTC), padded by a day each side."""
    first = pd.Timestamp(start).floor("h") - pd.Timedelta(days=1)
    last = pd.Timestamp(end).ceil("h") + pd.Timedelta(days=1)
    hours = pd.date_range(first, last, freq="h")  # naive UTC
    # local wall-clock minute of each of the 60 minutes of every UTC hour (offsets change on the hour or half hour;
    # computing the offset per minute keeps 30/45-minute zones and their transitions exact)
    minutes = hours.values.astype("datetime64[m]")[:, None] + np.arange(60).astype("timedelta64[m]")
    flat = pd.DatetimeIndex(minutes.ravel()).tz_localize("UTC").tz_convert(schedule.timezone).tz_localize(None)
    local = flat.values.astype("datetime64[m]").astype("int64")
    day = local // 1440
    minute_of_day = local % 1440
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    open_ = np.zeros(local.shape, dtype=bool)
    for wd, intervals in enumerate(schedule.week):
        on_day = weekday == wd
        for s, e in intervals:
            open_ |= on_day & (minute_of_day >= s) & (minute_of_day < e)
    if schedule.holidays:
        holiday_days = np.array([(h - dt.date(1970, 1, 1)).days for h in schedule.holidays], dtype="int64")
        open_ &= ~np.isin(day, holiday_days)
    grid = open_.reshape(len(hours), 60)
    weights = (np.int64(1) << np.arange(60, dtype="int64"))
    mask = (grid.astype("int64") * weights).sum(axis=1)
    per_hour = grid.sum(axis=1).astype("int64") * 60
    cum = np.concatenate([[0], np.cumsum(per_hour)[:-1]])
    first_hour = int(hours[0].value // 3_600_000_000_000)  # hours since the epoch
    return HourTable(first_hour, cum.tolist(), mask.tolist())


def schedule_from_config(data: dict[str, Any]) -> Schedule:
    """A schedule from the ``[business_hours]`` table of cx.toml (missing weekdays keep the default)."""
    default = Schedule()
    week = list(default.week)
    for i, name in enumerate(WEEKDAYS):
        if name in data:
            week[i] = parse_day(name, data[name])
    unknown = set(data) - set(WEEKDAYS) - {"timezone", "holidays"}
    if unknown:
        raise ScheduleError(f"[business_hours] has unknown keys {sorted(unknown)}; use timezone, holidays and "
                            "monday..sunday")
    return Schedule(timezone=str(data.get("timezone", default.timezone)), week=tuple(week),
                    holidays=parse_holidays(data.get("holidays", [])))
