"""Survey metrics against hand-computed values on small hand-built databases."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import surveys

Z = 1.959963984540054
WEEK = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8))  # Mon-Sun; previous week 23 Feb - 1 Mar
LOW_N = Settings(min_cell_n=1)


def wilson(k: int, n: int) -> tuple[float, float]:
    """Written out from the formula, independent of cx_metrics.stats."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[db.Connection]:
    c = db.connect(Settings().with_db(tmp_path / "surveys.duckdb"))
    yield c
    c.close()


def add(conn: db.Connection, rows: list[tuple[object, ...]]) -> None:
    """rows: (response_id, customer_id, responded_at, metric, score, scale_min, scale_max, higher_is_better,
    comment, ticket_id, survey_name)"""
    conn.executemany(
        "INSERT INTO survey_responses (source, response_id, customer_id, responded_at, metric, score, scale_min, "
        "scale_max, higher_is_better, comment, ticket_id, survey_name) VALUES ('s', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows)


def r(rid: str, score: float, metric: str = "nps", lo: float = 0, hi: float = 10, *, cust: str | None = None,
      at: str = "2026-03-03 10:00", better: bool = True, comment: str | None = None, ticket: str | None = None,
      survey: str = "S") -> tuple[object, ...]:
    return (rid, cust or f"c{rid}", at, metric, score, lo, hi, better, comment, ticket, survey)


def summary(conn: db.Connection, settings: Settings = LOW_N, **kw: object) -> dict[str, dict[str, object]]:
    frame = surveys.survey_summary(conn, period=WEEK, settings=settings, **kw)  # type: ignore[arg-type]
    return {str(rec["metric"]): rec for rec in frame.to_dict("records")}


def test_nps_on_0_to_10_with_its_variance_interval(conn: db.Connection) -> None:
    add(conn, [r(f"n{i}", s) for i, s in enumerate([10, 9, 8, 7, 6, 0])])
    nps = summary(conn)["nps"]
    # promoters 2, detractors 2, n 6: NPS 0; p = d = 1/3 -> SE = 100 * sqrt((2/3 - 0) / 6) = 33.33
    assert nps["value"] == pytest.approx(0.0)
    assert nps["ci_high"] == pytest.approx(Z * 100 / 3)
    assert nps["ci_low"] == pytest.approx(-Z * 100 / 3)
    assert nps["n"] == 6 and nps["note"] == ""


def test_nps_on_a_1_to_10_scale_keeps_the_cut_offs_and_says_so(conn: db.Connection) -> None:
    add(conn, [r(f"n{i}", s, lo=1, hi=10) for i, s in enumerate([10, 9, 7, 6, 1, 1])])
    nps = summary(conn)["nps"]
    assert nps["value"] == pytest.approx(100 * (2 - 3) / 6)  # 6, 1, 1 are detractors; 7 is passive
    assert "1–10" in str(nps["note"])


def test_csat_top_two_box_and_good_bad(conn: db.Connection) -> None:
    add(conn, [r("c1", 5, "csat", 1, 5), r("c2", 4, "csat", 1, 5), r("c3", 3, "csat", 1, 5), r("c4", 2, "csat", 1, 5),
               r("g1", 1, "csat", 0, 1), r("g2", 0, "csat", 0, 1), r("g3", 1, "csat", 0, 1)])
    csat = summary(conn)["csat"]
    lo, hi = wilson(4, 7)  # 5, 4 and two "good" of 7 responses
    assert csat["value"] == pytest.approx(100 * 4 / 7)
    assert (csat["ci_low"], csat["ci_high"]) == (pytest.approx(100 * lo), pytest.approx(100 * hi))
    top3 = summary(conn, Settings(min_cell_n=1, csat_top_boxes=3))["csat"]
    assert top3["value"] == pytest.approx(100 * 5 / 7)  # 3-5 on 1-5; good/bad still counts "good" only


def test_ces_reverses_legacy_effort_scales_and_uses_a_t_interval(conn: db.Connection) -> None:
    add(conn, [r("e1", 7, "ces", 1, 7), r("e2", 5, "ces", 1, 7), r("e3", 4, "ces", 1, 7), r("e4", 2, "ces", 1, 7),
               # legacy 1-5 effort, 1 = very low effort (easiest) -> 7 on 1-7; 5 = very high effort -> 1
               r("l1", 1, "ces", 1, 5, better=False), r("l2", 5, "ces", 1, 5, better=False)])
    got = summary(conn)
    values = [7, 5, 4, 2, 7, 1]
    mean = sum(values) / 6
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 5)
    half = 2.570581835636314 * sd / math.sqrt(6)  # t(0.975, 5)
    assert got["ces"]["value"] == pytest.approx(mean)
    assert (got["ces"]["ci_low"], got["ces"]["ci_high"]) == (pytest.approx(mean - half), pytest.approx(mean + half))
    assert got["ces_easy"]["value"] == pytest.approx(100 * 3 / 6)  # 7, 5 and the reversed 1
    assert "reversed" in str(got["ces"]["note"]) and "rescaling" in str(got["ces"]["note"])


def test_period_over_period_change_is_tested_and_flagged(conn: db.Connection) -> None:
    now = [r(f"a{i}", 10) for i in range(30)] + [r(f"b{i}", 0) for i in range(10)]
    # the previous week (23 Feb - 1 Mar) lies inside the survey's data: its first answers are on 23 Feb
    before = [r(f"p{i}", 10, at="2026-02-23 10:00") for i in range(10)] + [
        r(f"q{i}", 0, at="2026-02-25 10:00") for i in range(30)]
    add(conn, now + before)
    nps = summary(conn, Settings(min_cell_n=30))["nps"]
    se = 100 * math.sqrt((0.75 + 0.25 - 0.25) / 40)  # each period: p, d = 0.75, 0.25 (or reversed)
    z = 100 / math.hypot(se, se)
    assert nps["value"] == pytest.approx(50) and nps["prev_value"] == pytest.approx(-50)
    assert nps["delta"] == pytest.approx(100)
    assert nps["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert nps["significant"] is True
    # the same change with fewer than the minimum n on each side is not flagged
    assert summary(conn, Settings(min_cell_n=41))["nps"]["significant"] is False


def test_buckets_below_the_minimum_n_are_flagged_and_never_called_significant(conn: db.Connection) -> None:
    month = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    add(conn, [r(f"j{i}", 10, at="2026-01-10 10:00") for i in range(5)]
        + [r(f"f{i}", 0, at="2026-02-10 10:00") for i in range(3)])
    trend = surveys.survey_trend(conn, period=month, metric="nps", grain="month", settings=Settings(min_cell_n=4))
    assert list(trend["period_start"]) == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"),
                                           pd.Timestamp("2026-03-01")]
    assert list(trend["n"]) == [5, 3, 0]
    assert list(trend["small_n"]) == [False, True, True]
    assert trend.loc[1, "value"] == pytest.approx(-100)  # the number is kept for the table, flagged small
    assert trend.loc[1, "p_value"] < 0.05 and not trend.loc[1, "significant"]  # 100 -> -100 but n = 3
    assert math.isnan(trend.loc[2, "value"])
    split = surveys.group_split(trend, "nps")
    jan = split[split["period_start"] == pd.Timestamp("2026-01-01")].set_index("group")["share"]
    assert (jan["promoter"], jan["passive"], jan["detractor"]) == (1.0, 0.0, 0.0)


def test_customer_level_keeps_each_customers_latest_response(conn: db.Connection) -> None:
    add(conn, [r("x1", 0, cust="A", at="2026-03-02 09:00"), r("x2", 10, cust="A", at="2026-03-05 09:00"),
               r("x3", 6, cust="B"), r("x4", 9)])
    response = summary(conn, level="response")["nps"]
    customer = summary(conn, level="customer")["nps"]
    assert (response["n"], response["value"]) == (4, pytest.approx(100 * (2 - 2) / 4))
    assert (customer["n"], customer["value"]) == (3, pytest.approx(100 * (2 - 1) / 3))  # A counts once, as 10
    assert customer["respondents"] == 3
    with pytest.raises(ValueError, match="level must be"):
        summary(conn, level="person")


def test_score_distribution_per_scale(conn: db.Connection) -> None:
    add(conn, [r("c1", 5, "csat", 1, 5), r("c2", 5, "csat", 1, 5), r("c3", 2, "csat", 1, 5), r("g1", 1, "csat", 0, 1)])
    dist = surveys.score_distribution(conn, period=WEEK, metric="csat")
    five = dist[dist["scale"] == "1-5"].set_index("score")
    assert five.loc[5.0, "responses"] == 2 and five.loc[5.0, "share"] == pytest.approx(2 / 3)
    assert dist[dist["scale"] == "0-1"]["share"].tolist() == [1.0]


def test_verbatims_filter_by_group_text_and_show_the_ticket(conn: db.Connection) -> None:
    conn.execute("INSERT INTO tickets (source, ticket_id, created_at, status, subject, channel) VALUES "
                 "('t', 'T9', '2026-03-01 10:00', 'solved', 'Refund not received', 'email')")
    add(conn, [r("v1", 2, comment="Still waiting for my REFUND", ticket="T9"),
               r("v2", 10, comment="Great refund service"), r("v3", 3, comment="slow app"), r("v4", 1)])
    got = surveys.verbatims(conn, period=WEEK, metric="nps", group="detractor", search="refund")
    assert got["response_id"].tolist() == ["v1"]
    assert got.loc[0, "ticket_subject"] == "Refund not received" and got.loc[0, "score_group"] == "detractor"
    assert len(surveys.verbatims(conn, period=WEEK, metric="nps")) == 3  # the one without a comment is not listed
    with pytest.raises(ValueError, match="group for nps must be one of"):
        surveys.verbatims(conn, period=WEEK, metric="nps", group="angry")
    # a search that finds nothing is an empty list (the redacted column of no rows must still be text)
    assert surveys.verbatims(conn, period=WEEK, metric="nps", search="no such word").empty
    assert surveys.verbatims(conn, period=WEEK, metric="nps", group="promoter", search="slow").empty


def test_response_rate_uses_offered_surveys_when_the_export_says(conn: db.Connection) -> None:
    conn.execute("""INSERT INTO tickets (source, ticket_id, created_at, solved_at, status, satisfaction_scale,
                    satisfaction_score) VALUES
        ('z', 'T1', '2026-03-02', '2026-03-03', 'solved', 'good_bad', 1),
        ('z', 'T2', '2026-03-02', '2026-03-03', 'solved', 'offered', NULL),
        ('z', 'T3', '2026-03-02', '2026-03-03', 'solved', 'offered', NULL),
        ('z', 'T4', '2026-03-02', '2026-03-04', 'solved', NULL, NULL)""")
    add(conn, [r("ticket:T1", 1, "csat", 0, 1, ticket="T1")])
    got = surveys.response_rate(conn, period=WEEK).iloc[0]
    lo, hi = wilson(1, 3)
    assert (got["solved"], got["offered"], got["responded"]) == (4, 3, 1)
    assert got["rate"] == pytest.approx(1 / 3) and (got["ci_low"], got["ci_high"]) == (pytest.approx(lo),
                                                                                     pytest.approx(hi))
    assert "offered" in got["basis"]


def test_inventory_and_unscored_answers(conn: db.Connection) -> None:
    add(conn, [r("a1", 9, survey="Pulse")])
    conn.execute("""INSERT INTO survey_answers (source, response_id, survey_name, question_id, question, answer)
                    VALUES ('m', '1', 'Steak', 'Q1', 'Do you eat steak?', 'Yes'),
                           ('m', '2', 'Steak', 'Q1', 'Do you eat steak?', 'Yes'),
                           ('m', '3', 'Steak', 'Q1', 'Do you eat steak?', 'No')""")
    inv = surveys.survey_inventory(conn).set_index("survey_name")
    assert inv.loc["Pulse", "scored_metrics"] == "nps" and inv.loc["Steak", "responses"] == 3
    assert pd.isna(inv.loc["Steak", "scored_metrics"]) and pd.isna(inv.loc["Steak", "first_response_at"])
    answers = surveys.answer_distribution(conn, source="m", survey_name="Steak").set_index("answer")
    lo, hi = wilson(2, 3)
    assert answers.loc["Yes", "share"] == pytest.approx(2 / 3)
    assert (answers.loc["Yes", "ci_low"], answers.loc["Yes", "ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_filters_apply_to_survey_figures(conn: db.Connection) -> None:
    conn.execute("INSERT INTO customers (customer_id, plan) VALUES ('A', 'Pro'), ('B', 'Free')")
    add(conn, [r("p1", 10, cust="A"), r("p2", 0, cust="B")])
    pro = surveys.survey_summary(conn, period=WEEK, filters=Filters.of(plans=["Pro"]), settings=LOW_N)
    assert pro.set_index("metric").loc["nps", "value"] == pytest.approx(100)
    only = surveys.survey_summary(conn, period=WEEK, settings=LOW_N, surveys=("Other",))
    assert only.set_index("metric").loc["nps", "n"] == 0


def test_summary_counts_every_score_in_one_pass_with_customer_level_per_metric(
    conn: db.Connection, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NPS, CSAT and CES of both periods come from one survey_scores query (the Overview's and the Surveys page's
    tiles share it), and the customer level keeps each customer's latest response per metric: a customer who
    answered NPS and CSAT counts once in each, not once in all."""
    add(conn, [
        r("n1", 10, cust="a", at="2026-03-03 10:00"), r("n2", 0, cust="a", at="2026-03-04 10:00"),  # latest: 0
        r("n3", 9, cust="b"),
        r("c1", 5, "csat", 1, 5, cust="a", at="2026-03-05 10:00"), r("c2", 2, "csat", 1, 5, cust="b"),
        r("e1", 6, "ces", 1, 7, cust="a"),
        r("p1", 3, cust="a", at="2026-02-25 10:00"),  # previous week
    ])
    calls: list[str] = []
    real = surveys.query
    monkeypatch.setattr(surveys, "query", lambda c, name, p=None: calls.append(name) or real(c, name, p))
    by_customer = summary(conn, level="customer")
    assert calls.count("survey_scores") == 1
    assert by_customer["nps"]["n"] == 2 and by_customer["nps"]["value"] == pytest.approx(0.0)  # a: 0, b: 9
    assert by_customer["csat"]["n"] == 2 and by_customer["csat"]["value"] == pytest.approx(50.0)
    assert by_customer["ces"]["n"] == 1 and by_customer["ces"]["value"] == pytest.approx(6.0)
    assert by_customer["nps"]["prev_n"] == 1 and by_customer["csat"]["prev_n"] == 0
    every = summary(conn)
    assert every["nps"]["n"] == 3 and every["nps"]["value"] == pytest.approx(100 * (2 - 1) / 3)
    for metric in surveys.METRICS:  # the one pass gives what each metric's own query gave
        alone = summary(conn, level="customer", metrics=(metric,))[metric]
        assert (alone["n"], alone["prev_n"]) == (by_customer[metric]["n"], by_customer[metric]["prev_n"])
