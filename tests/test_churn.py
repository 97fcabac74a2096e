"""Churn metrics against hand-computed values on the tiny database, and the planted demo effect."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from cx_metrics import db, stats
from cx_metrics.config import ConfigError, Settings, load_settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import churn as C
from cx_metrics.metrics import overview
from tests.conftest import TINY_PERIOD

# Tiny database (tests/conftest.py): A signed up 2025-01-01 (active), B 2025-06-01 churned 2026-01-07 12:00,
# C 2025-06-01 churned 2026-01-02 08:00, D 2026-01-06 (active). Latest time in the data: 2026-01-11 11:00
# (a survey answer), so churn is observable up to then.
AS_OF = dt.datetime(2026, 1, 11, 11, 0)


def test_contractual_definition_and_observation_end(tiny_conn: db.Connection) -> None:
    d = C.definition(tiny_conn)
    assert (d.mode, d.as_of, d.obs_end, d.timed, d.customers) == ("contractual", AS_OF, AS_OF, True, 4)
    assert d.suggested_days is None  # no activity data: nothing to suggest
    assert "cancellation date" in d.describe()


def test_weekly_churn_rate_by_hand(tiny_conn: db.Connection) -> None:
    # week of 5 Jan: at start A and B (C churned on 2 Jan, D signed up on 6 Jan); B is lost -> 1 / 2
    row = C.churn_rates(tiny_conn, period=TINY_PERIOD, grain="week").iloc[0]
    assert (row["at_start"], row["lost"]) == (2, 1)
    assert row["churn_rate"] == pytest.approx(0.5)
    ci = stats.wilson_ci(1, 2)
    assert (row["churn_low"], row["churn_high"]) == pytest.approx((ci.low, ci.high))
    assert row["small_n"]
    assert row["partial"]  # the week runs past 11 Jan 11:00, where churn stops being observable
    # the overview tile uses the same definition
    tile = overview.kpis(tiny_conn, period=TINY_PERIOD).set_index("metric").loc["churn"]
    assert tile["value"] == pytest.approx(100 * row["churn_rate"])


def test_monthly_rate_and_cohorts(tiny_conn: db.Connection) -> None:
    # January 2026: at start A, B, C (C churned on 2 Jan, after the month began); B and C lost -> 2 / 3
    row = C.churn_rates(tiny_conn, period=TINY_PERIOD, grain="month").iloc[0]
    assert (row["at_start"], row["lost"], bool(row["partial"])) == (3, 2, True)  # the month is cut by the period
    quarter = C.churn_rates(tiny_conn, period=TINY_PERIOD, grain="quarter").iloc[0]
    assert (str(quarter["period_start"].date()), str(quarter["period_end"].date())) == ("2026-01-01", "2026-04-01")
    assert (quarter["at_start"], quarter["lost"]) == (3, 2)
    month = Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    plans = C.churn_by_cohort(tiny_conn, period=month, by="plan").set_index("cohort")
    assert (plans.loc["Pro", "at_start"], plans.loc["Pro", "lost"]) == (2, 1)  # A stays, C leaves
    assert (plans.loc["Basic", "at_start"], plans.loc["Basic", "lost"]) == (1, 1)  # B (D starts in the month)
    assert plans.loc["Pro", "vs_rest_p"] == pytest.approx(stats.two_proportion_test(1, 2, 1, 1).p_value)
    only_pro = C.churn_by_cohort(tiny_conn, period=month, by="plan", filters=Filters.of(plans=["Pro"]))
    assert list(only_pro["cohort"]) == ["Pro"]
    with pytest.raises(ValueError, match="by must be one of"):
        C.churn_by_cohort(tiny_conn, period=month, by="mood")


def test_kaplan_meier_censors_active_customers(tiny_conn: db.Connection) -> None:
    # days from signup: D censored at 5 (active), C churned at 215, B at 220, A censored at 375 (active)
    curve = C.retention_curves(tiny_conn, by="all").set_index("days")
    assert curve.loc[5.0, "retained"] == pytest.approx(1.0)  # a censored customer is not a loss
    assert curve.loc[215.0, "retained"] == pytest.approx(2 / 3)  # 3 at risk after D left the risk set
    assert curve.loc[220.0, "retained"] == pytest.approx(1 / 3)
    assert curve.loc[375.0, "retained"] == pytest.approx(1 / 3)  # A censored: the curve stays
    assert int(curve["customers"].iloc[0]) == 4
    by_plan = C.retention_curves(tiny_conn, by="plan")
    assert set(by_plan["group"]) == {"Basic", "Pro"}


ACTIVITY_SQL = """
INSERT INTO customer_activity (customer_id, occurred_at, kind) VALUES
 ('A', '2025-10-01', 'order'), ('A', '2025-11-01', 'order'), ('A', '2025-12-01', 'order'), ('A', '2026-01-01', 'order'),
 ('B', '2025-06-15', 'order'), ('B', '2025-07-15', 'order'),
 ('D', '2026-01-08', 'order');
"""


def test_non_contractual_churn_with_suggested_window(tiny_conn: db.Connection) -> None:
    tiny_conn.execute(ACTIVITY_SQL)
    s = Settings(churn_mode="activity")
    d = C.definition(tiny_conn, s)
    # gaps 31, 30, 31 (A) and 30 (B): 95th percentile 31 days -> rounded up to 5 weeks
    assert d.gap_quantiles["p95"] == pytest.approx(31.0)
    assert d.suggested_days == 35 and d.inactivity_days == 35
    assert d.obs_end == AS_OF - dt.timedelta(days=35)
    assert "suggested from the data" in d.describe()
    # July 2025: at start A and B (C never active: lapsed at signup); B's last activity on 15 Jul -> lost
    july = Period(dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    row = C.churn_by_cohort(tiny_conn, period=july, by="all", settings=s).iloc[0]
    assert (row["at_start"], row["lost"]) == (2, 1)
    # A's last activity (1 Jan) is within N days of the end: still a customer, censored
    curve = C.retention_curves(tiny_conn, by="all", settings=s)
    assert curve["retained"].iloc[-1] > 0
    configured = C.definition(tiny_conn, Settings(churn_mode="activity", churn_inactivity_days=60))
    assert configured.inactivity_days == 60 and "configured" in configured.describe()


def test_activity_mode_without_activity_is_a_clear_error(tiny_conn: db.Connection) -> None:
    with pytest.raises(ValueError, match="no activity events"):
        C.definition(tiny_conn, Settings(churn_mode="activity"))


def test_churn_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="contractual"):
        load_settings({"CX_CHURN_MODE": "vibes"})
    with pytest.raises(ConfigError, match="horizon_days"):
        load_settings({"CX_CHURN_HORIZON_DAYS": "3"})
    s = load_settings({"CX_CHURN_MODE": "activity", "CX_CHURN_INACTIVITY_DAYS": "45"})
    assert (s.churn_mode, s.churn_inactivity_days) == ("activity", 45)


def test_relative_risk_by_hand() -> None:
    rr, low, high = C.relative_risk(10, 100, 5, 100)
    se = math.sqrt(1 / 10 - 1 / 100 + 1 / 5 - 1 / 100)
    assert rr == pytest.approx(2.0)
    assert (low, high) == pytest.approx((2 * math.exp(-1.959964 * se), 2 * math.exp(1.959964 * se)), rel=1e-5)
    assert C.relative_risk(0, 10, 5, 10)[0] == pytest.approx((0.5 / 10.5) / (5.5 / 10.5))  # continuity correction


# E signed up 2025-03-01 and churned 2025-12-20. December tickets (index = each customer's first ticket there):
#   A t7 1 Dec urgent Billing complaint, solved after 48 h (target 8 h): failure, resolved slow; CSAT 2
#   B t8 12 Dec 10:00 normal question, solved in 2 h: no failure; CSAT 5
#   C t9 6 Dec normal Bug complaint, never solved: failure, unresolved
#   E t10 10 Dec high complaint solved in 1 h (target 24 h): failure, resolved fast - but E left before the landmark
RECOVERY_SQL = """
INSERT INTO customers (customer_id, signup_at, plan, segment, region, status, churned_at) VALUES
 ('E', '2025-03-01', 'Pro', 'SMB', 'EMEA', 'churned', '2025-12-20');
INSERT INTO tickets (source, ticket_id, customer_id, created_at, solved_at, status, channel, category, priority,
                     is_complaint) VALUES
 ('t', 't7', 'A', '2025-12-01 09:00', '2025-12-03 09:00', 'solved', 'email', 'Billing', 'urgent', true),
 ('t', 't8', 'B', '2025-12-12 10:00', '2025-12-12 12:00', 'solved', 'chat', 'How-to', 'normal', false),
 ('t', 't9', 'C', '2025-12-06 09:00', NULL, 'open', 'email', 'Bug', 'normal', true),
 ('t', 't10', 'E', '2025-12-10 09:00', '2025-12-10 10:00', 'solved', 'phone', 'Billing', 'high', true);
INSERT INTO survey_responses (source, response_id, customer_id, ticket_id, responded_at, metric, score, scale_min,
                              scale_max) VALUES
 ('s', 'r7', 'A', 't7', '2025-12-04 09:00', 'csat', 2, 1, 5),
 ('s', 'r8', 'B', 't8', '2025-12-13 09:00', 'csat', 5, 1, 5);
"""
DECEMBER = Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31))


def test_service_recovery_by_hand(tiny_conn: db.Connection) -> None:
    tiny_conn.execute(RECOVERY_SQL)
    s = Settings(churn_horizon_days=14)
    frame = C.service_recovery(tiny_conn, window=DECEMBER, settings=s)
    total = frame[frame["priority"] == "All priorities"].set_index("experience")
    # landmarks: A 15 Dec, B 26 Dec 10:00, C 20 Dec, E 24 Dec; followed 14 days (all before 11 Jan 11:00)
    assert total.loc["no failure", ["customers", "followed", "churned"]].tolist() == [1, 1, 1]  # B left 7 Jan
    assert total.loc["failure, resolved slow", ["followed", "churned", "csat_responses", "csat_satisfied"]].tolist() \
        == [1, 0, 1, 0]
    assert total.loc["failure, unresolved", ["followed", "churned"]].tolist() == [1, 1]  # C left 2 Jan < 3 Jan
    assert total.loc["failure, resolved fast", ["customers", "left_before_landmark", "followed"]].tolist() == [1, 1, 0]
    assert total.loc["no failure", "csat"] == pytest.approx(1.0)
    # first NPS answer within 180 days after the landmark: A 10 (5 Jan), B 9 (6 Jan), C 7 (1 Jan)
    assert total.loc["failure, resolved slow", "nps"] == pytest.approx(100.0)
    assert total.loc["failure, unresolved", ["nps_responses", "nps"]].tolist() == [1, 0.0]
    assert set(frame["priority"]) == {"All priorities", "urgent", "normal", "high"}
    curves = C.experience_curves(tiny_conn, window=DECEMBER, settings=s)
    assert "failure, resolved fast" not in set(curves["group"])  # E left before the landmark: not followed


def test_complaint_lift_by_hand(tiny_conn: db.Connection) -> None:
    tiny_conn.execute(RECOVERY_SQL)
    # landmark 1 Jan 2026: A, B, C there (D not yet, E gone); complaints in the 90 days before: A t7 (slow: badly),
    # C t9 (open at the landmark: badly) and t5 (solved in 24 h, no target for an unset priority: well)
    frame = C.complaint_lift(tiny_conn, landmark=dt.datetime(2026, 1, 1)).set_index("group")
    assert frame.loc["no complaint", ["customers", "churned"]].tolist() == [1, 1]  # B
    assert frame.loc["any complaint", ["customers", "churned"]].tolist() == [2, 1]  # A stays, C leaves
    assert frame.loc["any complaint", "lift"] == pytest.approx(0.5)
    assert frame.loc["handled badly", ["customers", "churned"]].tolist() == [2, 1]
    assert "handled well" not in frame.index  # nobody had only well-handled complaints
    assert frame.loc["Bug", ["customers", "churned"]].tolist() == [1, 1]
    assert frame.loc["Billing", ["customers", "churned"]].tolist() == [1, 0]
    assert math.isnan(frame.loc["no complaint", "p_value"])


def test_demo_bad_support_raises_churn(demo_conn: db.Connection) -> None:
    """The planted effect: slow, handed-off or unresolved complaints multiply the churn hazard."""
    lift = C.complaint_lift(demo_conn).set_index("group")
    assert lift.loc["handled badly", "lift_low"] > 1.0  # significantly more churn than without a complaint
    assert lift.loc["handled badly", "lift"] > lift.loc["handled well", "lift"]
    recovery = C.service_recovery(demo_conn)
    total = recovery[recovery["priority"] == "All priorities"].set_index("experience")
    assert total.loc["failure, unresolved", "churn_rate"] > total.loc["no failure", "churn_rate"]
    assert total.loc["no failure", "csat_low"] > total.loc["failure, resolved slow", "csat_high"]
    verdict = C.recovery_verdict(recovery)
    assert not verdict["paradox"].any()
    assert verdict["text"].str.contains("no recovery paradox").all()
