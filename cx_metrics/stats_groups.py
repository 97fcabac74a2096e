"""Means from sufficient statistics, group comparisons with effect sizes, multiple-comparison control.

Companion of :mod:`cx_metrics.stats` for the survey and cohort analysis: DuckDB returns counts, sums and sums of
squares per cell; these turn them into intervals, tests and effect sizes without pulling raw rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from cx_metrics.stats import Interval, nps_se, nps_value, two_proportion_test, wilson_ci, z_for


def wilson_arrays(successes: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """:func:`cx_metrics.stats.wilson_ci` for arrays of counts (NaN where n == 0), same edge handling."""
    k, m = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = z_for(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denom = 1 + z * z / m
        centre = (p + z * z / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / denom
    low = np.where(k == 0, 0.0, np.minimum(p, np.maximum(0.0, centre - half)))
    high = np.where(k == m, 1.0, np.maximum(p, np.minimum(1.0, centre + half)))
    bad = m <= 0
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


@dataclass(frozen=True)
class MeanSummary:
    n: int
    mean: float
    sd: float  # sample standard deviation (n - 1); NaN below 2 observations


def mean_from_sums(total: float, total_sq: float, n: int) -> MeanSummary:
    """Mean and sample SD from sum(x), sum(x^2) and n (NaN where undefined)."""
    if n <= 0:
        return MeanSummary(0, math.nan, math.nan)
    mean = total / n
    if n < 2:
        return MeanSummary(n, mean, math.nan)
    var = max(total_sq - n * mean * mean, 0.0) / (n - 1)
    return MeanSummary(n, mean, math.sqrt(var))


def mean_t_ci(summary: MeanSummary, confidence: float = 0.95) -> Interval:
    """Student t interval for a mean: mean +- t(n-1) x sd / sqrt(n)."""
    if summary.n < 2 or math.isnan(summary.sd):
        return Interval(math.nan, math.nan)
    half = float(sps.t.ppf(0.5 + confidence / 2, summary.n - 1)) * summary.sd / math.sqrt(summary.n)
    return Interval(summary.mean - half, summary.mean + half)


@dataclass(frozen=True)
class GroupTest:
    """A two-group comparison: difference (a - b), its test, and an effect size that does not grow with n."""

    difference: float
    p_value: float
    test: str
    effect_size: float
    effect_name: str


def welch_t(a: MeanSummary, b: MeanSummary) -> GroupTest:
    """Welch's t-test from summaries; effect size Cohen's d with the pooled SD."""
    if a.n < 2 or b.n < 2:
        return GroupTest(a.mean - b.mean, math.nan, "Welch t-test", math.nan, "Cohen's d")
    pooled = math.sqrt(((a.n - 1) * a.sd**2 + (b.n - 1) * b.sd**2) / (a.n + b.n - 2))
    if a.sd == 0 and b.sd == 0:
        p_value = 1.0 if a.mean == b.mean else 0.0
    else:
        p_value = float(sps.ttest_ind_from_stats(a.mean, a.sd, a.n, b.mean, b.sd, b.n, equal_var=False).pvalue)
    d = (a.mean - b.mean) / pooled if pooled > 0 else math.nan
    return GroupTest(a.mean - b.mean, p_value, "Welch t-test", d, "Cohen's d")


def cohens_h(p1: float, p2: float) -> float:
    """Effect size of two proportions: 2 asin(sqrt p1) - 2 asin(sqrt p2) (0.2 small, 0.5 medium, 0.8 large)."""
    if any(math.isnan(p) for p in (p1, p2)):
        return math.nan
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))


def proportions(k1: int, n1: int, k2: int, n2: int) -> GroupTest:
    """Two proportions (in percentage points): pooled z-test, Cohen's h."""
    cmp = two_proportion_test(k1, n1, k2, n2)
    p1 = k1 / n1 if n1 else math.nan
    p2 = k2 / n2 if n2 else math.nan
    return GroupTest(100 * cmp.delta, cmp.p_value, cmp.test, cohens_h(p1, p2), "Cohen's h")


def nps_groups(a: tuple[int, int, int], b: tuple[int, int, int]) -> GroupTest:
    """Two independent NPS (promoters, detractors, n): z-test with SE = sqrt(SE1^2 + SE2^2).

    The effect size is the difference over the pooled per-respondent SD of the promoter(+1)/passive(0)/
    detractor(-1) score, a standardised mean difference comparable to Cohen's d.
    """
    v1, v2 = nps_value(*a), nps_value(*b)
    se = math.hypot(nps_se(*a), nps_se(*b))
    if math.isnan(v1) or math.isnan(v2):
        return GroupTest(math.nan, math.nan, "NPS z-test", math.nan, "standardised difference")
    p_value = (1.0 if v1 == v2 else 0.0) if se == 0 else float(2 * sps.norm.sf(abs(v1 - v2) / se))
    var1 = a[2] * (nps_se(*a) / 100) ** 2
    var2 = b[2] * (nps_se(*b) / 100) ** 2
    pooled = math.sqrt(((a[2] - 1) * var1 + (b[2] - 1) * var2) / max(a[2] + b[2] - 2, 1))
    effect = (v1 - v2) / 100 / pooled if pooled > 0 else math.nan
    return GroupTest(v1 - v2, p_value, "NPS z-test", effect, "standardised difference")


def rates(count1: int, exposure1: float, count2: int, exposure2: float) -> GroupTest:
    """Two Poisson rates: exact conditional test; effect size the rate ratio."""
    if exposure1 <= 0 or exposure2 <= 0:
        return GroupTest(math.nan, math.nan, "exact Poisson rate test", math.nan, "rate ratio")
    total = count1 + count2
    share = exposure1 / (exposure1 + exposure2)
    p_value = 1.0 if total == 0 else float(sps.binomtest(count1, total, share).pvalue)
    r1, r2 = count1 / exposure1, count2 / exposure2
    ratio = math.nan if r2 == 0 else r1 / r2  # none in the second group: no ratio (never infinite)
    return GroupTest(r1 - r2, p_value, "exact Poisson rate test", ratio, "rate ratio")


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down correction: which p-values stay significant across the whole family (NaN = not tested).

    Sorted ascending, p_(i) is rejected while p_(i) <= alpha / (m - i) for every earlier i (i from 0). Written
    out because statsmodels' ``multipletests`` runs a full garbage collection on every call (60 ms); the tests
    check this against it.
    """
    values = np.asarray(p_values, dtype=float)
    out = [False] * len(values)
    finite = np.flatnonzero(~np.isnan(values))
    m = len(finite)
    for rank, i in enumerate(finite[np.argsort(values[finite], kind="stable")]):
        if values[i] > alpha / (m - rank):
            break
        out[int(i)] = True
    return out


def newcomb_diff(k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95) -> Interval:
    """Newcomb's hybrid score interval (method 10) for p1 - p0, from the two Wilson intervals. NaN when an arm is
    empty."""
    if n1 <= 0 or n0 <= 0:
        return Interval(math.nan, math.nan)
    p1, p0 = k1 / n1, k0 / n0
    a, b = wilson_ci(k1, n1, confidence), wilson_ci(k0, n0, confidence)
    d = p1 - p0
    return Interval(d - math.sqrt((p1 - a.low) ** 2 + (b.high - p0) ** 2),
                    d + math.sqrt((a.high - p1) ** 2 + (p0 - b.low) ** 2))


@dataclass(frozen=True)
class Stratified:
    """A Mantel-Haenszel estimate over strata: risk ratio (Greenland-Robins interval) and risk difference (Wald
    interval with Mantel-Haenszel weights n1 n0 / N); strata missing an arm carry no weight."""

    risk_ratio: float
    rr_low: float
    rr_high: float
    risk_difference: float
    rd_low: float
    rd_high: float
    strata: int  # strata with both arms
    units: int  # units in those strata


def mantel_haenszel(strata: Sequence[tuple[int, int, int, int]], confidence: float = 0.95) -> Stratified:
    """``strata`` = (events exposed, n exposed, events unexposed, n unexposed) per stratum."""
    z = z_for(confidence)
    r_sum = s_sum = var_num = w_sum = rd_num = rd_var = 0.0
    used = units = 0
    for a, n1, c, n0 in strata:
        if n1 <= 0 or n0 <= 0:
            continue
        big_n = n1 + n0
        used += 1
        units += big_n
        r_sum += a * n0 / big_n
        s_sum += c * n1 / big_n
        var_num += (n1 * n0 * (a + c) - a * c * big_n) / big_n**2
        w = n1 * n0 / big_n
        p1, p0 = a / n1, c / n0
        w_sum += w
        rd_num += w * (p1 - p0)
        rd_var += w**2 * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    nan = math.nan
    if not used:
        return Stratified(nan, nan, nan, nan, nan, nan, 0, 0)
    rd = rd_num / w_sum
    rd_half = z * math.sqrt(rd_var) / w_sum
    if r_sum > 0 and s_sum > 0:
        rr = r_sum / s_sum
        se = math.sqrt(var_num / (r_sum * s_sum))
        rr_low, rr_high = rr * math.exp(-z * se), rr * math.exp(z * se)
    else:
        rr, rr_low, rr_high = (0.0 if s_sum > 0 else nan), nan, nan
    return Stratified(rr, rr_low, rr_high, rd, rd - rd_half, rd + rd_half, used, units)
