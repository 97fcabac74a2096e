"""Confidence intervals and tests used by every metric (their definitions: cx_metrics/catalog.py).

Everything here works on counts or small summaries, so the heavy lifting stays in DuckDB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from scipy import stats as sps


@cache
def z_for(confidence: float) -> float:
    """Two-sided normal quantile: 1.959964 for 0.95."""
    return float(sps.norm.ppf(0.5 + confidence / 2))


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson_ci(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion (in 0..1). NaN bounds when n == 0."""
    if n <= 0:
        return Interval(math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"successes={successes} must be between 0 and n={n}")
    z = z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The interval always contains p; at 0 and n it ends exactly at the scale's edge (no float crumbs).
    low = 0.0 if successes == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if successes == n else max(p, min(1.0, centre + half))
    return Interval(low, high)


def nps_value(promoters: int, detractors: int, n: int) -> float:
    return math.nan if n <= 0 else 100.0 * (promoters - detractors) / n


def nps_se(promoters: int, detractors: int, n: int) -> float:
    """Standard error of NPS in points: 100 * sqrt((p + d - (p - d)^2) / n)."""
    if n <= 0:
        return math.nan
    p, d = promoters / n, detractors / n
    return 100.0 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)


def nps_ci(promoters: int, detractors: int, n: int, confidence: float = 0.95) -> Interval:
    value = nps_value(promoters, detractors, n)
    half = z_for(confidence) * nps_se(promoters, detractors, n)
    return Interval(max(-100.0, value - half), min(100.0, value + half))


@dataclass(frozen=True)
class Comparison:
    """Current vs previous: the difference and whether it is distinguishable from noise."""

    delta: float
    p_value: float
    test: str


def nps_difference(
    cur: tuple[int, int, int], prev: tuple[int, int, int]
) -> Comparison:
    """Two independent NPS (promoters, detractors, n): z-test with SE = sqrt(SE1^2 + SE2^2)."""
    v1, v0 = nps_value(*cur), nps_value(*prev)
    se = math.hypot(nps_se(*cur), nps_se(*prev))
    if math.isnan(v1) or math.isnan(v0):
        return Comparison(math.nan, math.nan, "NPS z-test")
    if se == 0:
        return Comparison(v1 - v0, 1.0 if v1 == v0 else 0.0, "NPS z-test")
    z = (v1 - v0) / se
    return Comparison(v1 - v0, float(2 * sps.norm.sf(abs(z))), "NPS z-test")


def two_proportion_test(k1: int, n1: int, k0: int, n0: int) -> Comparison:
    """Difference of two proportions (current - previous) with the pooled two-sided z-test."""
    if n1 <= 0 or n0 <= 0:
        return Comparison(math.nan, math.nan, "two-proportion z-test")
    p1, p0 = k1 / n1, k0 / n0
    pooled = (k1 + k0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return Comparison(p1 - p0, 1.0, "two-proportion z-test")
    z = (p1 - p0) / se
    return Comparison(p1 - p0, float(2 * sps.norm.sf(abs(z))), "two-proportion z-test")


def poisson_rate_test(count1: int, exposure1: float, count0: int, exposure0: float) -> Comparison:
    """Exact conditional test of two Poisson rates (count1/exposure1 vs count0/exposure0).

    Given the total, count1 ~ Binomial(count1 + count0, exposure1 / (exposure1 + exposure0)) under equal
    rates. ``delta`` is the relative change of the rate (rate1 / rate0 - 1); NaN when rate0 is 0 (a change from
    nothing has no relative size: callers say "new"), never infinite.
    """
    if exposure1 <= 0 or exposure0 <= 0:
        raise ValueError("exposures must be positive")
    total = count1 + count0
    if total == 0:
        return Comparison(math.nan, 1.0, "exact Poisson rate test")
    share = exposure1 / (exposure1 + exposure0)
    p_value = float(sps.binomtest(count1, total, share).pvalue)
    rate0 = count0 / exposure0
    delta = math.nan if rate0 == 0 else (count1 / exposure1) / rate0 - 1
    return Comparison(delta, p_value, "exact Poisson rate test")


def poisson_ci(count: int, confidence: float = 0.95) -> Interval:
    """Exact (Garwood) interval for a Poisson count."""
    a = 1 - confidence
    low = 0.0 if count == 0 else float(sps.chi2.ppf(a / 2, 2 * count) / 2)
    high = float(sps.chi2.ppf(1 - a / 2, 2 * count + 2) / 2)
    return Interval(low, high)


def poisson_ci_arrays(counts: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """:func:`poisson_ci` for many counts at once (numpy arrays of low and high bounds)."""
    k = np.asarray(counts, dtype=float)
    a = 1 - confidence
    low = np.where(k > 0, sps.chi2.ppf(a / 2, 2 * np.maximum(k, 1)) / 2, 0.0)
    high = sps.chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return low, high


def _counted(durations: Any, observed: Any, counts: Any, groups: Any = None) -> tuple[np.ndarray, ...]:
    """Durations, event flags, counts (and group labels, as text, when given) as arrays, without the rows of
    count 0; a clear error for what the estimators are not defined on (fractional or negative counts, missing or
    infinite durations, missing labels)."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    w = np.asarray(counts, dtype=float)
    g = None if groups is None else np.asarray(groups, dtype=object)
    if not d.shape == e.shape == w.shape == (d.shape if g is None else g.shape):
        raise ValueError("durations, observed, counts and groups must have the same length")
    if not np.all(np.isfinite(d)):
        raise ValueError("durations must be finite numbers (no missing or infinite values)")
    if np.any(w < 0) or np.any(w != np.round(w)):
        raise ValueError("counts must be whole numbers >= 0")
    keep = w > 0
    if g is None:
        return d[keep], e[keep], w[keep]
    if any(label is None for label in g):
        raise ValueError("every row needs a group (no missing labels)")
    return d[keep], e[keep], w[keep], g[keep].astype(str)


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier estimate on counted durations (see :func:`kaplan_meier`); arrays share the ``time`` axis."""

    time: np.ndarray  # 0, then every distinct duration, ascending
    survival: np.ndarray  # S(t), share still waiting just after t
    ci_low: np.ndarray  # exponential Greenwood ("log-log") band; 1 where S(t) = 1
    ci_high: np.ndarray
    at_risk: np.ndarray  # subjects still waiting just before t

    def frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame({"time": self.time, "survival": self.survival, "ci_low": self.ci_low,
                             "ci_high": self.ci_high, "at_risk": self.at_risk.astype(np.int64)})

    @staticmethod
    def _first_at_or_below(curve: np.ndarray, time: np.ndarray, q: float) -> float:
        below = np.flatnonzero(curve <= q)
        return float(time[below[0]]) if below.size else math.nan

    def median(self) -> float:
        """The first time S(t) <= 0.5; NaN when it never falls that far (fewer than half reached the event)."""
        return self.quantile(0.5)

    def quantile(self, q: float) -> float:
        """The first time a share ``q`` has reached the event (S(t) <= 1 - q); NaN when it never has."""
        return self._first_at_or_below(self.survival, self.time, 1.0 - q)

    def median_ci(self) -> Interval:
        """The first times the band's lower and upper curves are at or below 0.5 (NaN where one never is).

        The exponential Greenwood upper curve need not fall monotonically: late, with few still at risk, it can dip
        under 0.5 and rise again. lifelines then searches it as if it were sorted and can return a later time or
        none; this takes the first crossing (tests pin both the agreement and this case).
        """
        return Interval(self._first_at_or_below(self.ci_low, self.time, 0.5),
                        self._first_at_or_below(self.ci_high, self.time, 0.5))


def kaplan_meier(durations: Any, observed: Any, counts: Any, confidence: float = 0.95) -> KaplanMeier:
    """Kaplan-Meier survival of right-censored durations given as counts: ``counts[i]`` subjects (a whole number;
    rows of 0 are no one and are ignored) lasted ``durations[i]`` (finite, >= 0), which ended in the event when
    ``observed[i]`` and was censored otherwise.

    The same estimate, band, at-risk counts and median as lifelines' ``KaplanMeierFitter(alpha=1 - confidence).fit(
    durations, observed, weights=counts)`` (tests compare the two; the median's CI, see :meth:`KaplanMeier.median_ci`),
    computed directly on the counts: the metric SQL already aggregates tickets to (duration, event) counts, so the
    estimator is a cumulative product over distinct times, while the fitter rebuilds its event table in pandas on
    every call (about 12 ms per group, most of a warm page).
    """
    d, e, w = _counted(durations, observed, counts)
    if d.size and d.min() < 0:
        raise ValueError("durations must be >= 0")
    times, inverse = np.unique(d, return_inverse=True)
    deaths = np.bincount(inverse, weights=w * e, minlength=times.size)
    removed = np.bincount(inverse, weights=w, minlength=times.size)
    if times.size == 0 or times[0] > 0:  # everyone enters at 0, which is a point of the curve
        times, deaths, removed = (np.concatenate([[0.0], times]), np.concatenate([[0.0], deaths]),
                                  np.concatenate([[0.0], removed]))
    at_risk = removed.sum() - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.cumsum(np.log(at_risk - deaths) - np.log(at_risk))
        greenwood = np.cumsum(np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0))
        spread = z_for(confidence) * np.sqrt(greenwood) / log_s
        low = np.exp(-np.exp(np.log(-log_s) - spread))
        high = np.exp(-np.exp(np.log(-log_s) + spread))
    return KaplanMeier(time=times, survival=np.exp(log_s), ci_low=np.nan_to_num(low, nan=1.0),
                       ci_high=np.nan_to_num(high, nan=1.0), at_risk=at_risk)


@dataclass(frozen=True)
class LogRank:
    groups: int
    statistic: float
    degrees_of_freedom: int
    p_value: float
    #: per group (in label order): events observed and expected under "no difference"; observed / expected is
    #: the group's event rate relative to the pooled one (above 1: reaches the event sooner)
    labels: tuple[str, ...] = ()
    observed: tuple[float, ...] = ()
    expected: tuple[float, ...] = ()

    def rate_ratio(self) -> tuple[str, str, float]:
        """The effect size: (fastest group, slowest group, ratio of their observed/expected events), a hazard-ratio
        estimate (Peto); NaN with fewer than two groups or a group without expected events."""
        if len(self.observed) < 2:
            return "", "", math.nan
        ratios = [o / e if e > 0 else math.nan for o, e in zip(self.observed, self.expected, strict=True)]
        known = [(r, g) for r, g in zip(ratios, self.labels, strict=True) if not math.isnan(r)]
        if len(known) < 2:
            return "", "", math.nan
        (low, slow), (high, fast) = min(known), max(known)
        return fast, slow, (high / low if low > 0 else math.nan)


def logrank(durations: Any, groups: Any, observed: Any, counts: Any) -> LogRank:
    """Multivariate log-rank test of whether the groups' survival curves differ, on counted right-censored
    durations (as :func:`kaplan_meier`): the statistic and p-value of lifelines' ``multivariate_logrank_test(
    durations, groups, observed, weights=counts)`` (tests compare the two), computed on the counts directly.

    Chi-square with (groups - 1) degrees of freedom of observed minus expected events per group, with the
    hypergeometric covariance (Mantel-Haenszel); NaN with fewer than two groups. A group whose rows all count 0 has
    no one in it and is not a group (lifelines would count it in the degrees of freedom).
    """
    d, e, w, g = _counted(durations, observed, counts, groups)
    labels, g_idx = np.unique(g, return_inverse=True)
    k = labels.size
    if k < 2:
        return LogRank(k, math.nan, 0, math.nan, tuple(str(v) for v in labels))
    times, t_idx = np.unique(d, return_inverse=True)
    cell = t_idx * k + g_idx
    removed = np.bincount(cell, weights=w, minlength=times.size * k).reshape(times.size, k)
    events = np.bincount(cell, weights=w * e, minlength=times.size * k).reshape(times.size, k)
    at_risk = removed.sum(axis=0) - (np.cumsum(removed, axis=0) - removed)  # per group, just before each time
    n = at_risk.sum(axis=1)
    deaths = events.sum(axis=1)
    expected = (at_risk * (deaths / n)[:, None]).sum(axis=0)
    observed_minus_expected = events.sum(axis=0) - expected
    with np.errstate(divide="ignore", invalid="ignore"):
        ties = (n - deaths) / (n - 1)
    factor = np.where(np.isfinite(ties), ties, 1.0) * deaths / n**2
    covariance = -(at_risk * factor[:, None]).T @ at_risk
    covariance[np.diag_indices(k)] = (factor[:, None] * at_risk * (n[:, None] - at_risk)).sum(axis=0)
    z = observed_minus_expected[:-1]
    statistic = float(z @ np.linalg.pinv(covariance[:-1, :-1]) @ z)
    return LogRank(k, statistic, k - 1, float(sps.chi2.sf(statistic, k - 1)), tuple(str(v) for v in labels),
                   tuple(float(x) for x in events.sum(axis=0)), tuple(float(x) for x in expected))
