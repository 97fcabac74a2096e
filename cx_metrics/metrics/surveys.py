"""Survey analytics: NPS, CSAT and CES with intervals, trends, distributions, response rates and verbatims.

Definitions (the texts the app shows are :mod:`cx_metrics.catalog`'s):

* **NPS** = 100 x (share 9-10 - share 0-6); a 1-10 scale keeps the same cut-offs and is said so. CI
  +-z x 100 x sqrt((p + d - (p - d)^2) / n); two NPS compared with SE = sqrt(SE1^2 + SE2^2).
* **CSAT** = share of top-2-box answers (top ``csat_top_boxes`` of scales with 4+ points; good/bad stored as
  0-1 counts "good"), Wilson interval.
* **CES** = mean on a 1-7 agreement scale (higher = easier; legacy 1-5 effort scales, stored with
  ``higher_is_better`` false, are reversed and rescaled) with a Student t interval, and ``ces_easy`` = share
  above the scale's midpoint (5-7 on 1-7), Wilson interval.

Counting happens in DuckDB (``survey_*.sql``); Python turns counts into intervals and tests. ``level`` is
``response`` (every response) or ``customer`` (each customer's latest response per period and cell).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics import catalog, stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics.coverage import Coverage, coverage, observed_span, partial_buckets
from cx_metrics.stats_groups import GroupTest, MeanSummary, mean_from_sums, mean_t_ci, nps_groups, proportions, welch_t
from cx_metrics.text.redact import redact_many

#: scores offered everywhere; ``ces_easy`` is the % easy reading of the CES responses
METRICS = ("nps", "csat", "ces", "ces_easy")
LEVELS = ("response", "customer")
GRAINS = ("week", "month")
#: the survey_responses.metric each score is computed from
SOURCE_METRIC = {"nps": "nps", "csat": "csat", "ces": "ces", "ces_easy": "ces"}
#: score groups per stored metric, best first
SCORE_GROUPS = {"nps": ("promoter", "passive", "detractor"), "csat": ("satisfied", "not satisfied"),
                "ces": ("easy", "neutral", "difficult")}
LEVEL_TEXT = {
    "response": "Response level: every response counts.",
    "customer": "Customer level: only each customer's latest response per period (and cell) counts, so frequent "
                "respondents do not weigh more; responses without a customer id count as their own respondent.",
}

#: columns of :func:`score_cells` output (besides bucket/dim1/dim2)
CELL_COLUMNS = ["n", "respondents", "value", "ci_low", "ci_high", "se", "small_n", "promoters", "passives",
                "detractors", "satisfied", "easy", "neutral", "difficult", "mean7", "sd7", "has_one_to_ten",
                "has_reversed"]


#: natural order of banded cohort labels (others sort alphabetically, unknowns last)
LABEL_ORDER = {
    "generation": ["Silent", "Boomers", "Gen X", "Millennials", "Gen Z", "Gen Alpha"],
    "age_band": ["under 25", "25-34", "35-44", "45-54", "55-64", "65 and over"],
    "tenure_band": ["(before signup)", "under 3 months", "3-12 months", "1-2 years", "2-5 years",
                    "5 years and over"],
}


def sort_labels(dimension: str, labels: Any) -> list[str]:
    """Labels in their natural order (generations by age, bands ascending), unknowns last."""
    order = LABEL_ORDER.get(dimension, [])
    rank = {v: i for i, v in enumerate(order)}

    def key(v: str) -> tuple[int, int, str]:
        unknown = v.startswith("(")
        return (1 if unknown else 0, rank.get(v, len(rank)), v)

    return sorted((str(v) for v in labels), key=key)


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")


def check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be 'response' (every response) or 'customer' (latest per customer), "
                         f"got {level!r}")


def attribute_path(key: str) -> str:
    """JSON path of a customer attribute key, quoted so spaces and dots in the key are safe."""
    return "$." + json.dumps(key)


def base_params(
    *, metric: str | tuple[str, ...], start: Any, end: Any, cur_start: Any | None = None, grain: str = "period",
    level: str = "response", dim1: str = "all", dim2: str = "all", attr1: str = "", attr2: str = "",
    filters: Filters | None = None, surveys: tuple[str, ...] = (), settings: Settings | None = None,
    customer_columns: bool = True, respondents: bool = True,
) -> dict[str, Any]:
    """Bound parameters of the ``survey_*`` queries (``fragments/survey_base.sql``) for ``metric`` (one of
    :data:`METRICS`, or several: their stored metrics are read in one pass, each row says which). ``customer_columns``
    False: the caller reads no customer column (counts only), so customers are joined only when a filter or cohort
    needs them; ``respondents`` False: the distinct respondents are not counted (the column is empty)."""
    wanted = (metric,) if isinstance(metric, str) else metric
    for one in wanted:
        check_metric(one)
    check_level(level)
    s = settings or Settings()
    f = filters or Filters()
    return {
        **f.params(),
        "join_customers": customer_columns or bool(f.plans or f.regions or f.segments) or dim1 != "all"
        or dim2 != "all", "metrics": sorted({SOURCE_METRIC[m] for m in wanted}), "start": start, "end": end,
        "cur_start": cur_start if cur_start is not None else start, "grain": grain, "level": level,
        "dim1": dim1, "dim2": dim2, "attr1": attribute_path(attr1) if attr1 else "$.__none__",
        "attr2": attribute_path(attr2) if attr2 else "$.__none__", "surveys": list(surveys),
        "all_surveys": not surveys, "top_boxes": s.csat_top_boxes, "respondents": respondents,
    }


def _i(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def cell_value(rec: Mapping[Any, Any], metric: str, confidence: float) -> tuple[float, float, float, float]:
    """(value, ci_low, ci_high, se) of one cell's counts for ``metric``."""
    n = _i(rec.get("n"))
    if metric == "nps":
        p, d = _i(rec.get("promoters")), _i(rec.get("detractors"))
        ci = stats.nps_ci(p, d, n, confidence)
        return stats.nps_value(p, d, n), ci.low, ci.high, stats.nps_se(p, d, n)
    if metric in ("csat", "ces_easy"):
        k = _i(rec.get("satisfied" if metric == "csat" else "easy"))
        w = stats.wilson_ci(k, n, confidence)
        value = 100 * k / n if n else math.nan
        se = 100 * math.sqrt(k / n * (1 - k / n) / n) if n else math.nan
        return value, 100 * w.low, 100 * w.high, se
    summary = _mean_summary(rec)
    ci = mean_t_ci(summary, confidence)
    se = summary.sd / math.sqrt(summary.n) if summary.n >= 2 else math.nan
    return summary.mean, ci.low, ci.high, se


def _mean_summary(rec: Mapping[Any, Any]) -> MeanSummary:
    n = _i(rec.get("n"))
    total = float(rec.get("sum7") or 0.0)
    total_sq = float(rec.get("sumsq7") or 0.0)
    return mean_from_sums(total, total_sq, n)


def compare_cells(a: Mapping[Any, Any], b: Mapping[Any, Any], metric: str) -> GroupTest:
    """Test of cell ``a`` against cell ``b`` (counts as from ``survey_scores.sql``), with an effect size."""
    if metric == "nps":
        return nps_groups((_i(a.get("promoters")), _i(a.get("detractors")), _i(a.get("n"))),
                          (_i(b.get("promoters")), _i(b.get("detractors")), _i(b.get("n"))))
    if metric in ("csat", "ces_easy"):
        col = "satisfied" if metric == "csat" else "easy"
        return proportions(_i(a.get(col)), _i(a.get("n")), _i(b.get(col)), _i(b.get("n")))
    return welch_t(_mean_summary(a), _mean_summary(b))


COUNT_COLUMNS = ("n", "promoters", "detractors", "satisfied", "easy", "difficult", "sum7", "sumsq7")


def score_cells(raw: pd.DataFrame, metric: str, settings: Settings | None = None) -> pd.DataFrame:
    """Add ``value``, ``ci_low``, ``ci_high``, ``se``, ``small_n`` and group counts to ``survey_scores`` rows."""
    s = settings or Settings()
    out = raw.copy()
    values = [cell_value(rec, metric, s.confidence) for rec in out.to_dict("records")]
    out["value"] = [v[0] for v in values]
    out["ci_low"] = [v[1] for v in values]
    out["ci_high"] = [v[2] for v in values]
    out["se"] = [v[3] for v in values]
    out["small_n"] = out["n"] < s.min_cell_n
    out["passives"] = out["n"] - out["promoters"] - out["detractors"]
    out["neutral"] = out["n"] - out["easy"] - out["difficult"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["mean7"] = np.where(out["n"] > 0, out["sum7"] / out["n"].clip(lower=1), np.nan)
    out["sd7"] = [_mean_summary(rec).sd for rec in out.to_dict("records")]
    return out


def score_counts(conn: Connection, params: dict[str, Any]) -> pd.DataFrame:
    """``survey_scores.sql`` on ``params`` (:func:`base_params`): the counts behind every score, none missing."""
    raw = query(conn, "survey_scores", params)
    for col in (*COUNT_COLUMNS, "respondents"):
        raw[col] = raw[col].fillna(0)
    return raw


#: output columns of :func:`survey_summary`
SUMMARY_COLUMNS = ["metric", "label", "unit", "value", "ci_low", "ci_high", "n", "respondents", "prev_value",
                   "prev_ci_low", "prev_ci_high", "prev_n", "delta", "p_value", "test", "significant",
                   "effect_size", "effect_name", "small_n", "note", "unavailable", "comparison", "definition"]


def survey_summary(
    conn: Connection, *, period: Period, filters: Filters | None = None, settings: Settings | None = None,
    level: str = "response", surveys: tuple[str, ...] = (), metrics: tuple[str, ...] = METRICS,
    cov: Coverage | None = None, respondents: bool = True,
) -> pd.DataFrame:
    """NPS, CSAT, CES mean and CES % easy (or only ``metrics``) for ``period`` vs the previous period of equal
    length: the Surveys page's tiles and the Overview's NPS and CSAT tiles (``cov``: the selection's coverage,
    when the caller has it already; ``respondents`` False: respondents are not counted, NaN).

    One row per metric in :data:`METRICS` with :data:`SUMMARY_COLUMNS`: value and CI (``confidence``), n
    (responses kept at this ``level``) and respondents, the previous period's, the change (points for NPS and
    percentages, score points for CES), its p-value and test (NPS z-test, two-proportion z-test, Welch t-test),
    ``significant`` (p < alpha, and neither period below ``min_cell_n``), an effect size, ``small_n``;
    ``unavailable`` says why a score cannot be computed on this selection (no such responses in the data, a
    relationship survey under a channel filter), ``comparison`` why the previous period is not compared (it starts
    before the survey's first response, or the period runs past the data): their figures are then NaN.
    """
    s = settings or Settings()
    prev = period.previous()
    cov = cov or coverage(conn, period=period, filters=filters)
    rows = []
    # every score of both periods in one pass over the responses
    counted = score_counts(conn, base_params(metric=tuple(metrics), start=prev.start_ts, end=period.end_ts,
                                        cur_start=period.start_ts, level=level, filters=filters, surveys=surveys,
                                        settings=s, customer_columns=False, respondents=respondents))
    for metric in metrics:
        raw = counted[counted["metric"] == SOURCE_METRIC[metric]]
        recs = {pd.Timestamp(r["bucket"]): r for r in raw.to_dict("records")}
        cur = recs.get(pd.Timestamp(period.start_ts), {})
        old = recs.get(pd.Timestamp(prev.start_ts), {})
        v1, lo1, hi1, _ = cell_value(cur, metric, s.confidence)
        v0, lo0, hi0, _ = cell_value(old, metric, s.confidence)
        test = compare_cells(cur, old, metric)
        n1, n0 = _i(cur.get("n")), _i(old.get("n"))
        notes = []
        if cur.get("has_one_to_ten"):
            notes.append("Includes 1–10 scale responses (same cut-offs: 9–10 promoters, 1–6 detractors).")
        if cur.get("has_reversed"):
            notes.append("Includes legacy effort scales where low = easy; they are reversed before scoring.")
        if metric.startswith("ces") and _i(cur.get("scales")) > 1:
            notes.append("Several CES scales are pooled after rescaling to 1–7.")
        unavailable, comparison = cov.unavailable(metric), cov.comparison(metric)
        if unavailable:
            v1 = lo1 = hi1 = math.nan
        if unavailable or comparison:
            v0 = lo0 = hi0 = math.nan
            test = GroupTest(math.nan, math.nan, test.test, math.nan, test.effect_name)
        rows.append({
            "metric": metric, "label": catalog.label(metric), "unit": catalog.get(metric).unit, "value": v1,
            "ci_low": lo1, "ci_high": hi1, "n": n1,
            "respondents": _i(cur.get("respondents")) if respondents else math.nan, "prev_value": v0,
            "prev_ci_low": lo0, "prev_ci_high": hi0, "prev_n": n0, "delta": test.difference,
            "p_value": test.p_value, "test": test.test,
            "significant": bool(test.p_value < s.alpha) and n1 >= s.min_cell_n and n0 >= s.min_cell_n,
            "effect_size": test.effect_size, "effect_name": test.effect_name,
            "small_n": n1 < s.min_cell_n and not unavailable, "note": " ".join(notes), "unavailable": unavailable,
            "comparison": comparison, "definition": catalog.definition(metric),
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _bucket_end(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    return start + (pd.Timedelta(days=7) if grain == "week" else pd.offsets.MonthBegin(1))


def bucket_starts(period: Period, grain: str) -> list[pd.Timestamp]:
    """Starts of every week (Monday) or month touched by the period."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")
    cursor = pd.Timestamp(period.start_ts).to_period("W-SUN" if grain == "week" else "M").start_time
    out = []
    while cursor < pd.Timestamp(period.end_ts):
        out.append(cursor)
        cursor = _bucket_end(cursor, grain)
    return out


#: output columns of :func:`survey_trend`
TREND_COLUMNS = ["period_start", "metric", *CELL_COLUMNS, "partial", "change", "p_value", "significant",
                 "effect_size", "effect_name", "test"]


def survey_trend(
    conn: Connection, *, period: Period, metric: str = "nps", grain: str = "month", filters: Filters | None = None,
    settings: Settings | None = None, level: str = "response", surveys: tuple[str, ...] = (),
) -> pd.DataFrame:
    """``metric`` per week or month, every bucket of the period present (n = 0 where nobody answered).

    Columns :data:`TREND_COLUMNS`: the cell columns of :func:`score_cells`, ``partial`` (bucket cut by the
    range or by the survey's first or last response), and the change against the previous bucket with its p-value
    and test. ``significant`` is true only when p < alpha and both buckets reach ``min_cell_n``; small cells keep
    their value but are flagged ``small_n`` (shown greyed, never as a real number).
    """
    s = settings or Settings()
    starts = bucket_starts(period, grain)
    raw = score_counts(conn, base_params(metric=metric, start=period.start_ts, end=period.end_ts, grain=grain,
                                    level=level, filters=filters, surveys=surveys, settings=s, customer_columns=False))
    raw["bucket"] = pd.to_datetime(raw["bucket"])
    full = pd.DataFrame({"bucket": pd.DatetimeIndex(starts)})
    merged = full.merge(raw.drop(columns=["metric", "dim1", "dim2"]), on="bucket", how="left")
    for col in (*COUNT_COLUMNS, "respondents"):
        merged[col] = merged[col].fillna(0)
    merged["has_one_to_ten"] = merged["has_one_to_ten"].fillna(False).astype(bool)
    merged["has_reversed"] = merged["has_reversed"].fillna(False).astype(bool)
    out = score_cells(merged, metric, s).rename(columns={"bucket": "period_start"})
    ends = pd.Series([_bucket_end(b, grain) for b in out["period_start"]], index=out.index)
    out["partial"] = partial_buckets(out["period_start"], ends, period,
                                     observed_span(conn, SOURCE_METRIC[metric]))
    recs = out.to_dict("records")
    changes, pvals, sig, eff, names, tests = [], [], [], [], [], []
    for i, rec in enumerate(recs):
        if i == 0:
            changes.append(math.nan)
            pvals.append(math.nan)
            sig.append(False)
            eff.append(math.nan)
            names.append("")
            tests.append("")
            continue
        test = compare_cells(rec, recs[i - 1], metric)
        changes.append(test.difference)
        pvals.append(test.p_value)
        sig.append(bool(test.p_value < s.alpha) and not rec["small_n"] and not recs[i - 1]["small_n"])
        eff.append(test.effect_size)
        names.append(test.effect_name)
        tests.append(test.test)
    out["change"], out["p_value"], out["significant"] = changes, pvals, sig
    out["effect_size"], out["effect_name"], out["test"] = eff, names, tests
    out["metric"] = metric
    return out[TREND_COLUMNS]


def group_split(trend: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Long frame of score groups per bucket from :func:`survey_trend` output (promoter/passive/detractor...).

    Columns: ``period_start``, ``group``, ``responses``, ``share`` (0..1 of the bucket's n; NaN when n = 0),
    ``small_n``.
    """
    check_metric(metric)
    column = {"promoter": "promoters", "passive": "passives", "detractor": "detractors", "satisfied": "satisfied",
              "easy": "easy", "neutral": "neutral", "difficult": "difficult"}
    parts = []
    for group in SCORE_GROUPS[SOURCE_METRIC[metric]]:
        counts = trend["n"] - trend["satisfied"] if group == "not satisfied" else trend[column[group]]
        parts.append(pd.DataFrame({
            "period_start": trend["period_start"], "group": group, "responses": counts.astype("int64"),
            "share": np.where(trend["n"] > 0, counts / trend["n"].clip(lower=1), np.nan),
            "small_n": trend["small_n"]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["period_start", "group", "responses", "share", "small_n"])


def score_distribution(
    conn: Connection, *, period: Period, metric: str = "nps", by: str = "all", attribute: str = "",
    filters: Filters | None = None, settings: Settings | None = None, level: str = "response",
    surveys: tuple[str, ...] = (),
) -> pd.DataFrame:
    """How many responses gave each score, per cohort ``by`` (a :mod:`cohorts` dimension; 'all' = everyone).

    Columns: ``dimension``, ``scale`` ('0-10', '1-5'...), ``higher_is_better``, ``score``, ``responses``,
    ``share`` (of the dimension value's responses on that scale).
    """
    params = base_params(metric=metric, start=period.start_ts, end=period.end_ts, level=level, dim1=by,
                         attr1=attribute, filters=filters, surveys=surveys, settings=settings)
    raw = query(conn, "survey_distribution", params)
    columns = ["dimension", "scale", "higher_is_better", "score", "responses", "share"]
    if raw.empty:
        return pd.DataFrame(columns=columns)
    raw = raw.rename(columns={"dim1": "dimension"})
    totals = raw.groupby(["dimension", "scale"])["responses"].transform("sum")
    raw["share"] = raw["responses"] / totals
    rank = {v: i for i, v in enumerate(sort_labels(by, raw["dimension"].unique()))}
    raw = raw.assign(_r=raw["dimension"].map(rank)).sort_values(["_r", "scale", "score"], kind="stable")
    return raw[columns].reset_index(drop=True)


def _redact_column(frame: pd.DataFrame, column: str) -> None:
    """``column`` PII-redacted in place, kept a text column when ``frame`` has no rows (not float, which has no
    ``.str``)."""
    frame[column] = pd.Series(redact_many(frame[column].tolist()), index=frame.index, dtype=object)


def verbatims(
    conn: Connection, *, period: Period, metric: str = "nps", group: str = "", search: str = "", by: str = "all",
    value: str | None = None, attribute: str = "", filters: Filters | None = None, settings: Settings | None = None,
    surveys: tuple[str, ...] = (), limit: int = 500,
) -> pd.DataFrame:
    """Comments with their score, score group, date, cohort label and linked ticket, newest first.

    ``group`` is a score group of the metric (see :data:`SCORE_GROUPS`; '' = all), ``search`` a case-insensitive
    substring of the comment, ``by``/``value`` a cohort (``value`` None = all). Comments are PII-redacted.
    Columns: ``responded_at``,
    ``score``, ``scale``, ``score_group``, ``comment``, ``cohort``, ``survey_name``, ``customer_id``, ``ticket_id``,
    ``ticket_subject``, ``ticket_channel``, ``ticket_status``, ``source``, ``response_id``.
    """
    stored = SOURCE_METRIC[metric] if metric in METRICS else metric
    if group and group not in SCORE_GROUPS.get(stored, ()):
        raise ValueError(f"group for {metric} must be one of {SCORE_GROUPS.get(stored, ())} or empty, got {group!r}")
    params = {**base_params(metric=metric, start=period.start_ts, end=period.end_ts, dim1=by, attr1=attribute,
                            filters=filters, surveys=surveys, settings=settings),
              "group": group, "search": search.strip(), "value1": value, "limit": int(limit)}
    frame = query(conn, "survey_verbatims", params)
    # e-mails, phone numbers, card numbers and IBANs never reach the page or an export, nor answer a search: the
    # search is matched again on the redacted text, so looking for someone's address finds nothing
    for column in ("comment", "ticket_subject"):
        _redact_column(frame, column)
    if params["search"]:
        frame = frame[frame["comment"].str.lower().str.contains(params["search"].lower(), regex=False)]
    return frame.reset_index(drop=True)


def response_rate(
    conn: Connection, *, period: Period, filters: Filters | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """Survey response rate of tickets solved in the period.

    When the exports say which tickets were offered a survey (Zendesk ``Offered``, ratings), the rate is
    tickets with a response ÷ tickets offered; otherwise tickets with a linked response ÷ tickets solved (stated
    in ``basis``). Relationship surveys carry no send list, so no rate is computed for them. One row:
    ``solved``, ``offered``, ``responded``, ``rate`` (0..1), ``ci_low``, ``ci_high`` (Wilson), ``basis``,
    ``small_n``.
    """
    s = settings or Settings()
    rec = query(conn, "survey_response_rate", {**(filters or Filters()).params(), "start": period.start_ts,
                                               "end": period.end_ts}).iloc[0]
    solved, offered = _i(rec["solved"]), _i(rec["offered"])
    if offered:
        k, n, basis = _i(rec["responded_offered"]), offered, "responses ÷ tickets offered a survey"
    else:
        k, n = _i(rec["responded"]), solved
        basis = "tickets with a linked response ÷ tickets solved (no export said which were offered a survey)"
    ci = stats.wilson_ci(k, n, s.confidence)
    return pd.DataFrame([{
        "solved": solved, "offered": offered, "responded": k, "rate": k / n if n else math.nan,
        "ci_low": ci.low, "ci_high": ci.high, "basis": basis, "small_n": n < s.min_cell_n}])


def survey_inventory(conn: Connection) -> pd.DataFrame:
    """Every survey in the database (scored or not): ``source``, ``survey_name``, ``responses``,
    ``scored_metrics`` (e.g. 'csat, nps'; empty when nothing was scored), ``other_questions``,
    ``first_response_at``, ``last_response_at`` (NaT when the export had no dates)."""
    return query(conn, "survey_inventory")


#: the answer row that stands for the answers fewer respondents gave than an aggregate view may show
RARE_ANSWERS = "(answers given by fewer than {n} respondents each: {k:,} distinct; they need the analyst role)"


def answer_distribution(
    conn: Connection, *, source: str, survey_name: str, settings: Settings | None = None,
    min_respondents: int | None = None,
) -> pd.DataFrame:
    """Answers to a survey's unscored questions: ``question_id``, ``question``, ``answer``, ``responses``,
    ``answered`` (respondents who answered the question), ``share`` with its Wilson ``ci_low``/``ci_high``.

    Answers are PII-redacted. With ``min_respondents`` (the aggregate view), an answer fewer respondents gave is
    not shown: each question's rare answers are one row (:data:`RARE_ANSWERS`), so the shares still add up and no
    free-text answer, name or phone number is readable."""
    s = settings or Settings()
    frame = query(conn, "survey_answer_counts", {"source": source, "survey_name": survey_name})
    if frame.empty:
        return frame.assign(share=pd.Series(dtype=float), ci_low=pd.Series(dtype=float),
                            ci_high=pd.Series(dtype=float))
    _redact_column(frame, "answer")
    if min_respondents is not None:
        rare = frame["responses"] < min_respondents
        if bool(rare.any()):
            grouped = frame[rare].groupby("question_id", sort=False).agg(
                question=("question", "first"), responses=("responses", "sum"), answered=("answered", "first"),
                distinct=("answer", "size")).reset_index()
            grouped["answer"] = [RARE_ANSWERS.format(n=min_respondents, k=int(k)) for k in grouped["distinct"]]
            position = {q: i for i, q in enumerate(frame["question_id"].drop_duplicates())}
            frame = pd.concat([frame[~rare].assign(_last=False), grouped.drop(columns="distinct").assign(_last=True)],
                              ignore_index=True)
            frame = frame.assign(_q=frame["question_id"].map(position)).sort_values(
                ["_q", "_last"], kind="stable").drop(columns=["_q", "_last"]).reset_index(drop=True)
    cis = [stats.wilson_ci(int(k), int(n), s.confidence) for k, n in zip(frame["responses"], frame["answered"],
                                                                           strict=True)]
    frame["share"] = frame["responses"] / frame["answered"]
    frame["ci_low"] = [c.low for c in cis]
    frame["ci_high"] = [c.high for c in cis]
    return frame
