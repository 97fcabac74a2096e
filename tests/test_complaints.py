"""Complaint metrics against hand-computed values, the configurable rule, anomalies on controlled series."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import complaints as C
from tests.conftest import TINY_PERIOD


def test_volume_per_1000_active_customers(tiny_conn: db.Connection) -> None:
    frame = C.complaint_volume(tiny_conn, period=TINY_PERIOD, by="category")
    week = frame[frame["period_start"] == pd.Timestamp("2026-01-05")].set_index("dimension")
    # active in the week of 5 Jan: A, B (churns on the 7th), D (signs up on the 6th); C left on 2 Jan
    assert week["active_customers"].tolist() == [3, 3]
    assert week.loc["Billing", "complaints"] == 2 and week.loc["Billing", "per_1000"] == pytest.approx(2000 / 3)
    assert week.loc["Bug", "per_1000"] == pytest.approx(1000 / 3)
    assert week.loc["Bug", "per_1000_low"] == pytest.approx(1000 * 0.025317 / 3, rel=1e-3)  # Garwood, k = 1


def test_customer_dimensions_use_their_own_cohort(tiny_conn: db.Connection) -> None:
    frame = C.complaint_volume(tiny_conn, period=TINY_PERIOD, by="plan").set_index("dimension")
    # Pro: A active (C gone) -> 2 complaints (t1, t3) per 1 customer; Basic: B and D active -> t2
    assert (frame.loc["Pro", "complaints"], frame.loc["Pro", "active_customers"]) == (2, 1)
    assert (frame.loc["Basic", "complaints"], frame.loc["Basic", "active_customers"]) == (1, 2)
    assert frame.loc["Basic", "per_1000"] == pytest.approx(500)
    gen = C.complaint_volume(tiny_conn, period=TINY_PERIOD, by="generation").set_index("dimension")
    assert gen.loc["Millennials", "complaints"] == 2  # A, born 1985
    assert gen.loc["Boomers", "complaints"] == 1  # B, born 1960


def test_the_complaint_rule_is_configurable(tiny_conn: db.Connection) -> None:
    default = C.complaint_volume(tiny_conn, period=TINY_PERIOD, by="all")
    assert default["complaints"].sum() == 3
    only_billing = Settings(complaint_categories=("billing",))
    frame = C.complaint_volume(tiny_conn, period=TINY_PERIOD, by="all", settings=only_billing)
    assert frame["complaints"].sum() == 2
    assert "category is billing" in C.describe_complaint_rule(only_billing)
    tiny_conn.execute(
        "UPDATE tickets SET satisfaction_score = 0, satisfaction_scale = 'good_bad' WHERE ticket_id = 't4'")
    low = Settings(complaint_low_csat=True)
    assert C.complaint_volume(tiny_conn, period=TINY_PERIOD, by="all", settings=low)["complaints"].sum() == 1
    tagged = Settings(complaint_tags=("VIP",))
    tiny_conn.execute("UPDATE tickets SET tags = ['vip'] WHERE ticket_id IN ('t1', 't6')")
    assert C.complaint_volume(tiny_conn, period=TINY_PERIOD, by="all", settings=tagged)["complaints"].sum() == 1
    from cx_metrics.metrics import overview

    tiles = overview.kpis(tiny_conn, period=TINY_PERIOD, settings=only_billing).set_index("metric")
    assert tiles.loc["complaints", "value"] == 2  # the overview follows the same rule


def test_top_movers(tiny_conn: db.Connection) -> None:
    movers = C.top_movers(tiny_conn, period=TINY_PERIOD, by="category").set_index("dimension")
    assert movers.loc["Billing", "complaints"] == 2 and movers.loc["Billing", "prev_complaints"] == 0
    # none before: "new", never an infinite change (`delta: Infinity` in JSON)
    assert movers.loc["Billing", "direction"] == "new" and math.isnan(movers.loc["Billing", "change"])
    assert (movers.loc["Bug", "complaints"], movers.loc["Bug", "prev_complaints"]) == (1, 1)
    assert ((movers["p_value"] >= 0) & (movers["p_value"] <= 1)).all()
    assert not movers["significant"].any()  # three tickets prove nothing


def test_repeat_complaints(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("""
        INSERT INTO tickets (source, ticket_id, customer_id, created_at, status, category, is_complaint) VALUES
        ('t', 't7', 'A', '2026-01-20 10:00', 'open', 'Billing', true),
        ('t', 't8', 'D', '2026-03-01 10:00', 'open', 'How-to', false)""")
    frame = C.repeat_complaints(tiny_conn, period=TINY_PERIOD).set_index("category")
    # Billing: t1 (A, followed by t7 within 30 days) and t2 (B, not) -> 1 of 2
    assert (frame.loc["Billing", "complaints"], frame.loc["Billing", "repeated"]) == (2, 1)
    assert frame.loc["Billing", "repeat_rate"] == pytest.approx(0.5)
    assert frame.loc["Billing", "ci_low"] < 0.5 < frame.loc["Billing", "ci_high"]
    assert frame.loc["Bug", "repeated"] == 0
    # without the March ticket the 30 days after 5-7 Jan are not all observed: nothing is counted yet
    tiny_conn.execute("DELETE FROM tickets WHERE ticket_id = 't8'")
    frame = C.repeat_complaints(tiny_conn, period=TINY_PERIOD).set_index("category")
    assert frame.loc["Billing", "complaints"] == 0 and frame.loc["Billing", "not_yet_observable"] == 2


def test_rows_behind_a_point(tiny_conn: db.Connection) -> None:
    rows = C.complaint_rows(tiny_conn, start=pd.Timestamp("2026-01-05"), end=pd.Timestamp("2026-01-12"),
                            by="category", value="Billing")
    assert rows["ticket_id"].tolist() == ["t2", "t1"]  # newest first
    everything = C.complaint_rows(tiny_conn, start=pd.Timestamp("2025-12-01"), end=pd.Timestamp("2026-02-01"))
    assert set(everything["ticket_id"]) == {"t1", "t2", "t3", "t5"}
    assert len(C.complaint_rows(tiny_conn, start=pd.Timestamp("2025-12-01"), end=pd.Timestamp("2026-02-01"),
                                limit=1)) == 1
    with pytest.raises(ValueError, match="by must be one of"):
        C.complaint_rows(tiny_conn, start=pd.Timestamp("2026-01-01"), end=pd.Timestamp("2026-02-01"), by="colour")


def _series_db(tmp_path: Path, daily: list[int], start: str = "2026-01-01") -> db.Connection:
    """Complaints per day from ``start`` as given (default 1 Jan 2026, a Thursday)."""
    conn = db.connect(Settings().with_db(tmp_path / "series.duckdb"))
    rows = [(f"s{d}-{i}", pd.Timestamp(start) + pd.Timedelta(days=d, hours=10))
            for d, n in enumerate(daily) for i in range(n)]
    frame = pd.DataFrame(rows, columns=["ticket_id", "created_at"]).assign(source="s", status="open",
                                                                          is_complaint=True, category="X")
    conn.register("f", frame)
    conn.execute("INSERT INTO tickets (source, ticket_id, created_at, status, is_complaint, category) "
                 "SELECT source, ticket_id, created_at, status, is_complaint, category FROM f")
    return conn


def test_anomaly_finds_a_spike_and_ignores_weekly_seasonality(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    weekday = [40, 38, 36, 35, 30, 12, 10]  # Thursday-start week pattern doesn't matter: it repeats
    daily = [int(rng.poisson(weekday[d % 7])) for d in range(120)]
    daily[100] = 120  # the planted spike
    conn = _series_db(tmp_path, daily)
    period = Period(dt.date(2026, 2, 15), dt.date(2026, 4, 30))
    flags = C.anomalies(conn, period=period, grain="day", by="all")
    flagged = flags[flags["is_anomaly"]]
    assert flagged["period_start"].tolist() == [pd.Timestamp("2026-01-01") + pd.Timedelta(days=100)]
    row = flagged.iloc[0]
    assert row["complaints"] == 120 and row["z"] > 3.5 and "MADs above the 28-day median" in row["description"]
    assert row["expected_low"] <= row["baseline"] <= row["expected_high"] < 120
    conn.close()


def test_anomaly_z_by_hand(tmp_path: Path) -> None:
    # four weeks of 10, 12, 10, 12 complaints then 40: median 11, MAD 1 -> scale max(1.4826, sqrt(11)) = 3.3166
    # (one complaint each Monday, the rest each Sunday: the data covers Monday 5 Jan to Sunday 8 Feb, whole weeks)
    weeks = [10, 12, 10, 12, 40]
    daily = []
    for n in weeks:
        daily += [1] + [0] * 5 + [n - 1]
    conn = _series_db(tmp_path, daily, start="2026-01-05")
    flags = C.anomalies(conn, period=Period(dt.date(2026, 2, 2), dt.date(2026, 2, 8)), grain="week", by="all")
    last = flags.set_index("period_start").loc[pd.Timestamp("2026-02-02")]
    assert last["baseline"] == 11 and last["scale"] == pytest.approx(math.sqrt(11))
    assert last["z"] == pytest.approx((40 - 11) / math.sqrt(11))
    assert bool(last["is_anomaly"])
    conn.close()


def test_planted_demo_spike_is_the_top_mover_and_anomaly(demo_conn: db.Connection) -> None:
    spike = Period(dt.date(2026, 9, 14), dt.date(2026, 9, 27))
    movers = C.top_movers(demo_conn, period=spike, by="category")
    assert movers.iloc[0]["dimension"] == "Billing" and bool(movers.iloc[0]["significant"])
    flags = C.anomalies(demo_conn, period=Period(dt.date(2026, 8, 1), dt.date(2026, 11, 15)), grain="week",
                        by="category")
    flagged = flags[flags["is_anomaly"]]
    assert set(flagged["dimension"]) == {"Billing"}
    assert pd.Timestamp("2026-09-14") in set(flagged["period_start"])


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> db.Connection:
    """The default-size demo (as `cx demo` builds it): daily counts large enough to judge daily flags."""
    from cx_metrics import demo

    conn = db.connect(Settings().with_db(tmp_path_factory.mktemp("full") / "full.duckdb"))
    demo.build(conn, seed=7)
    yield conn
    conn.close()


def test_daily_flags_find_the_spike_and_not_the_weekly_rhythm(full_demo: db.Connection) -> None:
    daily = C.anomalies(full_demo, period=Period(dt.date(2025, 1, 1), dt.date(2026, 11, 15)), grain="day",
                        by="all")
    flagged = daily[daily["is_anomaly"]]["period_start"]
    # 685 days of ~140 complaints a day with weekends at ~40%: only days inside the planted fortnight
    assert len(flagged) >= 1
    assert flagged.between(pd.Timestamp("2026-09-14"), pd.Timestamp("2026-09-27")).all()


def test_filters_reach_every_complaint_metric(demo_conn: db.Connection) -> None:
    period = Period(dt.date(2026, 8, 17), dt.date(2026, 11, 15))
    everyone = C.complaint_volume(demo_conn, period=period, by="all")["complaints"].sum()
    pro = C.complaint_volume(demo_conn, period=period, by="all", filters=Filters.of(plans=["Pro"]))
    assert 0 < pro["complaints"].sum() < everyone
    assert (pro["active_customers"] < C.complaint_volume(demo_conn, period=period, by="all")["active_customers"]).all()
    with pytest.raises(ValueError, match="grain"):
        C.complaint_volume(demo_conn, period=period, grain="hour")
