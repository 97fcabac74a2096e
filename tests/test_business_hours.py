"""Business hours: the schedule parser, the day-by-day oracle against hand values, the SQL lookup against the
oracle in awkward zones, and the resolution metrics on the business clock (weekend and holiday included)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from cx_metrics import business_hours as bh
from cx_metrics import db
from cx_metrics.config import ConfigError, Settings, load_settings
from cx_metrics.metrics import resolution as R
from tests.conftest import TINY_PERIOD

H = 3600.0


def test_parse_day_and_describe() -> None:
    assert bh.parse_day("monday", "09:00-12:30, 13:30-17:00") == ((540, 750), (810, 1020))
    assert bh.parse_day("sunday", "") == () and bh.parse_day("sunday", "closed") == ()
    assert bh.parse_day("friday", ["00:00-24:00"]) == ((0, 1440),)
    with pytest.raises(bh.ScheduleError, match="HH:MM-HH:MM"):
        bh.parse_day("monday", "9 to 5")
    with pytest.raises(bh.ScheduleError, match="not a time range"):
        bh.parse_day("monday", "09:00-25:00")
    with pytest.raises(bh.ScheduleError, match="non-overlapping"):
        bh.Schedule(week=(((600, 700), (650, 800)),) + ((),) * 6)
    with pytest.raises(bh.ScheduleError, match="zone name"):
        bh.Schedule(timezone="Mars/Olympus")
    text = bh.Schedule().describe()
    assert "Mon 09:00-17:00" in text and "Sat closed" in text and "40 h a week" in text


def test_oracle_on_hand_computed_cases() -> None:
    week = bh.Schedule()  # Mon-Fri 09:00-17:00 UTC
    # Friday 16:00 -> Tuesday 10:00: 1 h on Friday, the weekend is closed, 8 h Monday, 1 h Tuesday
    assert bh.business_seconds_between(week, dt.datetime(2026, 1, 9, 16), dt.datetime(2026, 1, 13, 10)) == 10 * H
    holiday = bh.Schedule(holidays=(dt.date(2026, 1, 12),))  # ... and with Monday a holiday: 2 h
    assert bh.business_seconds_between(holiday, dt.datetime(2026, 1, 9, 16), dt.datetime(2026, 1, 13, 10)) == 2 * H
    # created and solved on a Saturday: no business time at all
    assert bh.business_seconds_between(week, dt.datetime(2026, 1, 10, 9), dt.datetime(2026, 1, 10, 18)) == 0
    # a split day: 09:00-12:00 and 13:00-17:00 in New York (UTC-5 in January); 11:30 -> 13:30 local = 1 h
    split = bh.Schedule(timezone="America/New_York", week=(((540, 720), (780, 1020)),) * 5 + ((), ()))
    assert bh.business_seconds_between(split, dt.datetime(2026, 1, 5, 16, 30), dt.datetime(2026, 1, 5, 18, 30)) == H
    # the Paris day on which clocks go forward (Sunday 29 March 2026) is closed; Monday 09:00 local = 07:00 UTC
    paris = bh.Schedule(timezone="Europe/Paris")
    assert bh.business_seconds_between(paris, dt.datetime(2026, 3, 27, 15), dt.datetime(2026, 3, 30, 8)) == 2 * H
    # 24/7 equals the wall clock
    always = bh.Schedule(week=(((0, 1440),),) * 7)
    a, b = dt.datetime(2026, 3, 28, 22, 17, 5), dt.datetime(2026, 4, 2, 3, 1, 59)
    assert bh.business_seconds_between(always, a, b) == (b - a).total_seconds()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe"])
def test_sql_lookup_matches_the_oracle(zone: str) -> None:
    """The hour-table lookup in SQL gives the oracle's seconds, across DST changes and half-hour zones."""
    schedule = bh.Schedule(timezone=zone, week=(((480, 750), (795, 1230)),) * 5 + (((600, 840),), ()),
                           holidays=(dt.date(2026, 4, 3), dt.date(2026, 10, 5)))
    rng = random.Random(7)
    start = dt.datetime(2026, 1, 1)
    pairs = []
    for _ in range(300):
        a = start + dt.timedelta(seconds=rng.randrange(0, 360 * 86400))
        pairs.append((a, a + dt.timedelta(seconds=rng.randrange(0, 20 * 86400))))
    table = bh.hour_table(schedule, start, dt.datetime(2027, 1, 31))
    conn = db.scratch()
    conn.execute("CREATE TABLE p (a TIMESTAMP, b TIMESTAMP)")
    conn.executemany("INSERT INTO p VALUES (?, ?)", pairs)
    sql = ("WITH bh AS MATERIALIZED (\n" + db._fragment("business_hour_table", "") + "\n) SELECT a, b, "
           + db._fragment("elapsed_minutes", "", ("a", "b")) + " FROM p\n"
           + db._fragment("business_join", "", ("a", "b")) + " ORDER BY a")
    got = conn.execute(sql, table.params("business")).fetchall()
    assert len(got) == 300
    for a, b, minutes in got:
        assert minutes * 60 == pytest.approx(bh.business_seconds_between(schedule, a, b), abs=1e-6), (a, b)


def test_resolution_on_the_business_clock(tiny_conn: db.Connection) -> None:
    # Mon-Fri 09-17 UTC: t1 Mon 10:00 -> 14:00 = 4 h; t2 Tue 09:00 -> Wed 09:00 = 8 h (24 h on the wall clock);
    # t3 open since Wed 12:00, censored at Thu 08:00 after 5 h; t4 censored at 0 h
    row = R.time_to_event(tiny_conn, period=TINY_PERIOD, clock="business").iloc[0]
    assert (row["completed"], row["censored"]) == (2, 2)
    # Kaplan-Meier: S(4 h) = 2/3 (t4 left at 0 h), t3 censored at 5 h, S(8 h) = 0 -> 8 h
    assert row["median_hours"] == pytest.approx(8.0)
    # Tuesday a holiday: t2 took no business time at all: S(0) = 3/4, S(4 h) = 3/8 -> 4 h
    off = Settings(business_hours=bh.Schedule(holidays=(dt.date(2026, 1, 6),)))
    row = R.time_to_event(tiny_conn, period=TINY_PERIOD, clock="business", settings=off).iloc[0]
    assert row["median_hours"] == pytest.approx(4.0)
    tiny_conn.execute("UPDATE tickets SET priority = 'urgent'")
    # resolution target 8 h: on the wall clock t2 (24 h) breached and t3 (20 h open) breached; in business hours
    # t2 made it in exactly 8 h and t3 has waited 5 h, so nothing breached
    res = R.sla_breaches(tiny_conn, period=TINY_PERIOD, clock="business").set_index("target").loc["resolution"]
    assert (res["achieved"], res["breached"], res["pending"]) == (2, 0, 2)
    res = R.sla_breaches(tiny_conn, period=TINY_PERIOD, settings=Settings(sla_clock="business"))
    assert res.set_index("target").loc["resolution", "breached"] == 0
    with pytest.raises(ValueError, match="clock"):
        R.time_to_event(tiny_conn, period=TINY_PERIOD, clock="lunar")


def test_business_hours_from_config(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "cx.toml"  # type: ignore[operator]
    path.write_text('[business_hours]\ntimezone = "Europe/Berlin"\nsaturday = "10:00-14:00"\n'
                    'holidays = ["2026-12-25", "2026-12-26"]\n[sla]\nclock = "business"\n')
    s = load_settings({"CX_CONFIG": str(path)})
    assert s.business_hours.timezone == "Europe/Berlin" and s.sla_clock == "business"
    assert s.business_hours.week[5] == ((600, 840),) and s.business_hours.week[0] == ((540, 1020),)
    assert s.business_hours.holidays == (dt.date(2026, 12, 25), dt.date(2026, 12, 26))
    path.write_text('[business_hours]\nmonday = "nine to five"\n')
    with pytest.raises(ConfigError, match="HH:MM"):
        load_settings({"CX_CONFIG": str(path)})
    path.write_text('[sla]\nclock = "sundial"\n')
    with pytest.raises(ConfigError, match="calendar"):
        load_settings({"CX_CONFIG": str(path)})


def test_vendor_agreement(tiny_conn: db.Connection) -> None:
    """Our minutes against the vendor's: t1 agrees on both clocks, t2 disagrees by 9 minutes in business time."""
    none = R.vendor_agreement(tiny_conn, period=TINY_PERIOD)
    assert (none["tickets"] == 0).all() and none["agree_rate"].isna().all()
    # t1: 60 min first reply (Mon 10:00 -> 11:00, inside business hours), 240 min resolution on both clocks;
    # t2: 30 min first reply, resolution 1440 min wall clock, 480 business minutes (the vendor says 489)
    tiny_conn.execute("""UPDATE tickets SET vendor_first_reply_minutes = 60, vendor_first_reply_minutes_business = 60,
        vendor_full_resolution_minutes = 240, vendor_full_resolution_minutes_business = 240 WHERE ticket_id = 't1'""")
    tiny_conn.execute("""UPDATE tickets SET vendor_first_reply_minutes = 30, vendor_first_reply_minutes_business = 30,
        vendor_full_resolution_minutes = 1440, vendor_full_resolution_minutes_business = 489
        WHERE ticket_id = 't2'""")
    frame = R.vendor_agreement(tiny_conn, period=TINY_PERIOD).set_index(["metric", "clock"])
    cal = frame.loc[("full_resolution", "calendar")]
    assert cal["tickets"] == 2 and cal["agree_rate"] == 1.0 and cal["median_difference_minutes"] == 0
    assert cal["our_median_minutes"] == pytest.approx(840.0)  # (240 + 1440) / 2
    bus = frame.loc[("full_resolution", "business")]
    assert bus["agree_rate"] == 0.5 and bus["median_difference_minutes"] == pytest.approx(-4.5)  # (0 - 9) / 2
    assert bus["our_median_minutes"] == pytest.approx(360.0) and bus["vendor_median_minutes"] == pytest.approx(364.5)
    assert frame.loc[("first_response", "business"), "agree_rate"] == 1.0


def test_zendesk_ui_export_minutes_agree_once_the_schedule_matches(tmp_path: pytest.TempPathFactory) -> None:
    """Import a Zendesk UI export; our business minutes disagree under the default 09-17 schedule and agree
    once cx.toml has the account's schedule (08:30-19:00), as a CX lead would find out from this table."""
    from cx_metrics.filters import Period
    from cx_metrics.ingest import load as ingest
    from tests.test_ingest import ZENDESK_UI

    conn = db.connect(Settings().with_db(tmp_path / "zd.duckdb"))  # type: ignore[operator]
    try:
        ingest.load(conn, ingest.preview(ZENDESK_UI.encode(), name="zendesk.csv"))
        period = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
        default = R.vendor_agreement(conn, period=period).set_index(["metric", "clock"])
        # the export has no first-reply timestamp: it is derived from the calendar minutes, so that row agrees by
        # construction; the business minutes are an independent check
        assert default.loc[("first_response", "calendar"), "agree_rate"] == 1.0
        assert default.loc[("first_response", "business"), "tickets"] == 3
        assert default.loc[("first_response", "business"), "agree_rate"] == pytest.approx(2 / 3)  # 503: 30 vs 60
        assert default.loc[("full_resolution", "business"), "our_median_minutes"] == 480  # vendor: 600
        matching = Settings(business_hours=bh.Schedule(week=(((510, 1140),),) * 5 + ((), ())))
        agreed = R.vendor_agreement(conn, period=period, settings=matching)
        assert (agreed.loc[agreed["tickets"] > 0, "agree_rate"] == 1.0).all()
    finally:
        conn.close()
