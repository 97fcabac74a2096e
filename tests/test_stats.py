"""Unit tier: the statistics against hand-computed values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx_metrics import stats


def test_z_for_95() -> None:
    assert stats.z_for(0.95) == pytest.approx(1.959964, abs=1e-6)


def test_wilson_matches_hand_computation() -> None:
    # 3 of 5, z = 1.96: centre (0.6 + 0.384146) / 1.768291 = 0.556548, half 0.325833
    ci = stats.wilson_ci(3, 5)
    assert ci.low == pytest.approx(0.230724, abs=1e-5)
    assert ci.high == pytest.approx(0.882372, abs=1e-5)


def test_wilson_edges() -> None:
    assert stats.wilson_ci(0, 10).low == 0.0
    assert stats.wilson_ci(10, 10).high == 1.0
    assert math.isnan(stats.wilson_ci(0, 0).low)
    with pytest.raises(ValueError, match="between 0 and n"):
        stats.wilson_ci(6, 5)


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_wilson_contains_the_estimate(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    ci = stats.wilson_ci(k, n)
    assert 0.0 <= ci.low <= k / n <= ci.high <= 1.0


def test_nps_and_its_ci() -> None:
    # 2 promoters, 2 detractors of 5: NPS 0, SE = 100 * sqrt((0.8 - 0) / 5) = 40
    assert stats.nps_value(2, 2, 5) == 0.0
    assert stats.nps_se(2, 2, 5) == pytest.approx(40.0)
    ci = stats.nps_ci(2, 2, 5)
    assert ci.high == pytest.approx(1.959964 * 40, abs=1e-4)
    assert ci.low == pytest.approx(-1.959964 * 40, abs=1e-4)


def test_nps_ci_is_clipped_to_the_scale() -> None:
    ci = stats.nps_ci(3, 0, 3)
    assert ci.high == 100.0


def test_nps_difference() -> None:
    cmp = stats.nps_difference((2, 2, 5), (2, 0, 3))
    se0 = 100 * math.sqrt((2 / 3 - (2 / 3) ** 2) / 3)
    z = (0 - 200 / 3) / math.hypot(40, se0)
    assert cmp.delta == pytest.approx(-200 / 3)
    assert cmp.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-9)


def test_two_proportion_test() -> None:
    cmp = stats.two_proportion_test(60, 100, 45, 100)
    pooled = 105 / 200
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * 0.02)
    assert cmp.delta == pytest.approx(0.15)
    assert cmp.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert math.isnan(stats.two_proportion_test(1, 0, 1, 5).p_value)


def test_poisson_rate_test_exact() -> None:
    # 3 vs 1 over equal exposure: P(X >= 3 or <= 1 | n=4, p=.5) = (1 + 4 + 4 + 1) / 16 = 0.625
    cmp = stats.poisson_rate_test(3, 7, 1, 7)
    assert cmp.p_value == pytest.approx(0.625)
    assert cmp.delta == pytest.approx(2.0)
    assert stats.poisson_rate_test(0, 7, 0, 7).p_value == 1.0
    assert math.isnan(stats.poisson_rate_test(4, 7, 0, 7).delta)  # "new": no relative size, never infinite
    assert stats.poisson_rate_test(4, 7, 0, 7).p_value < 0.2
    with pytest.raises(ValueError):
        stats.poisson_rate_test(1, 0, 1, 7)


def test_poisson_ci_garwood() -> None:
    ci = stats.poisson_ci(0)
    assert ci.low == 0.0 and ci.high == pytest.approx(3.688879, abs=1e-5)
    ci = stats.poisson_ci(10)
    assert ci.low == pytest.approx(4.795389, abs=1e-5) and ci.high == pytest.approx(18.390356, abs=1e-5)


def test_poisson_ci_arrays_match_the_scalar_version() -> None:
    counts = [0, 1, 10, 250]
    low, high = stats.poisson_ci_arrays(counts)
    for k, lo, hi in zip(counts, low, high, strict=True):
        ci = stats.poisson_ci(k)
        assert lo == pytest.approx(ci.low) and hi == pytest.approx(ci.high)


def _lifelines_km(durations: list[float], observed: list[bool], counts: list[int], confidence: float) -> dict:
    import warnings

    import numpy as np
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmf = KaplanMeierFitter(alpha=1 - confidence).fit(durations, observed, weights=counts)
        median = float(kmf.median_survival_time_)
        ci = median_survival_times(kmf.confidence_interval_)
    return {"time": kmf.survival_function_.index.to_numpy(dtype=float),
            "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
            "ci_low": kmf.confidence_interval_.iloc[:, 0].to_numpy(),
            "ci_high": kmf.confidence_interval_.iloc[:, 1].to_numpy(),
            "at_risk": kmf.event_table["at_risk"].to_numpy(dtype=float),
            "median": median if math.isfinite(median) else math.nan,
            "median_ci": tuple(float(v) if math.isfinite(v) else math.nan for v in np.asarray(ci).ravel()[:2])}


# no per-example deadline: lifelines' pandas fit takes 20 ms, but far longer on a 2-core machine under load
@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans(), st.integers(0, 30)), min_size=1, max_size=60),
       st.sampled_from([0.9, 0.95, 0.99]))
def test_kaplan_meier_on_counts_matches_lifelines(rows: list[tuple[int, bool, int]], confidence: float) -> None:
    """Same curve, band, at-risk counts, median and median CI as lifelines' fitter with counts as weights: ties of
    events and censoring at one time, repeated (duration, event) rows, a duration of 0, curves that reach 0 and
    curves that never fall to half. (Rows of count 0 and a band that rises back above 0.5: tests below.)"""
    import numpy as np

    rows = [r for r in rows if r[2] > 0] or [(3, True, 1)]
    durations, observed, counts = ([float(r[0]) / 4 for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    ours = stats.kaplan_meier(durations, observed, counts, confidence)
    theirs = _lifelines_km(durations, observed, counts, confidence)
    for name in ("time", "survival", "ci_low", "ci_high", "at_risk"):
        np.testing.assert_allclose(getattr(ours, name), theirs[name], rtol=1e-12, atol=1e-12, err_msg=name)
    assert ours.median() == pytest.approx(theirs["median"], nan_ok=True)
    interval = ours.median_ci()
    assert (interval.low, interval.high) == pytest.approx(theirs["median_ci"], nan_ok=True)


def test_kaplan_meier_by_hand() -> None:
    """5 tickets: solved at 1 h and 2 h, one open at 2 h (censored), solved at 3 h, one open at 4 h.
    S(1) = 4/5; at 2 h 4 wait and 1 is solved: S(2) = 4/5 x 3/4 = 0.6; at 3 h 2 wait: S(3) = 0.6 x 1/2 = 0.3."""
    km = stats.kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False], [1, 1, 1, 1, 1])
    assert list(km.time) == [0, 1, 2, 3, 4]
    assert list(km.at_risk) == [5, 5, 4, 2, 1]
    assert km.survival == pytest.approx([1, 0.8, 0.6, 0.3, 0.3])
    assert km.median() == 3  # the first time S(t) <= 0.5
    assert km.quantile(0.25) == 2 and math.isnan(km.quantile(0.9))  # S(2) = 0.6 <= 0.75; S never <= 0.1
    assert km.ci_low[0] == km.ci_high[0] == 1
    assert math.isnan(stats.kaplan_meier([1, 2], [True, False], [1, 3]).median())  # S stays at 3/4


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from("abcd"), st.booleans(), st.integers(1, 20)),
                min_size=2, max_size=80))
def test_logrank_on_counts_matches_lifelines(rows: list[tuple[int, str, bool, int]]) -> None:
    """Same statistic, degrees of freedom and p-value as lifelines' multivariate log-rank test with counts as
    weights, for 2 to 4 groups with ties across groups and censoring."""
    import warnings

    import numpy as np
    from lifelines.statistics import multivariate_logrank_test

    durations, groups = [r[0] / 2 for r in rows], [r[1] for r in rows]
    observed, counts = [r[2] for r in rows], [r[3] for r in rows]
    ours = stats.logrank(durations, groups, observed, counts)
    assert ours.groups == len(set(groups))
    if ours.groups < 2:
        assert math.isnan(ours.statistic) and ours.degrees_of_freedom == 0
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = multivariate_logrank_test(durations, groups, observed, weights=np.asarray(counts))
    assert ours.degrees_of_freedom == theirs.degrees_of_freedom
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9, abs=1e-9)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9, abs=1e-12)


def test_logrank_by_hand() -> None:
    """Two groups, one event time each: a (2 at risk) loses 1 at t=1, b (2 at risk) loses 1 at t=2.
    t=1: n=4, d=1, E_a = 1/2, V = 1 x (2 x 2 / 4^2) x (4-1)/(4-1) = 1/4.
    t=2: n=3 (a 1, b 2), d=1, E_a = 1/3, V = (1 x 2 / 9) x (3-1)/(3-1) = 2/9.
    O_a - E_a = 1 - 5/6 = 1/6; statistic = (1/6)^2 / (1/4 + 2/9) = 1/17."""
    result = stats.logrank([1, 5, 2, 5], ["a", "a", "b", "b"], [True, False, True, False], [1, 1, 1, 1])
    assert result.statistic == pytest.approx(1 / 17)
    assert result.degrees_of_freedom == 1
    # the effect size: O/E of a = 1 / (5/6) = 1.2, of b = 1 / (2 - 5/6) = 6/7; a reaches the event 1.4x as fast
    assert result.observed == (1.0, 1.0) and result.expected == pytest.approx((5 / 6, 7 / 6))
    fastest, slowest, ratio = result.rate_ratio()
    assert (fastest, slowest) == ("a", "b") and ratio == pytest.approx(1.4)
    assert math.isnan(stats.logrank([1, 2], ["a", "a"], [True, True], [1, 1]).rate_ratio()[2])


def test_kaplan_meier_median_ci_is_the_first_crossing_of_a_band_that_rises_again() -> None:
    """Late, with few at risk, the exponential Greenwood upper curve can dip under 0.5 and rise again (here 0.485 at
    1 h, 0.544 from 3 h). The CI's upper end is the first time it is at or below 0.5 (1 h), as in R's survival
    package; lifelines searches the curve as if it were sorted and reports none here."""
    km = stats.kaplan_meier([1, 2, 3, 4], [True, False, True, False], [540, 447, 1, 2])
    assert km.ci_high[1] < 0.5 < km.ci_high[3]
    assert km.median_ci() == stats.Interval(1.0, 1.0)
    assert _lifelines_km([1, 2, 3, 4], [True, False, True, False], [540, 447, 1, 2], 0.95)["median_ci"][1] != 1.0


def test_rows_of_count_zero_are_no_one() -> None:
    import numpy as np

    with_zero = stats.kaplan_meier([1, 2, 3, 7], [True, False, True, True], [4, 0, 2, 0])
    without = stats.kaplan_meier([1, 3], [True, True], [4, 2])
    for name in ("time", "survival", "ci_low", "ci_high", "at_risk"):
        np.testing.assert_array_equal(getattr(with_zero, name), getattr(without, name))
    test = stats.logrank([1, 2, 3], ["a", "b", "c"], [True, True, True], [3, 2, 0])  # c has no one in it
    assert test.groups == 2 and test.degrees_of_freedom == 1
    assert test.statistic == stats.logrank([1, 2], ["a", "b"], [True, True], [3, 2]).statistic


@pytest.mark.parametrize(("durations", "counts", "message"), [
    ([1.0, float("nan")], [1, 1], "finite"),
    ([1.0, float("inf")], [1, 1], "finite"),
    ([1.0, -2.0], [1, 1], ">= 0"),
    ([1.0, 2.0], [1, 0.5], "whole numbers"),
    ([1.0, 2.0], [1, -1], "whole numbers"),
    ([1.0, 2.0], [1], "same length"),
])
def test_kaplan_meier_refuses_what_it_is_not_defined_on(durations: list[float], counts: list[float],
                                                        message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.kaplan_meier(durations, [True] * len(durations), counts)


def test_logrank_refuses_fractional_counts_and_missing_groups() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        stats.logrank([1, 2, 3, 4], list("abab"), [True] * 4, [0.2, 0.3, 0.1, 0.2])
    with pytest.raises(ValueError, match="group"):
        stats.logrank([1, 2], ["a", None], [True, True], [1, 1])


def test_kaplan_meier_frame_counts_people_in_whole_numbers() -> None:
    frame = stats.kaplan_meier([1, 2], [True, False], [3, 2]).frame()
    assert frame["at_risk"].dtype == "int64" and list(frame["at_risk"]) == [5, 5, 2]
