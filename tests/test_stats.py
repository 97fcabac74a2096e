"""Unit tier: the statistics against hand-computed values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
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
    assert math.isinf(stats.poisson_rate_test(4, 7, 0, 7).delta)
    with pytest.raises(ValueError):
        stats.poisson_rate_test(1, 0, 1, 7)


def test_poisson_ci_garwood() -> None:
    ci = stats.poisson_ci(0)
    assert ci.low == 0.0 and ci.high == pytest.approx(3.688879, abs=1e-5)
    ci = stats.poisson_ci(10)
    assert ci.low == pytest.approx(4.795389, abs=1e-5) and ci.high == pytest.approx(18.390356, abs=1e-5)


def test_median_test() -> None:
    assert stats.median_test(50, 100, 50, 100) == pytest.approx(1.0)
    assert stats.median_test(80, 100, 20, 100) < 1e-10
    assert math.isnan(stats.median_test(0, 0, 3, 5))


def test_poisson_ci_arrays_match_the_scalar_version() -> None:
    counts = [0, 1, 10, 250]
    low, high = stats.poisson_ci_arrays(counts)
    for k, lo, hi in zip(counts, low, high, strict=True):
        ci = stats.poisson_ci(k)
        assert lo == pytest.approx(ci.low) and hi == pytest.approx(ci.high)
