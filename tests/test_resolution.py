"""Resolution metrics against hand-computed values on the tiny database, and the planted demo effects."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Period
from cx_metrics.metrics import resolution as R
from tests.conftest import TINY_PERIOD

# in TINY_PERIOD: t1 solved after 4 h, t2 after 24 h, t3 open since 7 Jan 12:00, t4 open since 8 Jan 08:00,
# the latest time in the data (so t3 is censored at 20 h, t4 at 0 h)


def test_as_of_is_the_latest_time_in_the_data(tiny_conn: db.Connection) -> None:
    assert R.data_as_of(tiny_conn) == dt.datetime(2026, 1, 8, 8, 0)


def test_time_to_resolution_with_censoring(tiny_conn: db.Connection) -> None:
    row = R.time_to_event(tiny_conn, period=TINY_PERIOD, metric="full_resolution").iloc[0]
    assert (row["tickets"], row["completed"], row["censored"]) == (4, 2, 2)
    # Kaplan-Meier, the one median: S(4 h) = 2/3 (t4 left the risk set at 0 h), t3 censored at 20 h, S(24 h) = 0
    # -> median 24 h (the completed tickets alone would say 14 h), p90 24 h too
    assert row["median_hours"] == pytest.approx(24.0)
    assert row["p90_hours"] == pytest.approx(24.0)
    assert list(R.time_to_event(tiny_conn, period=TINY_PERIOD).columns) == R.TIME_COLUMNS


def test_first_response_by_channel(tiny_conn: db.Connection) -> None:
    frame = R.time_to_event(tiny_conn, period=TINY_PERIOD, metric="first_response", by="channel").set_index("group")
    assert frame.loc["email", "median_hours"] == pytest.approx(1.0)  # t1 1 h, t3 2 h: S(1 h) = 1/2
    assert frame.loc["chat", "median_hours"] == pytest.approx(0.5)
    assert frame.loc["phone", "completed"] == 0 and frame.loc["phone", "censored"] == 1
    curves = R.km_curves(tiny_conn, period=TINY_PERIOD, metric="first_response", by="channel")
    email = curves[curves["group"] == "email"].set_index("hours")["still_waiting"]
    assert email.loc[1.0] == pytest.approx(0.5) and email.loc[2.0] == pytest.approx(0.0)


def test_logrank_needs_two_groups(tiny_conn: db.Connection) -> None:
    one = R.logrank(tiny_conn, period=TINY_PERIOD, by="all").iloc[0]
    assert one["groups"] == 1 and one["degrees_of_freedom"] == 0
    two = R.logrank(tiny_conn, period=TINY_PERIOD, metric="first_response", by="channel").iloc[0]
    assert two["groups"] == 3 and 0 <= two["p_value"] <= 1


def test_sla_breach_rates(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("UPDATE tickets SET priority = 'urgent'")
    frame = R.sla_breaches(tiny_conn, period=TINY_PERIOD).set_index("target")
    first = frame.loc["first_response"]  # target 1 h: t1 1 h and t2 0.5 h achieved, t3 2 h breached, t4 pending
    assert (first["achieved"], first["breached"], first["pending"]) == (2, 1, 1)
    assert first["breach_rate"] == pytest.approx(1 / 3)
    res = frame.loc["resolution"]  # target 8 h: t1 achieved, t2 breached, t3 open for 20 h breached, t4 pending
    assert (res["achieved"], res["breached"], res["pending"], res["open_breached"]) == (1, 2, 1, 1)
    assert res["breach_rate"] == pytest.approx(2 / 3)
    strict = Settings(sla_resolution_hours={"urgent": 30.0})
    res = R.sla_breaches(tiny_conn, period=TINY_PERIOD, settings=strict).set_index("target").loc["resolution"]
    assert (res["achieved"], res["breached"]) == (2, 0)


def test_backlog_ageing(tiny_conn: db.Connection) -> None:
    frame = R.backlog(tiny_conn).set_index("age")["tickets"]
    assert frame["< 1 day"] == 2 and frame.sum() == 2  # t3 (20 h) and t4 (0 h)
    later = R.backlog(tiny_conn, as_of=dt.datetime(2026, 1, 20)).set_index("age")["tickets"]
    assert later["7-30 days"] == 2


def test_csat_by_handling(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("UPDATE survey_responses SET ticket_id = 't1' WHERE response_id = 'c1'")
    tiny_conn.execute("UPDATE survey_responses SET ticket_id = 't2' WHERE response_id = 'c5'")
    frame = R.experience_vs_outcome(tiny_conn, period=TINY_PERIOD, by="resolution_time").set_index("bucket")
    assert frame.loc["4-24 h", "csat"] == pytest.approx(100.0)  # t1 (4 h), scored 5
    assert frame.loc["1-3 days", "csat"] == pytest.approx(0.0)  # t2 (24 h), scored 1
    assert frame["small_n"].all()
    with pytest.raises(ValueError, match="by must be one of"):
        R.experience_vs_outcome(tiny_conn, period=TINY_PERIOD, by="mood")
    # NPS where linked: t1 (4 h) has a 10 and a 6, t2 (24 h) a 9 and a 0 (0-10 scale)
    tiny_conn.execute("UPDATE survey_responses SET ticket_id = 't1' WHERE response_id IN ('n1', 'n4')")
    tiny_conn.execute("UPDATE survey_responses SET ticket_id = 't2' WHERE response_id IN ('n2', 'n5')")
    nps = R.experience_vs_outcome(tiny_conn, period=TINY_PERIOD, metric="nps").set_index("bucket")
    assert nps.loc["4-24 h", "value"] == pytest.approx(0.0)  # 1 promoter, 1 detractor of 2
    assert nps.loc["1-3 days", "responses"] == 2 and nps.loc["1-3 days", "value"] == pytest.approx(0.0)
    # NPS SE with p = d = 0.5, n = 2: 100 * sqrt((1 - 0) / 2) = 70.7 points -> the interval is clipped to +-100
    assert (nps.loc["4-24 h", "ci_low"], nps.loc["4-24 h", "ci_high"]) == (-100.0, 100.0)


def test_planted_handoff_and_speed_effects(demo_conn: db.Connection) -> None:
    period = Period(dt.date(2025, 11, 17), dt.date(2026, 11, 15))
    handoffs = R.experience_vs_outcome(demo_conn, period=period, by="handoffs").set_index("bucket")
    assert handoffs.loc["0 handoffs", "ci_low"] > handoffs.loc["1 handoff", "ci_high"]
    speed = R.experience_vs_outcome(demo_conn, period=period, by="resolution_time").set_index("bucket")
    assert speed.loc["< 4 h", "csat"] > speed.loc["> 7 days", "csat"] + 30
    test = R.logrank(demo_conn, period=period, by="handoffs").iloc[0]
    assert test["p_value"] < 1e-6  # handed-off tickets take longer (planted)


def test_follow_through(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("UPDATE tickets SET reopens = 1, replies = 3, group_stations = 2 WHERE ticket_id = 't2'")
    tiny_conn.execute("UPDATE tickets SET reopens = 0, replies = 1, group_stations = 1 WHERE ticket_id = 't1'")
    row = R.follow_through(tiny_conn, period=TINY_PERIOD).iloc[0]
    # solved and created in the period: t1 and t2
    assert row["solved"] == 2
    assert row["reopen_rate"] == pytest.approx(0.5) and row["one_touch_rate"] == pytest.approx(0.5)
    assert row["mean_handoffs"] == pytest.approx(0.5) and row["handed_off_rate"] == pytest.approx(0.5)
    assert row["reopen_low"] < 0.5 < row["reopen_high"]


def test_closed_tickets_without_a_time_are_not_counted_as_waiting(tiny_conn: db.Connection) -> None:
    # a closed ticket whose export carries no solve time (Zendesk API/Fivetran tickets): its end is unknown
    tiny_conn.execute("UPDATE tickets SET priority = 'urgent'")
    tiny_conn.execute("UPDATE tickets SET status = 'closed' WHERE ticket_id = 't3'")
    row = R.time_to_event(tiny_conn, period=TINY_PERIOD, metric="full_resolution").iloc[0]
    assert (row["tickets"], row["completed"], row["censored"]) == (3, 2, 1)  # t3 left out, only t4 waits
    res = R.sla_breaches(tiny_conn, period=TINY_PERIOD).set_index("target").loc["resolution"]
    assert (res["achieved"], res["breached"], res["open_breached"]) == (1, 1, 0)  # t3 is no open breach
    from cx_metrics.metrics import overview

    tile = overview.kpis(tiny_conn, period=TINY_PERIOD).set_index("metric").loc["resolution"]
    assert "1 solved tickets without a recorded time are left out" in tile["note"]
    assert "1 tickets still open are censored" in tile["note"]


def test_resolution_rows_behind_a_group(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("UPDATE tickets SET priority = 'urgent'")
    rows = R.resolution_rows(tiny_conn, period=TINY_PERIOD, by="channel", value="email")
    # email: t3 still waiting 20 h at the data's latest time (past the 8 h target), t1 done in 4 h
    assert list(rows["ticket_id"]) == ["t3", "t1"]
    assert list(rows["hours"]) == [20.0, 4.0] and list(rows["state"]) == ["still waiting", "done"]
    assert list(rows["breached"]) == [True, False]
    business = R.resolution_rows(tiny_conn, period=TINY_PERIOD, clock="business")
    assert dict(zip(business["ticket_id"], business["hours"], strict=True)) == {"t2": 8.0, "t3": 5.0, "t1": 4.0,
                                                                                "t4": 0.0}
    assert len(R.resolution_rows(tiny_conn, period=TINY_PERIOD, limit=2)) == 2


def test_handoff_distribution(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("UPDATE tickets SET group_stations = 1 WHERE ticket_id = 't1'")
    tiny_conn.execute("UPDATE tickets SET group_stations = 3 WHERE ticket_id = 't2'")
    dist = R.handoff_distribution(tiny_conn, period=TINY_PERIOD).set_index("handoffs")
    assert dist.loc["0 handoffs", "solved"] == 1 and dist.loc["2+ handoffs", "solved"] == 1
    assert dist.loc["0 handoffs", "share"] == pytest.approx(0.5)
    assert dist["share"].sum() == pytest.approx(1.0)


def test_resolution_trend_by_creation_week(tiny_conn: db.Connection) -> None:
    period = Period(dt.date(2025, 12, 29), dt.date(2026, 1, 11))
    trend = R.resolution_trend(tiny_conn, period=period).set_index("period_start")
    # week of 29 Dec: t5 (24 h) and t6 (2 h) solved; week of 5 Jan: t1 4 h, t2 24 h, t3 and t4 open (censored)
    assert list(trend.index) == [pd.Timestamp("2025-12-29"), pd.Timestamp("2026-01-05")]
    assert trend.loc["2025-12-29", "median_hours"] == pytest.approx(2.0)  # Kaplan-Meier: S(2 h) = 1/2
    assert (trend.loc["2026-01-05", "completed"], trend.loc["2026-01-05", "censored"]) == (2, 2)
    assert trend.loc["2026-01-05", "median_hours"] == pytest.approx(24.0)


def test_drawn_survival_curves_are_thinned_within_a_fifth_of_a_point() -> None:
    """Every step of the exact curve is within STEP_RESOLUTION of the drawn (thinned) step curve."""
    import numpy as np

    from cx_metrics import charts

    rng = np.random.default_rng(3)
    n = 5_000
    surv = np.cumprod(1 - rng.uniform(0, 0.002, n))
    frame = pd.DataFrame({"group": "all", "hours": np.sort(rng.uniform(0, 500, n)), "still_waiting": surv,
                          "ci_low": surv * 0.97, "ci_high": np.minimum(1, surv * 1.03), "at_risk": np.arange(n, 0, -1)})
    thin = charts.thin_steps(frame)
    assert len(thin) < n / 3
    assert thin.index[0] == frame.index[0] and thin.index[-1] == frame.index[-1]
    drawn = np.searchsorted(thin["hours"].to_numpy(), frame["hours"].to_numpy(), side="right") - 1
    for col in ("still_waiting", "ci_low", "ci_high"):
        error = np.abs(thin[col].to_numpy()[drawn] - frame[col].to_numpy())
        assert error.max() < charts.STEP_RESOLUTION
