"""The demo dataset: realistic size and shape, deterministic, and its planted truths recoverable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cx_metrics import db, demo
from cx_metrics.config import Settings
from cx_metrics.metrics import base, overview


@pytest.fixture(scope="module")
def full() -> demo.DemoData:
    """The default-size demo, exactly as `cx demo` builds it."""
    return demo.generate(seed=7)


def test_size_is_a_mid_size_company(full: demo.DemoData) -> None:
    assert len(full.customers) == 20_000
    assert 90_000 <= len(full.tickets) <= 115_000
    assert 25_000 <= len(full.survey_responses) <= 40_000
    assert set(full.survey_responses["metric"]) == {"nps", "csat", "ces"}
    assert full.customers["churned_at"].notna().mean() > 0.2
    span = full.tickets["created_at"]
    assert span.min() >= pd.Timestamp(demo.DEMO_START) and span.max() < pd.Timestamp(demo.DEMO_END)


def test_same_seed_same_data_other_seed_other_data() -> None:
    size = demo.DemoSize(customers=500, tickets=2_000)
    a, b, c = demo.generate(3, size), demo.generate(3, size), demo.generate(4, size)
    pd.testing.assert_frame_equal(a.tickets, b.tickets)
    pd.testing.assert_frame_equal(a.survey_responses, b.survey_responses)
    assert not a.tickets["created_at"].equals(c.tickets["created_at"])


def test_timestamps_are_consistent(full: demo.DemoData) -> None:
    t = full.tickets
    assert (t["first_response_at"].dropna() >= t.loc[t["first_response_at"].notna(), "created_at"]).all()
    solved = t[t["solved_at"].notna()]
    assert (solved["solved_at"] >= solved["first_solved_at"]).all()
    assert (solved["first_solved_at"] >= solved["created_at"]).all()
    assert (solved["first_response_at"] <= solved["solved_at"]).all()
    assert t.loc[t["solved_at"].isna(), "status"].isin(["new", "open", "pending", "hold"]).all()
    assert (t["status"].isin(["open", "pending", "hold", "new"])).sum() > 100  # some still open
    reopened = solved[solved["reopens"] > 0]
    assert len(reopened) > 1000 and (reopened["first_solved_at"] < reopened["solved_at"]).all()


def test_no_activity_after_churn(full: demo.DemoData) -> None:
    churn = full.customers.set_index("customer_id")["churned_at"]
    for frame, col in ((full.tickets, "created_at"), (full.survey_responses, "responded_at"),
                       (full.customer_activity, "occurred_at")):
        at = frame["customer_id"].map(churn)
        assert not (frame[col] >= at).any(), f"{col} after churn"
    signup = full.customers.set_index("customer_id")["signup_at"]
    assert (full.tickets["created_at"] >= full.tickets["customer_id"].map(signup)).all()


def test_resolution_times_have_a_long_tail(full: demo.DemoData) -> None:
    t = full.tickets.dropna(subset=["solved_at"])
    hours = (t["solved_at"] - t["created_at"]).dt.total_seconds() / 3600
    assert hours.quantile(0.9) > 4 * hours.median()
    assert hours.quantile(0.99) > 20 * hours.median()


def test_planted_weekly_seasonality(full: demo.DemoData) -> None:
    dow = full.tickets["created_at"].dt.day_of_week.value_counts().sort_index()
    weekend, weekday = dow.loc[[5, 6]].mean(), dow.loc[[0, 1, 2, 3]].mean()
    assert 0.3 < weekend / weekday < 0.6


def test_planted_billing_spike(full: demo.DemoData) -> None:
    t = full.tickets[full.tickets["is_complaint"] & (full.tickets["category"] == demo.SPIKE_CATEGORY)]
    weekly = t.set_index("created_at").resample("W-SUN").size()
    spike = weekly.loc[pd.Timestamp("2026-09-20"):pd.Timestamp("2026-09-27")]
    before = weekly.loc[pd.Timestamp("2026-08-09"):pd.Timestamp("2026-09-13")]
    assert spike.min() > 2.5 * before.median()
    # only Billing spikes: other categories stay within their usual range
    other = full.tickets[full.tickets["is_complaint"] & (full.tickets["category"] != demo.SPIKE_CATEGORY)]
    ow = other.set_index("created_at").resample("W-SUN").size()
    usual = ow.loc[pd.Timestamp("2026-08-09"):pd.Timestamp("2026-09-13")].median()
    assert ow.loc[pd.Timestamp("2026-09-20")] < 1.3 * usual


def test_planted_bad_support_drives_churn(full: demo.DemoData) -> None:
    """Landmark comparison: churn within 90 days after a customer's first complaint, bad vs well handled."""
    c = full.tickets[full.tickets["is_complaint"]].sort_values("created_at").drop_duplicates("customer_id")
    c = c[c["created_at"] < pd.Timestamp(demo.DEMO_END) - pd.Timedelta(days=120)]
    hours = (c["solved_at"].fillna(pd.Timestamp(demo.DEMO_END)) - c["created_at"]).dt.total_seconds() / 3600
    bad = (hours > 72) | (c["group_stations"] > 1)
    churn_at = c["customer_id"].map(full.customers.set_index("customer_id")["churned_at"])
    churned_90 = (churn_at - c["created_at"]) <= pd.Timedelta(days=90)
    rate_bad, rate_good = churned_90[bad].mean(), churned_90[~bad].mean()
    assert bad.sum() > 1000 and (~bad).sum() > 1000
    assert rate_bad > 1.5 * rate_good


def test_planted_millennials_prefer_chat_and_rate_phone_lower(full: demo.DemoData) -> None:
    gen = full.customers.set_index("customer_id")["birth_year"].between(1981, 1996)
    t = full.tickets.assign(millennial=full.tickets["customer_id"].map(gen))
    chat = t.groupby("millennial")["channel"].apply(lambda s: (s == "chat").mean())
    assert chat[True] > 0.45 and chat[True] > chat[False] + 0.2
    r = full.survey_responses[full.survey_responses["metric"] == "csat"]
    r = r.assign(millennial=r["customer_id"].map(gen))
    phone = r[r["channel"] == "phone"].groupby("millennial")["score"].mean()
    assert phone[False] - phone[True] > 0.5
    not_phone = r[r["channel"] != "phone"].groupby("millennial")["score"].mean()
    assert abs(not_phone[False] - not_phone[True]) < 0.2


def test_planted_handoffs_lower_csat(full: demo.DemoData) -> None:
    r = full.survey_responses[full.survey_responses["metric"] == "csat"].merge(
        full.tickets[["ticket_id", "group_stations"]], on="ticket_id")
    by = r.groupby(r["group_stations"] > 1)["score"].mean()
    assert by[False] - by[True] > 0.3


def test_scores_respect_their_scales(full: demo.DemoData) -> None:
    r = full.survey_responses
    assert ((r["score"] >= r["scale_min"]) & (r["score"] <= r["scale_max"])).all()
    assert r.groupby("metric")["scale_max"].first().to_dict() == {"ces": 7.0, "csat": 5.0, "nps": 10.0}
    assert r["comment"].notna().mean() > 0.25
    assert r["comment"].str.contains("é", na=False).any()  # some French verbatims


def test_build_replaces_data_in_one_import(tmp_path: pytest.TempPathFactory) -> None:
    conn = db.connect(Settings().with_db(tmp_path / "d.duckdb"))  # type: ignore[operator]
    size = demo.DemoSize(customers=300, tickets=1_000)
    first = demo.build(conn, seed=1, size=size)
    v1 = db.data_version(conn)
    second = demo.build(conn, seed=2, size=size)
    assert db.data_version(conn) == v1 + 1
    imports = base.imports(conn)
    assert len(imports) == 1 and imports.loc[0, "kind"] == "demo"
    tickets = conn.execute("SELECT count(*), count(DISTINCT import_id) FROM tickets").fetchone()
    assert tickets == (second["tickets"], 1)
    assert first["import_id"] != second["import_id"]
    conn.close()


def test_demo_database_overview_is_populated(demo_conn: db.Connection) -> None:
    period = base.default_period(demo_conn)
    assert period.end.weekday() == 6 and period.days == 91
    assert period.end == (demo.DEMO_END - dt.timedelta(days=1)).date()
    tiles = overview.kpis(demo_conn, period=period).set_index("metric")
    assert tiles["value"].notna().all()
    assert (tiles["n"] > 0).all()
    assert np.isfinite(tiles["p_value"]).all()
