"""Cohort drill-down: any metric by one or two cohort dimensions, honest about n, spread and chance.

* :func:`breakdown` - the metric per cell with its interval and n, small cells suppressed, each cell tested
  against the rest of the table with Holm's correction across cells.
* :func:`compare` - two cohorts side by side with a test and an effect size.
* :func:`spread` - quantiles inside each cohort (so "Millennials" are not treated as one person) and, for
  scores, the full distribution.
* :func:`grid` - signup cohort x periods since signup for retention and for the survey scores.
* :func:`drill_rows` - the customers, responses or tickets behind any cell.

Dimensions (:data:`DIMENSIONS`) are labelled in SQL (``fragments/cohort_label.sql``); any key of the customers'
``attributes`` JSON is a dimension too, written ``attr:KEY``. Metrics: the survey scores of
:mod:`cx_metrics.metrics.surveys` plus complaint rate, resolution time and churn rate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics import catalog, stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import churn, surveys
from cx_metrics.metrics.complaints import complaint_rule_params
from cx_metrics.metrics.coverage import coverage
from cx_metrics.stats_groups import GroupTest, holm, proportions, rates, wilson_arrays

#: built-in dimensions -> label
DIMENSIONS: dict[str, str] = {
    "all": "Everyone",
    "generation": "Generation",
    "age_band": "Age band",
    "signup_month": "Signup month",
    "signup_quarter": "Signup quarter",
    "tenure_band": "Tenure",
    "months_since_signup": "Months since signup",
    "quarters_since_signup": "Quarters since signup",
    "plan": "Plan",
    "segment": "Segment",
    "region": "Region",
    "country": "Country",
    "acquisition_channel": "Acquisition channel",
    "channel": "Interaction channel",
    "survey": "Survey",
    "touchpoint": "Touchpoint",
}
#: dimensions that describe an interaction, not a customer: not defined for churn and complaint rates
INTERACTION_DIMENSIONS = ("channel", "survey", "touchpoint")
SURVEY_ONLY_DIMENSIONS = ("survey", "touchpoint")
ATTRIBUTE_PREFIX = "attr:"

#: the cohort figures (``--score`` of ``cx metric cohort-*``) -> their concept in :mod:`cx_metrics.catalog`
CATALOG_IDS = {"nps": "nps", "csat": "csat", "ces": "ces", "ces_easy": "ces_easy", "complaint_rate": "complaint_rate",
               "resolution_hours": "resolution", "churn_rate": "churn", "churn_share": "churn_snapshot"}
#: label (the catalog's, with '%' where the figure is a percentage), unit and direction of each cohort figure
METRICS: dict[str, str] = {
    k: catalog.label(v) + (" %" if catalog.get(v).unit == "%" and "%" not in catalog.label(v) else "")
    for k, v in CATALOG_IDS.items()}
UNITS = {k: catalog.get(v).unit for k, v in CATALOG_IDS.items()}
HIGHER_IS_BETTER = {k: catalog.get(v).higher_is_better for k, v in CATALOG_IDS.items()}
#: metrics that are a share of customers (Wilson interval, two-proportion test)
CUSTOMER_SHARES = ("churn_rate", "churn_share")

#: natural order of banded labels (see surveys.sort_labels)
ORDER = surveys.LABEL_ORDER


@dataclass(frozen=True)
class Dimension:
    """A checked dimension: the SQL name and, for customer attributes, the attribute key."""

    name: str
    attribute: str = ""

    @property
    def sql_name(self) -> str:
        return "attribute" if self.attribute else self.name

    @property
    def label(self) -> str:
        return self.attribute if self.attribute else DIMENSIONS[self.name]


def parse_dimension(text: str, metric: str | None = None) -> Dimension:
    """'generation', 'plan', ... or 'attr:industry'. Raises ValueError saying what is allowed."""
    if text.startswith(ATTRIBUTE_PREFIX):
        key = text[len(ATTRIBUTE_PREFIX):].strip()
        if not key:
            raise ValueError("an attribute dimension needs a key, e.g. attr:industry (see `cx metric "
                             "cohort-attributes` for the keys in your data)")
        return Dimension("attribute", key)
    if text not in DIMENSIONS:
        raise ValueError(f"unknown cohort dimension {text!r}: use one of {', '.join(DIMENSIONS)} or attr:KEY for a "
                         "customer attribute")
    if metric in (*CUSTOMER_SHARES, "complaint_rate") and text in INTERACTION_DIMENSIONS:
        raise ValueError(f"{text!r} describes a ticket or a response, not a customer, so {metric} cannot be broken "
                         "down by it; complaint rates by channel are on the Complaint trends page")
    if metric == "resolution_hours" and text in SURVEY_ONLY_DIMENSIONS:
        raise ValueError(f"{text!r} describes survey responses; resolution time cannot be broken down by it")
    return Dimension(text)


class NotSupported(ValueError):
    """The data cannot give this breakdown (its inputs are absent, or the dimension does not apply to them); the
    message says why."""


#: cohort metric -> the coverage metric whose inputs it reads
_COVERAGE = {"nps": "nps", "csat": "csat", "ces": "ces", "ces_easy": "ces", "complaint_rate": "complaints",
             "resolution_hours": "resolution", "churn_rate": "churn"}


def _supported(conn: Connection, period: Period, metric: str, filters: Filters | None) -> None:
    """Raise :class:`NotSupported` when the data lacks the metric's inputs (no churn dates, no responses...)."""
    found = coverage(conn, period=period, filters=filters)
    if metric == "churn_share":  # the table as it stands: customers are all it needs (no dates)
        why = "" if found.counts.get("customers_all") else "no customer file in this data"
    else:
        why = found.unavailable(_COVERAGE[metric])
    if why:
        raise NotSupported(f"{METRICS[metric]} cannot be shown: {why}.")


def _applies(raw: pd.DataFrame, metric: str, d1: Dimension, d2: Dimension) -> None:
    """Raise :class:`NotSupported` when a breakdown dimension is unknown for every observation: NPS by channel is a
    relationship survey's NPS, which has no channel (not "n < 30" in a cell called "(no channel)")."""
    for dim, column in ((d1, "dim1"), (d2, "dim2")):
        if dim.name == "all" or raw.empty:
            continue
        labels = set(map(str, raw[column]))
        if labels and all(v.startswith("(") for v in labels):
            if dim.name == "channel" and metric in surveys.METRICS:
                raise NotSupported(f"{METRICS[metric]} responses carry no channel (a relationship survey, not tied "
                                   "to an interaction), so they cannot be broken down by channel: pick a customer "
                                   "dimension instead.")
            raise NotSupported(f"No observation of {METRICS[metric]} in this period has a known "
                               f"{dim.label.lower()} (all are {', '.join(sorted(labels))}), so it cannot be broken "
                               "down by it: pick another dimension.")


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")


def attribute_keys(conn: Connection) -> pd.DataFrame:
    """Keys of the customers' ``attributes`` (each usable as ``attr:KEY``): ``attribute``, ``customers``."""
    return query(conn, "customer_attribute_keys")


def dimension_options(conn: Connection) -> list[str]:
    """Every dimension available on this database: the built-ins, then ``attr:KEY`` per attribute key."""
    return [*DIMENSIONS, *(ATTRIBUTE_PREFIX + str(k) for k in attribute_keys(conn)["attribute"])]


sort_labels = surveys.sort_labels


def _churn_params(conn: Connection, metric: str, settings: Settings) -> dict[str, Any]:
    """$mode and $obs_end of the churn definition in force (churn is counted as on the Churn page); a figure other
    than the churn rate does not need activity data, so it reads contractual dates when the definition cannot
    be built."""
    try:
        return churn.definition(conn, settings, suggest=False).params()
    except ValueError:
        if metric == "churn_rate":
            raise
        return {"mode": "contractual", "obs_end": dt.datetime(9999, 1, 1)}


def _params(
    conn: Connection, period: Period, metric: str, d1: Dimension, d2: Dimension, filters: Filters | None,
    settings: Settings, level: str, surveys_: tuple[str, ...],
) -> dict[str, Any]:
    if metric in surveys.METRICS:
        return surveys.base_params(metric=metric, start=period.start_ts, end=period.end_ts, level=level,
                                   dim1=d1.sql_name, dim2=d2.sql_name, attr1=d1.attribute, attr2=d2.attribute,
                                   filters=filters, surveys=surveys_, settings=settings)
    return {
        **(filters or Filters()).params(), **complaint_rule_params(settings), "start": period.start_ts,
        "end": period.end_ts, "dim1": d1.sql_name, "dim2": d2.sql_name,
        "attr1": surveys.attribute_path(d1.attribute) if d1.attribute else "$.__none__",
        "attr2": surveys.attribute_path(d2.attribute) if d2.attribute else "$.__none__",
        "confidence": settings.confidence,
        **(_churn_params(conn, metric, settings) if metric in ("churn_rate", "churn_share", "complaint_rate") else {}),
    }


class Durations:
    """Hours to resolution per cohort cell as counted durations (solved: event; still open: censored at the data's
    latest time), so a cell's median is the Kaplan-Meier median of every other page and two groups of tickets are
    compared with the log-rank test."""

    QUANTILES = (10, 25, 50, 75, 90)

    def __init__(self, conn: Connection, params: dict[str, Any], confidence: float) -> None:
        from cx_metrics.metrics.resolution import data_as_of

        frame = query(conn, "cohort_resolution", {**params, "as_of": data_as_of(conn) or params["end"]})
        self.hours = frame["minutes"].to_numpy(dtype=float) / 60.0
        self.event = frame["event"].to_numpy(dtype=bool)
        self.tickets = frame["tickets"].to_numpy(dtype=float)
        self.cells = pd.Series(list(zip(frame["dim1"].astype(str), frame["dim2"].astype(str), strict=True)),
                               dtype=object)
        self.confidence = confidence

    def mask(self, key: tuple[str, str]) -> np.ndarray:
        return (self.cells == key).to_numpy(dtype=bool)

    def summary(self, mask: np.ndarray) -> dict[str, Any]:
        """n (tickets), the Kaplan-Meier median and its interval, quantiles, tickets still open."""
        h, e, w = self.hours[mask], self.event[mask], self.tickets[mask]
        km = stats.kaplan_meier(h, e, w, self.confidence)
        ci = km.median_ci()
        return {"n": int(w.sum()), "median_hours": km.median(), "ci_low": ci.low, "ci_high": ci.high,
                "still_open": int(w[~e].sum()), **{f"p{q}": km.quantile(q / 100) for q in self.QUANTILES}}

    def table(self) -> pd.DataFrame:
        """One row per (dim1, dim2): :meth:`summary` of its tickets."""
        keys = sorted(set(self.cells))
        return pd.DataFrame([{"dim1": a, "dim2": b, **self.summary(self.mask((a, b)))} for a, b in keys],
                            columns=["dim1", "dim2", "n", "median_hours", "ci_low", "ci_high", "still_open",
                                     *(f"p{q}" for q in self.QUANTILES)])

    def test(self, a: np.ndarray, b: np.ndarray) -> GroupTest:
        """Log-rank test of the tickets in ``a`` against those in ``b``; effect size the rate ratio (a's observed /
        expected resolutions over b's: above 1, a's tickets are resolved faster)."""
        both = a | b
        if not a.any() or not b.any():
            return GroupTest(math.nan, math.nan, "log-rank test", math.nan, "rate ratio")
        result = stats.logrank(self.hours[both], np.where(a[both], "a", "b"), self.event[both], self.tickets[both])
        rates = dict(zip(result.labels, (o / x if x > 0 else math.nan
                                         for o, x in zip(result.observed, result.expected, strict=True)),
                         strict=True))
        ratio = rates.get("a", math.nan) / rates["b"] if rates.get("b") else math.nan
        return GroupTest(math.nan, result.p_value, "log-rank test", ratio, "rate ratio")


def _counts(conn: Connection, metric: str, params: dict[str, Any]) -> pd.DataFrame:
    """One row per (dim1, dim2) with the counts the metric needs."""
    if metric in surveys.METRICS:
        raw = query(conn, "survey_scores", params)
        for col in (*surveys.COUNT_COLUMNS, "respondents"):
            raw[col] = raw[col].fillna(0)
        return raw.drop(columns=["bucket"])
    if metric == "resolution_hours":
        return Durations(conn, params, float(params["confidence"])).table()
    name = {"complaint_rate": "cohort_complaints", "churn_rate": "cohort_churn", "churn_share": "cohort_churn"}[metric]
    return query(conn, name, {**params, "snapshot": metric == "churn_share"})


def _value(rec: Mapping[Any, Any], metric: str, confidence: float) -> tuple[float, float, float]:
    if metric in surveys.METRICS:
        v, lo, hi, _ = surveys.cell_value(rec, metric, confidence)
        return v, lo, hi
    n = int(rec["n"] or 0)
    if metric in CUSTOMER_SHARES:
        k = int(rec["events"] or 0)
        w = stats.wilson_ci(k, n, confidence)
        return (100 * k / n if n else math.nan), 100 * w.low, 100 * w.high
    if metric == "complaint_rate":
        k = int(rec["events"] or 0)
        ci = stats.poisson_ci(k, confidence)
        scale = 1000 / n if n else math.nan
        return k * scale, ci.low * scale, ci.high * scale
    def _f(x: Any) -> float:
        return math.nan if x is None or pd.isna(x) else float(x)
    return _f(rec.get("median_hours")), _f(rec.get("ci_low")), _f(rec.get("ci_high"))


def _test(a: Mapping[Any, Any], b: Mapping[Any, Any], metric: str) -> GroupTest:
    """Cell ``a`` against ``b`` from counts (resolution: Mood's median test on counts above the pooled median)."""
    if metric in surveys.METRICS:
        return surveys.compare_cells(a, b, metric)
    if metric in CUSTOMER_SHARES:
        return proportions(int(a["events"]), int(a["n"]), int(b["events"]), int(b["n"]))
    t = rates(int(a["events"]), float(a["n"]), int(b["events"]), float(b["n"]))
    return GroupTest(1000 * t.difference, t.p_value, t.test, t.effect_size, t.effect_name)


#: count columns summed to form "the rest of the table"
_ADDITIVE = ("n", "respondents", "promoters", "detractors", "satisfied", "easy", "difficult", "sum7", "sumsq7",
             "events", "above_pooled")

#: output columns of :func:`breakdown`
BREAKDOWN_COLUMNS = ["dim1", "dim2", "n", "value", "ci_low", "ci_high", "small_n", "suppressed", "rest_value",
                     "difference", "p_value", "test", "significant", "effect_size", "effect_name", "direction",
                     "detail"]


def breakdown(
    conn: Connection, *, period: Period, metric: str, dim1: str, dim2: str = "all",
    filters: Filters | None = None, settings: Settings | None = None, level: str = "response",
    surveys_filter: tuple[str, ...] = (),
) -> pd.DataFrame:
    """``metric`` per (dim1, dim2) cell in the period.

    Columns :data:`BREAKDOWN_COLUMNS`: ``n`` (responses, customers or solved tickets), ``value`` with its
    ``ci_low``/``ci_high`` (NaN when ``suppressed``: n below ``min_cell_n``), the rest of the table's value, the
    cell's ``difference`` from it with ``p_value``/``test``, ``significant`` (Holm-corrected across the
    unsuppressed cells at ``alpha``), an effect size, ``direction`` ('better'/'worse'/'' if not significant)
    and ``detail`` (open tickets, promoters... a reader needs). Rows are in the dimensions' natural order.
    Raises :class:`NotSupported` (a ValueError saying why) when the data lacks the metric's inputs or a dimension
    is unknown for every observation.
    """
    check_metric(metric)
    s = settings or Settings()
    d1, d2 = parse_dimension(dim1, metric), parse_dimension(dim2, metric)
    _supported(conn, period, metric, filters)
    params = _params(conn, period, metric, d1, d2, filters, s, level, surveys_filter)
    durations = Durations(conn, params, s.confidence) if metric == "resolution_hours" else None
    raw = durations.table() if durations is not None else _counts(conn, metric, params)
    if raw.empty:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    _applies(raw, metric, d1, d2)
    recs = raw.to_dict("records")
    present = [c for c in _ADDITIVE if c in raw.columns]
    totals = {c: float(raw[c].fillna(0).sum()) for c in present}
    rows = []
    for rec in recs:
        rec = {str(k): v for k, v in rec.items()}
        value, lo, hi = _value(rec, metric, s.confidence)
        if durations is not None:  # the rest of the table's tickets, and the log-rank test against them
            mine = durations.mask((str(rec["dim1"]), str(rec["dim2"])))
            rest = durations.summary(~mine)
            rest_value, test = float(rest["median_hours"]), durations.test(mine, ~mine)
        else:
            rest = {c: totals[c] - float(rec.get(c) or 0) for c in present}
            rest_value, test = _value(rest, metric, s.confidence)[0], _test(rec, rest, metric)
        n = int(rec["n"] or 0)
        small = n < s.min_cell_n
        rows.append({
            "dim1": str(rec["dim1"]), "dim2": str(rec["dim2"]), "n": n, "value": value, "ci_low": lo, "ci_high": hi,
            "small_n": small, "suppressed": small, "rest_value": rest_value, "difference": value - rest_value,
            "p_value": math.nan if small or rest["n"] <= 0 else test.p_value, "test": test.test,
            "effect_size": test.effect_size, "effect_name": test.effect_name, "detail": _detail(rec, metric),
        })
    out = pd.DataFrame(rows)
    out["significant"] = holm(out["p_value"].tolist(), s.alpha)
    better = HIGHER_IS_BETTER[metric]
    # resolution: the log-rank's rate ratio says which resolves sooner (a median may not be known yet)
    up = out["effect_size"] < 1 if metric == "resolution_hours" else out["difference"] > 0
    out["direction"] = np.where(~out["significant"], "", np.where(up == better, "better", "worse"))
    for col in ("value", "ci_low", "ci_high"):
        out.loc[out["suppressed"], col] = math.nan
    out.loc[out["suppressed"], ["difference", "effect_size"]] = math.nan
    out.loc[out["suppressed"], "detail"] = f"suppressed: n < {s.min_cell_n}"
    order1 = {v: i for i, v in enumerate(sort_labels(d1.name, out["dim1"].unique()))}
    order2 = {v: i for i, v in enumerate(sort_labels(d2.name, out["dim2"].unique()))}
    out = out.assign(_a=out["dim1"].map(order1), _b=out["dim2"].map(order2)).sort_values(["_a", "_b"])
    return out.drop(columns=["_a", "_b"]).reset_index(drop=True)[BREAKDOWN_COLUMNS]


def _detail(rec: Mapping[Any, Any], metric: str) -> str:
    if metric == "nps":
        return f"{int(rec['promoters'])} promoters, {int(rec['detractors'])} detractors"
    if metric == "csat":
        return f"{int(rec['satisfied'])} satisfied"
    if metric == "ces_easy":
        return f"{int(rec['easy'])} easy"
    if metric == "ces":
        return f"{int(rec['respondents'])} respondents"
    if metric in CUSTOMER_SHARES:
        return f"{int(rec['events'])} churned"
    if metric == "complaint_rate":
        return f"{int(rec['events'])} complaints"
    return f"{int(rec.get('still_open') or 0)} still open (censored)"


#: output columns of :func:`compare`
COMPARE_COLUMNS = ["cohort", "n", "value", "ci_low", "ci_high", "small_n", "difference", "p_value", "test",
                   "significant", "effect_size", "effect_name", "verdict"]


def compare(
    conn: Connection, *, period: Period, metric: str, dim1: str, a: str, b: str, dim2: str = "all",
    a2: str = "All", b2: str = "All", filters: Filters | None = None, settings: Settings | None = None,
    level: str = "response", surveys_filter: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Two cohorts side by side: cell (a, a2) vs cell (b, b2) of the (dim1, dim2) breakdown.

    Two rows (``cohort`` 'a: ...' and 'b: ...') with n, value and CI, then the difference (a - b), p-value
    and test, ``significant`` (p < alpha and both n at least ``min_cell_n``), effect size and a one-line
    ``verdict`` - repeated on both rows. Resolution times are compared with the Mann-Whitney U test on the
    tickets' hours (effect: rank-biserial r); the other metrics from counts as in :func:`breakdown`. A cohort
    compared with itself, or one below ``min_cell_n``, is not tested: p-value, difference and effect are NaN and
    the verdict says why.
    """
    check_metric(metric)
    s = settings or Settings()
    d1, d2 = parse_dimension(dim1, metric), parse_dimension(dim2, metric)
    params = _params(conn, period, metric, d1, d2, filters, s, level, surveys_filter)
    durations = Durations(conn, params, s.confidence) if metric == "resolution_hours" else None
    raw = durations.table() if durations is not None else _counts(conn, metric, params)
    cells = {(str(r["dim1"]), str(r["dim2"])): {str(k): v for k, v in r.items()} for r in raw.to_dict("records")}
    empty = {c: 0 for c in _ADDITIVE}
    ra, rb = cells.get((a, a2), dict(empty)), cells.get((b, b2), dict(empty))
    if durations is not None:
        test = durations.test(durations.mask((a, a2)), durations.mask((b, b2)))
    else:
        test = _test(ra, rb, metric)
    na, nb = int(ra.get("n") or 0), int(rb.get("n") or 0)
    same = (a, a2) == (b, b2)
    enough = na >= s.min_cell_n and nb >= s.min_cell_n and not same
    if not enough:  # no test is reported for what is not tested
        test = GroupTest(math.nan, math.nan, test.test, math.nan, test.effect_name)
    significant = bool(enough and test.p_value < s.alpha)
    label_a = a if d2.name == "all" else f"{a} · {a2}"
    label_b = b if d2.name == "all" else f"{b} · {b2}"
    if same:
        verdict = "not tested: A and B are the same cohort; pick two different ones"
    elif not enough:
        verdict = f"not tested: a cohort has fewer than {s.min_cell_n} observations"
    elif math.isnan(test.p_value):
        verdict = "not tested: no data"
    else:
        verdict = (f"{'real difference' if significant else 'within noise'} ({test.test}, p = {test.p_value:.2g}; "
                   f"{test.effect_name} = {test.effect_size:.2f})")
    rows = []
    for label, rec, n in ((label_a, ra, na), (label_b, rb, nb)):
        # a cohort below the minimum n keeps its n but not its value: it is not shown as a real number
        value, lo, hi = (_value(rec, metric, s.confidence) if n >= s.min_cell_n
                         else (math.nan, math.nan, math.nan))
        rows.append({"cohort": label, "n": n, "value": value, "ci_low": lo, "ci_high": hi,
                     "small_n": n < s.min_cell_n})
    out = pd.DataFrame(rows)
    difference = (_value(ra, metric, s.confidence)[0] - _value(rb, metric, s.confidence)[0]) if enough else math.nan
    out = out.assign(difference=difference, p_value=test.p_value, test=test.test, significant=significant,
                     effect_size=test.effect_size, effect_name=test.effect_name, verdict=verdict)
    return out[COMPARE_COLUMNS]


#: output columns of :func:`spread`
SPREAD_COLUMNS = ["dim1", "dim2", "n", "p10", "p25", "p50", "p75", "p90", "mean", "sd", "small_n", "what"]


def spread(
    conn: Connection, *, period: Period, metric: str, dim1: str, dim2: str = "all", filters: Filters | None = None,
    settings: Settings | None = None, level: str = "response", surveys_filter: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The spread inside each cohort, not just its mean: quantiles p10/p25/p50/p75/p90, mean and SD of the
    per-observation value (the score - CES rescaled to 1-7 -, hours to resolution, complaints per customer).
    ``what`` names that value. Churn (a yes/no per customer) has no spread beyond its rate: an empty frame."""
    check_metric(metric)
    s = settings or Settings()
    d1, d2 = parse_dimension(dim1, metric), parse_dimension(dim2, metric)
    params = _params(conn, period, metric, d1, d2, filters, s, level, surveys_filter)
    if metric in surveys.METRICS:
        frame = query(conn, "survey_spread", params).assign(
            what="CES score (1-7)" if metric.startswith("ces") else f"{metric.upper()} score")
    elif metric == "resolution_hours":
        frame = Durations(conn, params, s.confidence).table().assign(
            mean=math.nan, sd=math.nan, what="hours to resolution (Kaplan-Meier, open tickets censored)")
    elif metric == "complaint_rate":
        frame = _complaint_spread(query(conn, "cohort_complaints", params))
    else:
        return pd.DataFrame(columns=SPREAD_COLUMNS)
    frame["small_n"] = frame["n"] < s.min_cell_n
    order1 = {v: i for i, v in enumerate(sort_labels(d1.name, frame["dim1"].unique()))}
    order2 = {v: i for i, v in enumerate(sort_labels(d2.name, frame["dim2"].unique()))}
    frame = frame.assign(_a=frame["dim1"].map(order1), _b=frame["dim2"].map(order2)).sort_values(["_a", "_b"])
    return frame[SPREAD_COLUMNS].reset_index(drop=True)


def _complaint_spread(raw: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of complaints per customer from the 0/1/2/3+ counts (3+ counted as 3 in the mean: a floor)."""
    rows = []
    for rec in raw.to_dict("records"):
        counts = np.array([rec["with_0"], rec["with_1"], rec["with_2"], rec["with_3_plus"]], dtype=float)
        n = counts.sum()
        cum = np.cumsum(counts) / n if n else np.zeros(4)

        def q(p: float, cum: Any = cum) -> float:
            return float(np.searchsorted(cum, p, side="left"))

        mean = float((counts * np.arange(4)).sum() / n) if n else math.nan
        sd = float(math.sqrt(max((counts * (np.arange(4) - mean) ** 2).sum() / max(n - 1, 1), 0))) if n else math.nan
        rows.append({"dim1": rec["dim1"], "dim2": rec["dim2"], "n": int(n), "p10": q(0.1), "p25": q(0.25),
                     "p50": q(0.5), "p75": q(0.75), "p90": q(0.9), "mean": mean, "sd": sd,
                     "what": "complaints per customer (3+ counted as 3)"})
    return pd.DataFrame(rows, columns=[c for c in SPREAD_COLUMNS if c != "small_n"])


GRID_METRICS = ("retention", "nps", "csat", "ces", "ces_easy")
GRID_GRAINS = ("month", "quarter")
#: output columns of :func:`grid`
GRID_COLUMNS = ["cohort", "age", "n", "value", "ci_low", "ci_high", "small_n", "observable"]


def grid(
    conn: Connection, *, metric: str = "retention", grain: str = "quarter", start: Any = None, end: Any = None,
    filters: Filters | None = None, settings: Settings | None = None, max_age: int = 24,
) -> pd.DataFrame:
    """Signup cohort x periods since signup.

    ``retention``: the share (%) of customers who signed up in the cohort period and had not churned ``age``
    periods after its start; ``n`` is the cohort's size; cells whose age lies after the data's last day are not
    ``observable`` (value NaN). Survey metrics: the score of responses given ``age`` periods after signup
    (calendar periods), n responses, suppressed (NaN) below ``min_cell_n``. ``start``/``end`` bound the signup
    dates (default: all). Columns :data:`GRID_COLUMNS`; ``cohort`` is '2025-03' or '2025-Q1'.
    """
    if metric not in GRID_METRICS:
        raise ValueError(f"grid metric must be one of {GRID_METRICS}, got {metric!r}")
    if grain not in GRID_GRAINS:
        raise ValueError(f"grid grain must be one of {GRID_GRAINS}, got {grain!r}")
    s = settings or Settings()
    lo = pd.Timestamp(start) if start is not None else pd.Timestamp("1900-01-01")
    hi = pd.Timestamp(end) if end is not None else pd.Timestamp("2200-01-01")
    if metric == "retention":
        return _retention_grid(conn, grain, lo, hi, filters, s, max_age)
    period = Period(lo.date(), (hi - pd.Timedelta(days=1)).date())
    cohort_dim = "signup_month" if grain == "month" else "signup_quarter"
    age_dim = "months_since_signup" if grain == "month" else "quarters_since_signup"
    cells = breakdown(conn, period=period, metric=metric, dim1=cohort_dim, dim2=age_dim, filters=filters,
                      settings=s)
    cells = cells[~cells["dim1"].str.startswith("(") & ~cells["dim2"].str.startswith("(")]
    out = pd.DataFrame({
        "cohort": cells["dim1"], "age": cells["dim2"].astype(int), "n": cells["n"], "value": cells["value"],
        "ci_low": cells["ci_low"], "ci_high": cells["ci_high"], "small_n": cells["small_n"], "observable": True})
    return out[out["age"] <= max_age].reset_index(drop=True)[GRID_COLUMNS]


def _cohort_label(start: pd.Timestamp, grain: str) -> str:
    return f"{start:%Y-%m}" if grain == "month" else f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _retention_grid(conn: Connection, grain: str, lo: pd.Timestamp, hi: pd.Timestamp, filters: Filters | None,
                    s: Settings, max_age: int) -> pd.DataFrame:
    raw = query(conn, "cohort_retention", {**(filters or Filters()).params(), "grain": grain,
                                           "start": lo.to_pydatetime(), "end": hi.to_pydatetime()})
    if raw.empty:
        return pd.DataFrame(columns=GRID_COLUMNS)
    row = conn.cursor().execute(
        "SELECT greatest((SELECT max(created_at) FROM tickets), (SELECT max(responded_at) FROM survey_responses), "
        "(SELECT max(occurred_at) FROM customer_activity), (SELECT max(churned_at) FROM customers), "
        "(SELECT max(signup_at) FROM customers))").fetchall()
    as_of = pd.Timestamp(row[0][0]) if row and row[0][0] is not None else pd.Timestamp.now()
    step = 1 if grain == "month" else 3
    last_month = as_of.year * 12 + as_of.month - 1
    ages = np.arange(max_age + 1)
    parts = []
    for cohort_start, part in raw.groupby("cohort_start", sort=True):
        start = pd.Timestamp(str(cohort_start))
        size = int(part["customers"].sum())
        churned = part.dropna(subset=["churn_offset"])
        lost_at = np.zeros(max_age + 2)
        for offset, count in zip(churned["churn_offset"].astype(int), churned["customers"], strict=True):
            lost_at[min(max(offset, 0), max_age + 1)] += count
        # churned with offset < age: cumulative sum of the offsets before each age
        lost = np.concatenate([[0.0], np.cumsum(lost_at)[:max_age]])
        # the age's first day (month index from year 0) is on or before the data's last day
        month_index = start.year * 12 + start.month - 1 + step * ages
        parts.append(pd.DataFrame({"cohort": _cohort_label(start, grain), "age": ages, "n": size,
                                   "kept": size - lost, "observable": month_index <= last_month}))
    out = pd.concat(parts, ignore_index=True)
    low, high = wilson_arrays(out["kept"], out["n"], s.confidence)
    observable = out["observable"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(observable & (out["n"] > 0), 100 * out["kept"] / out["n"], np.nan)
    out["value"] = value
    out["ci_low"] = np.where(observable, 100 * low, np.nan)
    out["ci_high"] = np.where(observable, 100 * high, np.nan)
    out["small_n"] = out["n"] < s.min_cell_n
    return out[GRID_COLUMNS]


def drill_rows(
    conn: Connection, *, period: Period, metric: str, dim1: str, value1: str, dim2: str = "all", value2: str = "All",
    filters: Filters | None = None, settings: Settings | None = None, level: str = "response",
    surveys_filter: tuple[str, ...] = (), limit: int = 5_000,
) -> pd.DataFrame:
    """The rows behind a cell: survey responses (score metrics), customers (churn, complaint rate) or tickets
    (resolution time), with the cohort labels ``dim1``/``dim2``, newest or most complaints first."""
    check_metric(metric)
    s = settings or Settings()
    d1, d2 = parse_dimension(dim1, metric), parse_dimension(dim2, metric)
    params = {**_params(conn, period, metric, d1, d2, filters, s, level, surveys_filter), "value1": value1,
              "value2": value2, "limit": int(limit)}
    if metric in surveys.METRICS:
        return query(conn, "cohort_rows_responses", params)
    if metric == "resolution_hours":
        return query(conn, "cohort_rows_tickets", params)
    kind = {"churn_rate": "churn", "churn_share": "snapshot"}.get(metric, "complaints")
    return query(conn, "cohort_rows_customers", {**params, "kind": kind})
