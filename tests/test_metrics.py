"""SQL tier: metric functions on a hand-built DuckDB file, checked against hand-computed values."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import base, complaints, overview
from tests.conftest import TINY_PERIOD


def _tiles(conn: db.Connection, filters: Filters | None = None) -> dict[str, dict[str, object]]:
    frame = overview.kpis(conn, period=TINY_PERIOD, filters=filters)
    assert list(frame.columns) == overview.KPI_COLUMNS
    return {str(r["metric"]): r for r in frame.to_dict("records")}


def test_complaints_tile(tiny_conn: db.Connection) -> None:
    t = _tiles(tiny_conn)["complaints"]
    assert (t["value"], t["prev_value"], t["n"]) == (3, 1, 3)
    assert t["delta"] == pytest.approx(2.0)  # rate ratio 3/1 - 1
    assert t["p_value"] == pytest.approx(0.625)  # exact: binomial(4, .5) two-sided
    assert not t["significant"]
    assert t["small_n"]  # 3 < default minimum of 30


def test_first_response_tile_censors_waiting_tickets(tiny_conn: db.Connection) -> None:
    t = _tiles(tiny_conn)["first_response"]
    # Kaplan-Meier over t1 1 h, t2 0.5 h, t3 2 h and t4 (new, no reply) censored at the data's latest time, which
    # is t4's creation: S(0.5) = 2/3, S(1) = 1/3 -> the median is 1 h
    assert t["value"] == pytest.approx(1.0)
    assert t["n"] == 4
    assert t["prev_value"] == pytest.approx(0.25)  # t6 0.25 h, t5 3 h: S(0.25) = 1/2
    assert "1 tickets awaiting a first reply are censored" in str(t["note"])
    assert t["test"] == "log-rank test"
    assert t["unavailable"] == "" and t["comparison"] == ""


def test_resolution_tile_is_the_kaplan_meier_median(tiny_conn: db.Connection) -> None:
    t = _tiles(tiny_conn)["resolution"]
    # t1 4 h, t2 24 h solved; t3 open 20 h and t4 0 h censored: S(4) = 2/3, S(24) = 0 -> 24 h, not the 14 h of
    # the solved tickets alone
    assert t["value"] == pytest.approx(24.0)
    assert t["prev_value"] == pytest.approx(2.0)  # t6 2 h, t5 24 h: S(2) = 1/2
    assert t["delta"] == pytest.approx(22.0)
    assert "2 tickets still open are censored" in str(t["note"])
    # the same figure as the Resolution page's table, from the same function
    from cx_metrics.metrics import resolution

    page = resolution.time_to_event(tiny_conn, period=TINY_PERIOD).iloc[0]
    assert page["median_hours"] == t["value"]
    assert (page["median_low"], page["median_high"]) == (t["ci_low"], t["ci_high"]) or math.isnan(page["median_high"])


def test_nps_tile(tiny_conn: db.Connection) -> None:
    t = _tiles(tiny_conn)["nps"]
    # current: 10, 9, 8, 6, 0 -> 2 promoters, 2 detractors of 5; previous: 10, 10, 7 -> 2 of 3, none
    assert t["value"] == pytest.approx(0.0)
    assert t["prev_value"] == pytest.approx(200 / 3)
    assert t["ci_high"] == pytest.approx(1.959964 * 40, abs=1e-3)
    se0 = 100 * math.sqrt((2 / 3 - 4 / 9) / 3)
    z = (200 / 3) / math.hypot(40, se0)
    assert t["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-6)


def test_csat_tile_counts_top_two_boxes_and_good(tiny_conn: db.Connection) -> None:
    t = _tiles(tiny_conn)["csat"]
    # 5, 4, 4 satisfied; 3, 1 not; good/bad 1 = good, 0 = bad -> 4 of 7
    assert t["value"] == pytest.approx(400 / 7)
    assert t["n"] == 7
    assert math.isnan(float(t["prev_value"]))
    assert t["prev_n"] == 0


def test_csat_top_box_is_configurable(tiny_conn: db.Connection) -> None:
    frame = overview.kpis(tiny_conn, period=TINY_PERIOD, settings=Settings(csat_top_boxes=1))
    csat = frame.set_index("metric").loc["csat"]
    assert csat["value"] == pytest.approx(200 / 7)  # only the 5 and the "good"


def test_churn_tile(tiny_conn: db.Connection) -> None:
    t = _tiles(tiny_conn)["churn"]
    # at 5 Jan: A and B active (C gone 2 Jan, D not yet signed up); B churns 7 Jan
    assert (t["value"], t["n"]) == (pytest.approx(50.0), 2)
    # at 29 Dec: A, B, C active; C churns 2 Jan
    assert (t["prev_value"], t["prev_n"]) == (pytest.approx(100 / 3), 3)


def test_filters_apply_to_every_tile(tiny_conn: db.Connection) -> None:
    pro = _tiles(tiny_conn, Filters.of(plans=["Pro"]))
    assert (pro["complaints"]["value"], pro["complaints"]["prev_value"]) == (2, 1)  # t1, t3 / t5
    assert (pro["churn"]["value"], pro["churn"]["n"]) == (0.0, 1)  # only A at risk
    assert pro["nps"]["n"] == 2  # A's two responses
    email = _tiles(tiny_conn, Filters.of(channels=["email"]))
    assert email["complaints"]["value"] == 2
    assert email["csat"]["n"] == 3  # c1, c3, c5
    assert email["nps"]["n"] == 0  # relationship NPS has no channel: excluded, not guessed
    assert email["churn"]["n"] == 2  # channel does not apply to churn
    nobody = _tiles(tiny_conn, Filters.of(regions=["Mars"]))
    assert nobody["complaints"]["value"] == 0
    assert math.isnan(float(nobody["nps"]["value"]))


def test_describe_delta_and_test() -> None:
    row = {"delta": 0.123, "delta_kind": "relative", "unit": "count", "p_value": 0.001, "test": "t"}
    assert overview.describe_delta(row, 0.05) == "+12.3% · real change"
    row = {"delta": -0.25, "delta_kind": "absolute", "unit": "hours", "p_value": 0.4, "test": "Mood"}
    assert overview.describe_delta(row, 0.05) == "-15 min · within noise"
    assert overview.describe_test(row, 0.05) == "Mood, p = 0.4 ≥ 0.05"
    row = {"delta": float("nan"), "delta_kind": "absolute", "unit": "%", "p_value": float("nan"), "test": "x"}
    assert overview.describe_delta(row, 0.05) == ""
    row = {**row, "comparison": "no comparison: the previous period starts before the first ticket"}
    assert overview.describe_delta(row, 0.05) == ""
    assert overview.describe_test(row, 0.05) == row["comparison"]
    new = {"delta": float("nan"), "delta_kind": "relative", "unit": "count", "value": 4.0, "prev_value": 0.0,
           "p_value": 0.01, "test": "t"}
    assert overview.describe_delta(new, 0.05) == "new: none in the previous period · real change"


def test_complaint_trend_zero_fills_and_marks_partial_weeks(tiny_conn: db.Connection) -> None:
    period = Period(dt.date(2025, 12, 30), dt.date(2026, 1, 11))  # Tue .. Sun: first week is partial
    frame = complaints.complaint_trend(tiny_conn, period=period)
    assert list(frame.columns) == ["period_start", "category", "complaints", "partial", "days_covered"]
    table = frame.pivot(index="period_start", columns="category", values="complaints")
    assert table.loc[pd.Timestamp("2025-12-29"), "Bug"] == 1  # t5 on 30 Dec
    assert table.loc[pd.Timestamp("2026-01-05")].to_dict() == {"Billing": 2, "Bug": 1}
    assert table.loc[pd.Timestamp("2025-12-29"), "Billing"] == 0  # zero-filled, not missing
    weeks = frame.drop_duplicates("period_start").set_index("period_start")
    assert bool(weeks.loc[pd.Timestamp("2025-12-29"), "partial"])
    assert weeks.loc[pd.Timestamp("2025-12-29"), "days_covered"] == 6
    later = complaints.complaint_trend(tiny_conn, period=Period(dt.date(2025, 12, 31), dt.date(2026, 1, 11)))
    assert later["complaints"].sum() == 3  # t5 falls before a range starting 31 Dec
    assert not bool(weeks.loc[pd.Timestamp("2026-01-05"), "partial"])


def test_complaint_trend_counts_only_in_range(tiny_conn: db.Connection) -> None:
    frame = complaints.complaint_trend(tiny_conn, period=TINY_PERIOD, grain="day")
    assert frame["complaints"].sum() == 3
    assert len(frame["period_start"].unique()) == 7
    with pytest.raises(ValueError, match="grain"):
        complaints.complaint_trend(tiny_conn, period=TINY_PERIOD, grain="hour")


def test_default_period_ends_on_the_last_full_week(tiny_conn: db.Connection) -> None:
    assert base.data_range(tiny_conn) == (dt.date(2025, 12, 1), dt.date(2026, 1, 11))
    period = base.default_period(tiny_conn)
    assert period.end == dt.date(2026, 1, 11)  # a Sunday
    assert period.start == dt.date(2025, 12, 1)  # clipped to the data


def test_filter_options(tiny_conn: db.Connection) -> None:
    opts = base.filter_options(tiny_conn)
    assert opts["plans"] == ["Basic", "Pro"]
    assert set(opts["channels"]) == {"email", "chat", "phone"}


def test_kpis_on_demo_match_direct_sql(demo_conn: db.Connection) -> None:
    """Cross-check the SQL path against pandas on the raw rows for the complaint count and CSAT."""
    period = base.default_period(demo_conn)
    tiles = overview.kpis(demo_conn, period=period).set_index("metric")
    raw = demo_conn.execute(
        "SELECT count(*) FROM tickets WHERE is_complaint AND created_at >= ? AND created_at < ?",
        [period.start_ts, period.end_ts],
    ).fetchone()
    assert raw is not None and tiles.loc["complaints", "value"] == raw[0]
    scores = demo_conn.execute(
        "SELECT score FROM survey_responses WHERE metric = 'csat' AND responded_at >= ? AND responded_at < ?",
        [period.start_ts, period.end_ts],
    ).df()["score"]
    assert tiles.loc["csat", "value"] == pytest.approx(100 * (scores >= 4).mean())


def test_sla_tile(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("UPDATE tickets SET priority = 'urgent'")  # resolution target 8 h
    t = _tiles(tiny_conn)["sla"]
    # current: t1 achieved (4 h), t2 breached (24 h), t3 open 20 h past creation -> breached; t4 pending
    assert (t["value"], t["n"]) == (pytest.approx(200 / 3), 3)
    # previous: t5 breached (24 h), t6 achieved (2 h)
    assert (t["prev_value"], t["prev_n"]) == (pytest.approx(50.0), 2)
    assert "1 open tickets not yet past their target are pending" in str(t["note"])


def test_duration_tiles_match_lifelines_on_random_durations(tiny_conn: db.Connection) -> None:
    """The Kaplan-Meier median and its interval, both periods, checked against lifelines on random durations with
    some tickets still waiting; the change is tested with the log-rank test of the two periods."""
    import numpy as np
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test
    from lifelines.utils import median_survival_times

    rng = np.random.default_rng(5)
    tiny_conn.execute("DELETE FROM tickets")
    start = dt.datetime.combine(TINY_PERIOD.start, dt.time(1))
    prev_start = dt.datetime.combine(TINY_PERIOD.previous().start, dt.time(1))
    as_of = dt.datetime.combine(TINY_PERIOD.end, dt.time(23))
    seconds = {"current": rng.exponential(20 * 3600, 101).astype(int),
               "previous": rng.exponential(30 * 3600, 38).astype(int)}
    rows, data = [], {}
    for period, first in (("current", start), ("previous", prev_start)):
        hours, events = [], []
        for i, sec in enumerate(seconds[period]):
            created = first + dt.timedelta(minutes=i)
            end = created + dt.timedelta(seconds=int(sec))
            done = end <= as_of
            rows.append((f"{period}{i}", created, end if done else None, end if done else None,
                         "solved" if done else "open"))
            stop = end if done else as_of
            hours.append(round((stop - created).total_seconds() / 60) / 60)
            events.append(done)
        data[period] = (np.array(hours), np.array(events))
    rows.append(("last", as_of, None, None, "new"))  # the data's latest time: tickets still waiting end here
    tiny_conn.executemany("INSERT INTO tickets (source, ticket_id, created_at, first_response_at, solved_at, status) "
                          "VALUES ('t', ?, ?, ?, ?, ?)", rows)
    tiles = _tiles(tiny_conn)
    assert tiles["resolution"]["comparison"] == "" and tiles["resolution"]["note"].startswith("1 tickets")
    for metric in ("first_response", "resolution"):
        t = tiles[metric]
        for key, period in (("", "current"), ("prev_", "previous")):
            hours, events = data[period]
            if period == "current":  # the ticket created at the data's latest time, censored at 0 h
                hours, events = np.append(hours, 0.0), np.append(events, False)
            fit = KaplanMeierFitter(alpha=0.05).fit(hours, events)
            assert t[f"{key}value"] == pytest.approx(fit.median_survival_time_, abs=1e-9)
            ci = median_survival_times(fit.confidence_interval_).iloc[0]
            assert t[f"{key}ci_low"] == pytest.approx(ci.iloc[0], abs=1e-9)
            assert (math.isnan(t[f"{key}ci_high"]) and math.isinf(ci.iloc[1])) \
                or t[f"{key}ci_high"] == pytest.approx(ci.iloc[1], abs=1e-9)
        (h1, e1), (h0, e0) = data["current"], data["previous"]
        expected = logrank_test(np.append(h1, 0.0), h0, np.append(e1, False), e0).p_value
        assert t["p_value"] == pytest.approx(expected, rel=1e-6)
