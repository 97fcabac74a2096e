"""Theme metrics: volume and share over time with anomaly flags, mix by channel and cohort, emerging themes,
impact on NPS/CSAT with a bootstrap interval, product requests, and the themes behind a complaint mover.

Documents are tickets (subject + description) and survey responses with a comment, as read by the theme model
(:mod:`cx_metrics.models.themes`). A document can carry up to three themes, so theme counts do not add up to the
total; shares are "documents mentioning the theme / documents read". Merged themes count once per document
under the theme they were merged into. Every function returns a tidy DataFrame with the columns listed.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from cx_metrics import stats
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics.complaints import (
    DIMENSIONS,
    GRAINS,
    buckets,
    complaint_rule_params,
    flag_anomalies,
    history_start,
)
from cx_metrics.metrics.coverage import comparison_note, observed_span, partial_buckets, with_notes
from cx_metrics.text.redact import redact

KINDS = ("ticket", "survey")
MIX_DIMENSIONS = ("channel", "plan", "region", "segment", "generation")
IMPACT_METRICS = ("nps", "csat")
BOOTSTRAP_SAMPLES = 2_000
BOOTSTRAP_SEED = 7


def _kinds(kinds: tuple[str, ...] | None) -> list[str]:
    chosen = list(kinds or KINDS)
    bad = [k for k in chosen if k not in KINDS]
    if bad:
        raise ValueError(f"kinds must be among {KINDS}, got {bad}")
    return chosen


def _names(conn: Connection) -> dict[int, str]:
    frame = conn.cursor().execute("SELECT theme_key, coalesce(name, auto_label) FROM themes").fetchall()
    return {int(k): str(v) for k, v in frame}


def _params(period: Period, filters: Filters | None, kinds: tuple[str, ...] | None) -> dict[str, Any]:
    return {**(filters or Filters()).params(), "kinds": _kinds(kinds), "start": period.start_ts, "end": period.end_ts}


def _split_totals(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.Series]:
    totals = frame[frame["theme_key"].isna()].set_index(key)["documents"]
    themes = frame[frame["theme_key"].notna()].copy()
    themes["theme_key"] = themes["theme_key"].astype("int64")
    return themes, totals


def theme_volume(
    conn: Connection, *, period: Period, grain: str = "week", filters: Filters | None = None,
    kinds: tuple[str, ...] | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """Documents per bucket and theme, zero-filled, and their share of the documents read in the bucket.

    Columns: ``period_start``, ``theme_key``, ``theme``, ``documents``, ``total_documents``, ``share`` (0..1),
    ``share_low`` / ``share_high`` (Wilson), ``partial`` (bucket cut by the range or by the data's start or end),
    ``small_n`` (fewer documents
    in the bucket than the configured minimum). Within each bucket, themes come biggest first (by documents over
    the whole range).
    """
    s = settings or Settings()
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")
    columns = ["period_start", "theme_key", "theme", "documents", "total_documents", "share", "share_low",
               "share_high", "partial", "small_n"]
    raw = query(conn, "theme_volume", {**_params(period, filters, kinds), "grain": grain})
    if raw.empty:
        return pd.DataFrame(columns=columns)
    raw["period_start"] = pd.to_datetime(raw["period_start"])
    themes, totals = _split_totals(raw, "period_start")
    names = _names(conn)
    keys = sorted(themes["theme_key"].unique().tolist(), key=lambda k: -themes.loc[themes["theme_key"] == k,
                                                                                   "documents"].sum())
    starts = pd.DatetimeIndex(buckets(period.start_ts, period.end_ts, grain))
    if not keys:
        return pd.DataFrame(columns=columns)
    grid = pd.MultiIndex.from_product([starts, keys], names=["period_start", "theme_key"])
    out = (themes.set_index(["period_start", "theme_key"])["documents"].reindex(grid, fill_value=0)
           .astype("int64").reset_index())
    out["total_documents"] = out["period_start"].map(totals).fillna(0).astype("int64")
    out["theme"] = out["theme_key"].map(names)
    n = out["total_documents"].to_numpy()
    k = out["documents"].to_numpy()
    out["share"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    cis = [stats.wilson_ci(int(a), int(b), s.confidence) for a, b in zip(k, n, strict=True)]
    out["share_low"] = [c.low for c in cis]
    out["share_high"] = [c.high for c in cis]
    ends = out["period_start"].map(lambda b: _bucket_end(b, grain))
    out["partial"] = partial_buckets(out["period_start"], ends, period, _texts_span(conn, kinds))
    out["small_n"] = out["total_documents"] < s.min_cell_n
    return out[columns]


def _texts_span(conn: Connection, kinds: tuple[str, ...] | None) -> tuple[dt.date | None, dt.date | None]:
    """The days texts of ``kinds`` were observed (tickets and/or survey responses)."""
    return observed_span(conn, *(s for s, kind in (("tickets", "ticket"), ("responses", "survey"))
                                 if kind in (kinds or KINDS)))


def _bucket_end(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "day":
        return start + pd.Timedelta(days=1)
    if grain == "week":
        return start + pd.Timedelta(days=7)
    return start + pd.offsets.MonthBegin(1)


def theme_anomalies(
    conn: Connection, *, period: Period, grain: str = "week", filters: Filters | None = None,
    kinds: tuple[str, ...] | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """Robust z of each theme's documents per bucket against the previous 28 days / 4 weeks / 6 months
    (the complaint anomaly detector, :func:`cx_metrics.metrics.complaints.robust_z`), flagged above 3.5.

    Columns: ``period_start``, ``theme_key``, ``theme``, ``documents``, ``baseline``, ``scale``, ``expected_low``,
    ``expected_high``, ``z``, ``is_anomaly`` (never on partial buckets), ``partial``, ``description``.
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")
    volume = theme_volume(conn, period=Period(history_start(period, grain).date(), period.end), grain=grain,
                          filters=filters, kinds=kinds, settings=settings)
    columns = ["period_start", "theme_key", "theme", "documents", "baseline", "scale", "expected_low",
               "expected_high", "z", "is_anomaly", "partial", "description"]
    if volume.empty:
        return pd.DataFrame(columns=columns)
    flagged = flag_anomalies(volume, count="documents", by="theme_key", grain=grain, period=period,
                             span=_texts_span(conn, kinds))
    return flagged[columns]


def theme_mix(
    conn: Connection, *, period: Period, by: str = "channel", filters: Filters | None = None,
    kinds: tuple[str, ...] | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """Share of each value's documents that carry each theme, against the theme's share overall.

    Columns: ``dimension``, ``theme_key``, ``theme``, ``documents``, ``dimension_documents``, ``share`` (0..1),
    ``ci_low``, ``ci_high`` (Wilson), ``overall_share``, ``lift`` (share / overall share), ``p_value`` (this
    value against all other values: two-proportion z-test), ``significant``, ``small_n``.
    """
    s = settings or Settings()
    if by not in MIX_DIMENSIONS:
        raise ValueError(f"by must be one of {MIX_DIMENSIONS}, got {by!r}")
    columns = ["dimension", "theme_key", "theme", "documents", "dimension_documents", "share", "ci_low", "ci_high",
               "overall_share", "lift", "p_value", "significant", "small_n"]
    raw = query(conn, "theme_mix", {**_params(period, filters, kinds), "by": by})
    themes, totals = _split_totals(raw, "dimension")
    if themes.empty:
        return pd.DataFrame(columns=columns)
    names = _names(conn)
    grand = int(totals.sum())
    per_theme = themes.groupby("theme_key")["documents"].sum()
    grid = pd.MultiIndex.from_product([sorted(totals.index), sorted(per_theme.index)],
                                      names=["dimension", "theme_key"])
    out = themes.set_index(["dimension", "theme_key"])["documents"].reindex(grid, fill_value=0).reset_index()
    out["dimension_documents"] = out["dimension"].map(totals).astype("int64")
    out["theme"] = out["theme_key"].map(names)
    rows = []
    for rec in out.to_dict("records"):
        k1, n1 = int(rec["documents"]), int(rec["dimension_documents"])
        kt = int(per_theme[rec["theme_key"]])
        ci = stats.wilson_ci(k1, n1, s.confidence)
        test = stats.two_proportion_test(k1, n1, kt - k1, grand - n1)
        overall = kt / grand if grand else math.nan
        rows.append({**rec, "share": k1 / n1 if n1 else math.nan, "ci_low": ci.low, "ci_high": ci.high,
                     "overall_share": overall, "lift": (k1 / n1) / overall if n1 and overall else math.nan,
                     "p_value": test.p_value, "significant": bool(test.p_value < s.alpha),
                     "small_n": n1 < s.min_cell_n})
    return pd.DataFrame(rows, columns=columns)


def emerging_themes(
    conn: Connection, *, period: Period, filters: Filters | None = None, kinds: tuple[str, ...] | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Themes whose share of documents grew against the previous period of equal length.

    The test is the exact conditional Poisson rate test of the theme's documents with the documents read in
    each period as exposure (so more tickets overall is not read as a growing theme). Columns: ``theme_key``,
    ``theme``, ``documents``, ``prev_documents``, ``share``, ``prev_share``, ``change`` (relative change of the
    share; NaN when none before), ``p_value``, ``significant``, ``status`` (new: none before and significant now;
    growing / declining: significant; stable), sorted new and growing first, then by the change. When the previous
    period is not inside the data the frame is empty and ``attrs['notes']`` says why.
    """
    s = settings or Settings()
    columns = ["theme_key", "theme", "documents", "prev_documents", "share", "prev_share", "change", "p_value",
               "significant", "status"]
    wanted = kinds or KINDS
    why = " ".join(dict.fromkeys(comparison_note(conn, period, source) for source, kind in
                                 (("tickets", "ticket"), ("responses", "survey")) if kind in wanted))
    if why.strip():
        return with_notes(pd.DataFrame(columns=columns), why.strip())
    params = {**(filters or Filters()).params(), "kinds": _kinds(kinds), **period.comparison_params()}
    raw = query(conn, "theme_periods", params)
    themes, totals = _split_totals(raw, "period")
    n1, n0 = int(totals.get("current", 0)), int(totals.get("previous", 0))
    if themes.empty or n1 == 0 or n0 == 0:
        return pd.DataFrame(columns=columns)
    names = _names(conn)
    counts = themes.pivot_table(index="theme_key", columns="period", values="documents", aggfunc="sum",
                                fill_value=0)
    rows = []
    for key, rec in counts.iterrows():
        k1, k0 = int(rec.get("current", 0)), int(rec.get("previous", 0))
        test = stats.poisson_rate_test(k1, n1, k0, n0)
        significant = bool(test.p_value < s.alpha)
        if k0 == 0 and k1 > 0 and significant:
            status = "new"
        elif significant:
            status = "growing" if test.delta > 0 else "declining"
        else:
            status = "stable"
        rows.append({"theme_key": int(key), "theme": names.get(int(key), str(key)), "documents": k1,  # type: ignore[call-overload]
                     "prev_documents": k0, "share": k1 / n1, "prev_share": k0 / n0, "change": test.delta,
                     "p_value": test.p_value, "significant": significant, "status": status})
    out = pd.DataFrame(rows, columns=columns)
    rank = out["status"].map({"new": 0, "growing": 1, "stable": 2, "declining": 3})
    size = out["change"].where(out["prev_documents"] > 0, np.inf).fillna(0)
    return out.assign(_r=rank, _s=-size).sort_values(["_r", "_s"]).drop(columns=["_r", "_s"]).reset_index(drop=True)


def _score(metric: str, good: np.ndarray, bad: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if metric == "nps":
            return np.where(n > 0, 100.0 * (good - bad) / n, np.nan)
        return np.where(n > 0, 100.0 * good / n, np.nan)


def impact_of(metric: str, theme: tuple[int, int, int], everyone: tuple[int, int, int], *,
              samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED,
              confidence: float = 0.95) -> dict[str, float]:
    """Impact of one theme on a score: score of all responses minus score without the theme's responses.

    ``theme`` and ``everyone`` are (responses, good, bad) counts: promoters/detractors for NPS, satisfied/
    (unused) for CSAT. The interval is a percentile bootstrap of the responses: resampling responses with
    replacement is resampling the six cells (in/out of the theme x good/neutral/bad) from a multinomial with
    the observed shares, done ``samples`` times with a seeded generator.
    """
    n_t, g_t, b_t = theme
    n, g, b = everyone
    if metric not in IMPACT_METRICS:
        raise ValueError(f"metric must be one of {IMPACT_METRICS}, got {metric!r}")
    if n <= 0 or not 0 <= n_t <= n or g_t + b_t > n_t or g + b > n or g_t > g or b_t > b:
        raise ValueError(f"inconsistent counts: theme {theme} within all responses {everyone}")
    n_r, g_r, b_r = n - n_t, g - g_t, b - b_t
    cells = np.array([g_t, b_t, n_t - g_t - b_t, g_r, b_r, n_r - g_r - b_r], dtype=float)
    score_all = float(_score(metric, np.array([g]), np.array([b]), np.array([n]))[0])
    without = float(_score(metric, np.array([g_r]), np.array([b_r]), np.array([n_r]))[0])
    draws = np.random.default_rng(seed).multinomial(n, cells / n, size=samples)
    g_all, b_all = draws[:, 0] + draws[:, 3], draws[:, 1] + draws[:, 4]
    rest_n = draws[:, 3:].sum(axis=1)
    boot = (_score(metric, g_all, b_all, np.full(samples, n))
            - _score(metric, draws[:, 3], draws[:, 4], rest_n))
    boot = boot[~np.isnan(boot)]
    alpha = 1 - confidence
    low, high = (np.quantile(boot, [alpha / 2, 1 - alpha / 2]) if len(boot) else (math.nan, math.nan))
    theme_score = float(_score(metric, np.array([g_t]), np.array([b_t]), np.array([n_t]))[0])
    return {"score": score_all, "score_without": without, "impact": score_all - without,
            "ci_low": float(low), "ci_high": float(high), "theme_score": theme_score}


def theme_impact(
    conn: Connection, *, period: Period, metric: str = "nps", filters: Filters | None = None,
    settings: Settings | None = None, samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """How much each theme moves NPS or CSAT: the score of every response in the period minus the score of the
    responses whose comment does not carry the theme (:func:`impact_of`), with a seeded bootstrap interval.

    Positive impact: the theme lifts the score; negative: it drags it down. Columns: ``theme_key``, ``theme``,
    ``responses`` (with the theme), ``share`` (of all responses), ``theme_score`` (score among them), ``score``
    (all responses), ``score_without``, ``impact`` (points), ``ci_low``, ``ci_high``, ``significant`` (interval
    excludes 0), ``small_n``, ``all_responses``. Sorted by impact, most negative first.
    """
    s = settings or Settings()
    if metric not in IMPACT_METRICS:
        raise ValueError(f"metric must be one of {IMPACT_METRICS}, got {metric!r}")
    params = {**(filters or Filters()).params(), "metric": metric, "start": period.start_ts, "end": period.end_ts,
              "top_boxes": s.csat_top_boxes}
    raw = query(conn, "theme_impact", params)
    columns = ["theme_key", "theme", "responses", "share", "theme_score", "score", "score_without", "impact",
               "ci_low", "ci_high", "significant", "small_n", "all_responses"]
    total = raw[raw["theme_key"].isna()]
    themes = raw[raw["theme_key"].notna()]
    if total.empty or int(total["responses"].iloc[0]) == 0 or themes.empty:
        return pd.DataFrame(columns=columns)
    good_col = "promoters" if metric == "nps" else "satisfied"
    t0 = total.iloc[0]
    everyone = (int(t0["responses"]), int(t0[good_col]), int(t0["detractors"]) if metric == "nps" else 0)
    names = _names(conn)
    rows = []
    for rec in themes.to_dict("records"):
        theme = (int(rec["responses"]), int(rec[good_col]), int(rec["detractors"]) if metric == "nps" else 0)
        res = impact_of(metric, theme, everyone, samples=samples, seed=seed, confidence=s.confidence)
        rows.append({"theme_key": int(rec["theme_key"]), "theme": names.get(int(rec["theme_key"])),
                     "responses": theme[0], "share": theme[0] / everyone[0], **res,
                     "significant": bool(res["ci_low"] > 0 or res["ci_high"] < 0),
                     "small_n": theme[0] < s.min_cell_n, "all_responses": everyone[0]})
    return pd.DataFrame(rows, columns=columns).sort_values("impact", kind="stable").reset_index(drop=True)


def product_requests(
    conn: Connection, *, period: Period, filters: Filters | None = None, kinds: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Tickets and comments that ask for a feature, grouped by what they ask for (see
    :func:`cx_metrics.text.requests.request_of`).

    Columns: ``request``, ``mentions`` (documents), ``customers``, ``tickets``, ``comments``, ``theme`` (the theme
    most of them carry), ``first_seen``, ``last_seen``, ``example`` (latest, redacted). Most asked first.
    """
    raw = query(conn, "theme_requests", _params(period, filters, kinds))
    names = _names(conn)
    raw["theme"] = [names.get(int(k)) if pd.notna(k) else None for k in raw["theme_key"]]
    raw["example"] = [redact(e) if isinstance(e, str) else e for e in raw["example"]]
    return raw[["request", "mentions", "customers", "tickets", "comments", "theme", "first_seen", "last_seen",
                "example"]]


def themes_behind(
    conn: Connection, *, period: Period, by: str = "category", value: str | None = None,
    filters: Filters | None = None, settings: Settings | None = None,
) -> pd.DataFrame:
    """The themes of the complaints behind a top mover: complaint tickets whose ``by`` dimension is ``value``,
    this period vs the previous one, per theme.

    Columns: ``theme_key``, ``theme``, ``complaints``, ``prev_complaints``, ``difference``, ``share_of_change``
    (the theme's difference / the mover's difference in complaints read by the model), ``change`` (relative),
    ``p_value`` (exact Poisson test on the two counts, equal-length periods), ``significant``. Sorted by the
    absolute difference. When the previous period is not inside the data the frame is empty and
    ``attrs['notes']`` says why.
    """
    s = settings or Settings()
    if by not in DIMENSIONS:
        raise ValueError(f"by must be one of {DIMENSIONS}, got {by!r}")
    columns = ["theme_key", "theme", "complaints", "prev_complaints", "difference", "share_of_change", "change",
               "p_value", "significant"]
    why = comparison_note(conn, period, "tickets", counts=True)
    if why:
        return with_notes(pd.DataFrame(columns=columns), why)
    params = {**(filters or Filters()).params(), **complaint_rule_params(s), **period.comparison_params(),
              "by": by, "value": value}
    raw = query(conn, "theme_behind", params)
    themes = raw[raw["theme_key"].notna()]
    if themes.empty:
        return pd.DataFrame(columns=columns)
    totals = raw[raw["theme_key"].isna()].set_index("period")["complaints"]
    total_diff = int(totals.get("current", 0)) - int(totals.get("previous", 0))
    counts = themes.pivot_table(index="theme_key", columns="period", values="complaints", aggfunc="sum",
                                fill_value=0)
    names = _names(conn)
    days = float(period.days)
    rows = []
    for key, rec in counts.iterrows():
        k1, k0 = int(rec.get("current", 0)), int(rec.get("previous", 0))
        test = stats.poisson_rate_test(k1, days, k0, days)
        rows.append({"theme_key": int(key), "theme": names.get(int(key)), "complaints": k1,  # type: ignore[call-overload]
                     "prev_complaints": k0, "difference": k1 - k0,
                     "share_of_change": (k1 - k0) / total_diff if total_diff else math.nan,
                     "change": test.delta, "p_value": test.p_value, "significant": bool(test.p_value < s.alpha)})
    out = pd.DataFrame(rows, columns=columns)
    return out.assign(_a=-out["difference"].abs()).sort_values(["_a", "theme_key"]).drop(columns="_a").reset_index(
        drop=True)


def theme_verbatims(
    conn: Connection, *, theme_key: int, period: Period, filters: Filters | None = None,
    kinds: tuple[str, ...] | None = None, limit: int = 500,
) -> pd.DataFrame:
    """The documents behind a theme, newest first, personal data redacted (safe to show and export).

    Columns: ``occurred_at``, ``kind``, ``source``, ``doc_id``, ``channel``, ``customer_id``, ``subject``,
    ``text``, ``metric``, ``score``.
    """
    frame = query(conn, "theme_verbatims", {**_params(period, filters, kinds), "theme_key": int(theme_key),
                                            "limit": int(limit)})
    for col in ("subject", "text"):
        frame[col] = [redact(v) if isinstance(v, str) else v for v in frame[col]]
    return frame
