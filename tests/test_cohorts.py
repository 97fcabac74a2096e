"""Cohort breakdowns, comparisons, spread, grids and drill-through against hand-computed values."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats as sps

from cx_metrics import cli, db, stats
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import base, cohorts
from tests.conftest import TINY_PERIOD

WEEK = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
LOW_N = Settings(min_cell_n=1)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[db.Connection]:
    c = db.connect(Settings().with_db(tmp_path / "cohorts.duckdb"))
    # generations: M1, M2, M3 Millennials; X1, X2 Gen X; B1 Boomer; U1 no birth year
    c.execute("""INSERT INTO customers (customer_id, signup_at, birth_year, plan, attributes) VALUES
        ('M1', '2025-12-15', 1990, 'Pro',  '{"industry": "Retail", "team size": "small"}'),
        ('M2', '2024-01-10', 1985, 'Pro',  '{"industry": "Retail"}'),
        ('M3', '2026-02-20', 1995, 'Free', '{"industry": "Media"}'),
        ('X1', '2021-05-01', 1970, 'Pro',  '{"industry": "Media", "team size": "large"}'),
        ('X2', '2026-01-05', 1975, 'Free', NULL),
        ('B1', '2025-03-03', 1950, 'Free', NULL),
        ('U1', '2025-03-03', NULL, 'Free', NULL)""")
    # CSAT 1-5 on 3 Mar 2026: Millennials 1/3 satisfied (phone x2 unhappy), Gen X 2/2, Boomer 1/1, unknown 0/1
    c.execute("""INSERT INTO survey_responses (source, response_id, customer_id, responded_at, metric, score,
                                               scale_min, scale_max, channel) VALUES
        ('s', 'r1', 'M1', '2026-03-03', 'csat', 2, 1, 5, 'phone'),
        ('s', 'r2', 'M2', '2026-03-03', 'csat', 1, 1, 5, 'phone'),
        ('s', 'r3', 'M3', '2026-03-03', 'csat', 5, 1, 5, 'chat'),
        ('s', 'r4', 'X1', '2026-03-03', 'csat', 4, 1, 5, 'phone'),
        ('s', 'r5', 'X2', '2026-03-03', 'csat', 5, 1, 5, 'chat'),
        ('s', 'r6', 'B1', '2026-03-03', 'csat', 4, 1, 5, 'phone'),
        ('s', 'r7', 'U1', '2026-03-03', 'csat', 3, 1, 5, 'chat')""")
    yield c
    c.close()


def cell(frame: pd.DataFrame, a: str, b: str = "All") -> dict[str, object]:
    row = frame[(frame["dim1"] == a) & (frame["dim2"] == b)]
    assert len(row) == 1, frame
    return {str(k): v for k, v in row.iloc[0].items()}


def test_breakdown_by_generation_with_intervals_and_a_test_against_the_rest(conn: db.Connection) -> None:
    table = cohorts.breakdown(conn, period=WEEK, metric="csat", dim1="generation", settings=LOW_N)
    assert table["dim1"].tolist() == ["Boomers", "Gen X", "Millennials", "(unknown)"]  # natural order, unknown last
    mill = cell(table, "Millennials")
    assert mill["n"] == 3 and mill["value"] == pytest.approx(100 / 3)
    assert mill["rest_value"] == pytest.approx(100 * 3 / 4)  # Gen X 2, Boomer 1, unknown 0 of 4
    pooled = 4 / 7
    z = (1 / 3 - 3 / 4) / math.sqrt(pooled * (1 - pooled) * (1 / 3 + 1 / 4))
    assert mill["p_value"] == pytest.approx(2 * sps.norm.sf(abs(z)))
    h = 2 * math.asin(math.sqrt(1 / 3)) - 2 * math.asin(math.sqrt(3 / 4))
    assert mill["effect_size"] == pytest.approx(h) and mill["effect_name"] == "Cohen's h"


def test_small_cells_are_suppressed_not_shown(conn: db.Connection) -> None:
    table = cohorts.breakdown(conn, period=WEEK, metric="csat", dim1="generation", settings=Settings(min_cell_n=3))
    mill, gen_x = cell(table, "Millennials"), cell(table, "Gen X")
    assert not mill["suppressed"] and mill["value"] == pytest.approx(100 / 3)
    assert gen_x["suppressed"] and gen_x["n"] == 2 and math.isnan(float(gen_x["value"]))  # type: ignore[arg-type]
    assert math.isnan(float(gen_x["ci_low"])) and math.isnan(float(gen_x["p_value"]))  # type: ignore[arg-type]
    assert gen_x["detail"] == "suppressed: n < 3" and not gen_x["significant"]


def test_two_dimensions_and_the_planted_shape(conn: db.Connection) -> None:
    table = cohorts.breakdown(conn, period=WEEK, metric="csat", dim1="generation", dim2="channel", settings=LOW_N)
    assert cell(table, "Millennials", "phone")["value"] == pytest.approx(0.0)
    assert cell(table, "Millennials", "chat")["value"] == pytest.approx(100.0)
    assert int(table["n"].sum()) == 7


def test_compare_two_cohorts_with_test_and_effect(conn: db.Connection) -> None:
    got = cohorts.compare(conn, period=WEEK, metric="csat", dim1="generation", a="Millennials", b="Gen X",
                          settings=Settings(min_cell_n=2))
    assert got["cohort"].tolist() == ["Millennials", "Gen X"]
    assert got.loc[0, "difference"] == pytest.approx(100 / 3 - 100)
    pooled = 3 / 5
    z = (1 / 3 - 1) / math.sqrt(pooled * (1 - pooled) * (1 / 3 + 1 / 2))
    assert got.loc[0, "p_value"] == pytest.approx(2 * sps.norm.sf(abs(z)))
    assert "within noise" in got.loc[0, "verdict"]  # p = 0.068
    tiny = cohorts.compare(conn, period=WEEK, metric="csat", dim1="generation", a="Millennials", b="Gen X",
                           settings=Settings(min_cell_n=3))
    assert not tiny.loc[0, "significant"] and "fewer than 3" in tiny.loc[0, "verdict"]
    assert tiny.loc[0, "value"] == pytest.approx(100 / 3) and math.isnan(tiny.loc[1, "value"])  # Gen X: n = 2
    assert math.isnan(tiny.loc[0, "difference"])


def test_ces_means_compared_with_welch_and_cohens_d(conn: db.Connection) -> None:
    conn.execute("""INSERT INTO survey_responses (source, response_id, customer_id, responded_at, metric, score,
                                               scale_min, scale_max) VALUES
        ('s', 'e1', 'M1', '2026-03-04', 'ces', 2, 1, 7), ('s', 'e2', 'M2', '2026-03-04', 'ces', 3, 1, 7),
        ('s', 'e3', 'M3', '2026-03-04', 'ces', 4, 1, 7), ('s', 'e4', 'X1', '2026-03-04', 'ces', 6, 1, 7),
        ('s', 'e5', 'X2', '2026-03-04', 'ces', 7, 1, 7)""")
    got = cohorts.compare(conn, period=WEEK, metric="ces", dim1="generation", a="Millennials", b="Gen X",
                          settings=Settings(min_cell_n=2))
    expected = sps.ttest_ind([2, 3, 4], [6, 7], equal_var=False)
    pooled_sd = math.sqrt((2 * 1.0 + 1 * 0.5) / 3)
    assert got.loc[0, "value"] == pytest.approx(3) and got.loc[1, "value"] == pytest.approx(6.5)
    assert got.loc[0, "p_value"] == pytest.approx(expected.pvalue)
    assert got.loc[0, "effect_size"] == pytest.approx((3 - 6.5) / pooled_sd)


def test_customer_attributes_and_derived_bands_are_dimensions(conn: db.Connection) -> None:
    by_attr = cohorts.breakdown(conn, period=WEEK, metric="csat", dim1="attr:team size", settings=LOW_N)
    assert set(by_attr["dim1"]) == {"small", "large", "(unknown)"}
    assert cell(by_attr, "large")["value"] == pytest.approx(100.0)
    assert "attr:industry" in cohorts.dimension_options(conn)
    ages = cohorts.breakdown(conn, period=WEEK, metric="csat", dim1="age_band", settings=LOW_N)
    # age in 2026: 36, 41, 31, 56, 51, 76, unknown
    assert ages["dim1"].tolist() == ["25-34", "35-44", "45-54", "55-64", "65 and over", "(unknown)"]
    assert cell(ages, "35-44")["n"] == 2
    tenure = cohorts.breakdown(conn, period=WEEK, metric="csat", dim1="tenure_band", settings=LOW_N)
    # on 3 Mar 2026: M1, M3, X2 under 3 months; B1 and U1 exactly 12 months -> 1-2 years; M2, X1 2-5 years
    assert dict(zip(tenure["dim1"], tenure["n"], strict=True)) == {"under 3 months": 3, "1-2 years": 2,
                                                                   "2-5 years": 2}
    months = cohorts.breakdown(conn, period=WEEK, metric="csat", dim1="months_since_signup", dim2="signup_quarter",
                               settings=LOW_N)
    assert cell(months, "003", "2025-Q4")["n"] == 1  # M1: Dec 2025 -> Mar 2026 is 3 calendar months


TINY_LOW_N = Settings(min_cell_n=1)


def test_churn_complaint_and_resolution_breakdowns_on_the_tiny_fixture(tiny_conn: db.Connection) -> None:
    # active at 5 Jan 2026: A (Pro) and B (Basic, churns 7 Jan); C churned 2 Jan, D signs up 6 Jan
    churn = cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="churn_rate", dim1="plan", settings=TINY_LOW_N)
    assert (cell(churn, "Basic")["n"], cell(churn, "Basic")["value"]) == (1, pytest.approx(100.0))
    assert (cell(churn, "Pro")["n"], cell(churn, "Pro")["value"]) == (1, pytest.approx(0.0))
    # active some time in the week: A, B, D; complaints created in it: t1, t3 (A), t2 (B)
    rate = cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="complaint_rate", dim1="plan",
                             settings=TINY_LOW_N)
    assert cell(rate, "Pro")["value"] == pytest.approx(2000.0) and cell(rate, "Basic")["value"] == pytest.approx(500)
    assert cell(rate, "Pro")["effect_size"] == pytest.approx((2 / 1) / (1 / 2))  # rate ratio vs the rest
    # tickets created in the week: t1 (A, Pro, solved in 4 h), t3 (A, Pro, open 20 h at the data's latest time),
    # t2 (B, Basic, 24 h), t4 (D, Basic, open 0 h): Kaplan-Meier medians, the same as the Resolution page's
    res = cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="resolution_hours", dim1="plan",
                            settings=TINY_LOW_N)
    assert cell(res, "Pro")["value"] == pytest.approx(4.0) and cell(res, "Basic")["value"] == pytest.approx(24.0)
    assert (cell(res, "Pro")["n"], cell(res, "Pro")["detail"]) == (2, "1 still open (censored)")
    assert cell(res, "Pro")["rest_value"] == pytest.approx(24.0) and cell(res, "Pro")["difference"] == -20.0
    # the log-rank test of the cell against the rest, with the rate ratio as its effect size
    expected = stats.logrank([4, 20, 24, 0], ["a", "a", "b", "b"], [True, False, True, False], [1, 1, 1, 1])
    assert cell(res, "Pro")["p_value"] == pytest.approx(expected.p_value)
    assert cell(res, "Pro")["test"] == "log-rank test" and cell(res, "Pro")["effect_name"] == "rate ratio"
    from cx_metrics.metrics import resolution

    page = resolution.time_to_event(tiny_conn, period=TINY_PERIOD, by="plan").set_index("group")
    assert page.loc["Pro", "median_hours"] == cell(res, "Pro")["value"]  # one median everywhere
    spread = cohorts.spread(tiny_conn, period=TINY_PERIOD, metric="complaint_rate", dim1="plan",
                            settings=TINY_LOW_N)
    pro = spread[spread["dim1"] == "Pro"].iloc[0]
    assert (pro["n"], pro["p50"], pro["mean"]) == (1, 2.0, 2.0)


def test_interaction_dimensions_are_refused_for_customer_metrics(tiny_conn: db.Connection) -> None:
    with pytest.raises(ValueError, match="describes a ticket or a response"):
        cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="churn_rate", dim1="channel")
    with pytest.raises(ValueError, match="unknown cohort dimension 'colour'"):
        cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="nps", dim1="colour")
    with pytest.raises(ValueError, match="metric must be one of"):
        cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="happiness", dim1="plan")
    with pytest.raises(ValueError, match="needs a key"):
        cohorts.parse_dimension("attr:")


def test_retention_grid_by_signup_month(conn: db.Connection) -> None:
    conn.execute("""INSERT INTO customers (customer_id, signup_at, churned_at, plan) VALUES
        ('R1', '2025-06-03', NULL, 'Pro'), ('R2', '2025-06-20', '2025-07-10', 'Pro'),
        ('R3', '2025-06-25', '2025-09-01', 'Pro'), ('R4', '2025-06-28', NULL, 'Pro')""")
    got = cohorts.grid(conn, metric="retention", grain="month", start="2025-06-01", end="2025-07-01", max_age=10,
                       settings=LOW_N)
    june = got[got["cohort"] == "2025-06"].set_index("age")
    # churn offsets from June: R2 1 (July), R3 3 (September); the data ends 3 Mar 2026 -> ages 0-9 observable
    assert june["value"].tolist()[:5] == [pytest.approx(100), pytest.approx(100), pytest.approx(75),
                                          pytest.approx(75), pytest.approx(50)]
    assert june["value"].tolist()[9] == pytest.approx(50)
    assert june["observable"].tolist() == [True] * 10 + [False]
    assert math.isnan(june.loc[10, "value"]) and set(june["n"]) == {4}


def test_drill_rows_are_the_rows_behind_the_cell(conn: db.Connection, tiny_conn: db.Connection) -> None:
    rows = cohorts.drill_rows(conn, period=WEEK, metric="csat", dim1="generation", value1="Millennials",
                              dim2="channel", value2="phone")
    assert sorted(rows["response_id"]) == ["r1", "r2"] and set(rows["dim1"]) == {"Millennials"}
    customers = cohorts.drill_rows(tiny_conn, period=TINY_PERIOD, metric="complaint_rate", dim1="plan",
                                   value1="Pro")
    assert customers["customer_id"].tolist() == ["A"] and customers.loc[0, "complaints_in_period"] == 2
    tickets = cohorts.drill_rows(tiny_conn, period=TINY_PERIOD, metric="resolution_hours", dim1="plan",
                                 value1="Basic")
    assert sorted(tickets["ticket_id"]) == ["t2", "t4"]
    assert tickets.set_index("ticket_id").loc["t2", "resolution_hours"] == pytest.approx(24.0)


def test_one_cohort_fragment_labels_both_dimensions() -> None:
    """cohort_label serves the first and the second dimension, each with its own parameters."""
    text = db.sql_text("cohort_churn")
    assert "CASE $dim1" in text and "CASE $dim2" in text
    assert db.sql_params("cohort_churn") >= {"dim1", "attr1", "dim2", "attr2"}


def test_demo_planted_effect_millennials_rate_phone_lower_is_flagged(demo_conn: db.Connection) -> None:
    span = base.data_range(demo_conn)
    assert span is not None
    period = Period(span[0], span[1])
    table = cohorts.breakdown(demo_conn, period=period, metric="csat", dim1="generation", dim2="channel")
    phone = cell(table, "Millennials", "phone")
    assert phone["significant"] and phone["direction"] == "worse" and phone["value"] < phone["rest_value"]
    assert not cell(table, "Millennials", "chat")["significant"]
    got = cohorts.compare(demo_conn, period=period, metric="csat", dim1="generation", a="Millennials", b="Gen X",
                          filters=Filters.of(channels=["phone"]))
    assert got.loc[0, "significant"] and got.loc[0, "difference"] < -10 and got.loc[0, "effect_size"] < -0.2


def test_cli_gives_the_same_numbers(demo_db_path: Path, demo_conn: db.Connection,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["metric", "cohort-breakdown", "--db", str(demo_db_path), "--score", "csat", "--by", "generation",
                     "--by2", "channel", "--start", "2026-08-17", "--end", "2026-11-15", "--format", "json"])
    assert code == 0
    got = pd.DataFrame(json.loads(capsys.readouterr().out)["rows"])
    expected = cohorts.breakdown(demo_conn, period=Period(dt.date(2026, 8, 17), dt.date(2026, 11, 15)),
                                 metric="csat", dim1="generation", dim2="channel")
    assert got["n"].tolist() == expected["n"].tolist()
    assert got["value"].tolist() == pytest.approx(expected["value"].tolist(), nan_ok=True)
    code = cli.main(["metric", "cohort-breakdown", "--db", str(demo_db_path), "--score", "churn_rate", "--by",
                     "channel"])
    assert code == 2 and "describes a ticket or a response" in capsys.readouterr().err
    for name in ("survey-summary", "survey-trend", "score-groups", "score-distribution", "response-rate", "verbatims",
                 "survey-inventory", "cohort-spread", "cohort-grid", "cohort-attributes"):
        assert cli.main(["metric", name, "--db", str(demo_db_path), "--format", "csv"]) == 0, name
    capsys.readouterr()


@pytest.mark.parametrize("p_values", [[0.01, 0.04, 0.03, 0.005], [0.2, float("nan"), 0.001, 0.0125, 0.013],
                                      [0.5, 0.6], [0.049]])
def test_holm_matches_statsmodels(p_values: list[float]) -> None:
    from statsmodels.stats.multitest import multipletests

    from cx_metrics.stats_groups import holm

    finite = [p for p in p_values if not math.isnan(p)]
    expected = iter(multipletests(finite, alpha=0.05, method="holm")[0])
    assert holm(p_values, 0.05) == [False if math.isnan(p) else bool(next(expected)) for p in p_values]


def test_a_cohort_compared_with_itself_or_too_small_gets_no_test(conn: db.Connection) -> None:
    same = cohorts.compare(conn, period=WEEK, metric="csat", dim1="generation", a="Millennials", b="Millennials",
                           settings=Settings(min_cell_n=1))
    assert "same cohort" in same.loc[0, "verdict"] and math.isnan(same.loc[0, "p_value"])
    assert not same["significant"].any() and math.isnan(same.loc[0, "difference"])
    small = cohorts.compare(conn, period=WEEK, metric="csat", dim1="generation", a="Millennials", b="Gen X",
                            settings=Settings(min_cell_n=3))
    assert math.isnan(small.loc[0, "p_value"]) and math.isnan(small.loc[0, "effect_size"])  # not tested: no p


def test_nps_by_channel_says_relationship_nps_has_no_channel(tiny_conn: db.Connection) -> None:
    with pytest.raises(cohorts.NotSupported, match="carry no channel"):
        cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="nps", dim1="channel", settings=TINY_LOW_N)
    # CSAT responses have channels: the same breakdown works
    assert len(cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="csat", dim1="channel",
                                 settings=TINY_LOW_N)) == 3


def test_a_metric_the_data_cannot_support_is_refused_with_the_reason(tiny_conn: db.Connection) -> None:
    tiny_conn.execute("UPDATE customers SET churned_at = NULL")
    with pytest.raises(cohorts.NotSupported, match="the customers carry no churn dates"):
        cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="churn_rate", dim1="plan")
    tiny_conn.execute("DELETE FROM survey_responses WHERE metric = 'csat'")
    with pytest.raises(cohorts.NotSupported, match="no CSAT responses in this data"):
        cohorts.breakdown(tiny_conn, period=TINY_PERIOD, metric="csat", dim1="plan")


def test_suppressed_cohorts_get_no_box_and_names_are_categories(conn: db.Connection) -> None:
    from cx_metrics import charts_surveys

    spread = cohorts.spread(conn, period=WEEK, metric="csat", dim1="generation", settings=Settings(min_cell_n=3))
    assert spread["small_n"].any() and not spread["small_n"].all()
    fig = charts_surveys.spread_boxes(spread, title="CSAT", min_n=3)
    drawn = set(fig.data[0].x)
    assert drawn == set(spread.loc[~spread["small_n"], "dim1"])  # Gen X (2), Boomers (1)... get no box
    assert "Not drawn, fewer than 3 observations" in fig.layout.annotations[0].text
    table = cohorts.breakdown(conn, period=WEEK, metric="csat", dim1="attr:industry", settings=LOW_N)
    bars = charts_surveys.cohort_bars(table.assign(dim1=["100.2", "70.1493", "(unknown)"]), unit="%",
                                      title="CSAT", min_n=1)
    assert bars.layout.xaxis.type == "category"  # cohort names that look like numbers stay names
