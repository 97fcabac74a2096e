"""The churn-risk estimator: who is likely to leave in the next H days, how sure we are, and why.

A scikit-learn estimator (:class:`ChurnRiskModel`) that knows nothing of the database: it is fitted on a feature
frame (one row per customer, or per customer x snapshot, with the columns of ``sql/churn_features.sql`` and any
customer attributes), the labels and each row's split (``train`` / ``calibration`` / ``test``). Reading those
frames from DuckDB, the model card and saving the model are :mod:`cx_metrics.models.churn_store`'s.

Model: scikit-learn ``HistGradientBoostingClassifier`` (no class reweighting, which would break calibration),
calibrated on the calibration split with ``CalibratedClassifierCV`` over the frozen booster (sigmoid; isotonic
only with a very large calibration split). Reported on the test split: ROC-AUC, PR-AUC (average precision), Brier
score, top-decile lift and a reliability table; global drivers by permutation importance (ROC-AUC drop);
per-customer reasons by how much the calibrated risk falls when one feature is set to its typical value.

Only ``sklearn.base`` is imported with the module: the parts that fit are imported by :meth:`ChurnRiskModel.fit`
(they cost a noticeable share of the start-up of every process that imports the store).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

Progress = Callable[[float, str], None]

NUMERIC = ["tenure_days", "tickets_30d", "tickets_90d", "complaints_90d", "open_tickets", "aged_open_tickets",
           "sla_breaches_90d", "reopens_90d", "handoffs_90d", "complaints_365d", "bad_complaints_365d",
           "days_since_ticket", "csat_responses_90d",
           "bad_csat_90d", "days_since_nps", "activity_90d", "days_since_activity"]
CATEGORICAL = ["plan", "segment", "region", "acquisition_channel", "generation", "last_nps_group"]
LABELS = {
    "tenure_days": "tenure (days)", "tickets_30d": "tickets in the last 30 days",
    "tickets_90d": "tickets in the last 90 days", "complaints_90d": "complaints in the last 90 days",
    "open_tickets": "open tickets", "aged_open_tickets": "tickets open for more than 7 days",
    "sla_breaches_90d": "resolution SLA breaches (90 days)", "reopens_90d": "reopens (90 days)",
    "handoffs_90d": "handoffs (90 days)", "complaints_365d": "complaints in the last year",
    "bad_complaints_365d": "badly handled complaints in the last year",
    "days_since_ticket": "days since the last ticket",
    "csat_responses_90d": "CSAT answers (90 days)", "bad_csat_90d": "unsatisfied CSAT answers (90 days)",
    "days_since_nps": "days since the last NPS answer", "activity_90d": "activity events (90 days)",
    "days_since_activity": "days since the last activity", "plan": "plan", "segment": "segment", "region": "region",
    "acquisition_channel": "acquisition channel", "generation": "generation", "last_nps_group": "latest NPS answer",
}
#: the candidate features of the SQL feature frame and their kind; customer attributes are added per database
FEATURE_KINDS: dict[str, str] = {**{f: "numeric" for f in NUMERIC}, **{f: "categorical" for f in CATEGORICAL}}
#: support-experience features (the ones a CX team can act on)
SUPPORT_FEATURES = ("complaints_90d", "complaints_365d", "bad_complaints_365d", "open_tickets", "aged_open_tickets",
                    "sla_breaches_90d", "reopens_90d",
                    "handoffs_90d", "bad_csat_90d", "last_nps_group", "tickets_30d", "tickets_90d")
MAX_LEVELS = 50
MAX_TRAIN_ROWS = 400_000
MAX_IMPORTANCE_ROWS = 5_000
SEED = 7


class ModelError(ValueError):
    """The model cannot be trained or used on this data; the message says why and what to do."""


def feature_label(name: str) -> str:
    return name.removeprefix("attr:") if name.startswith("attr:") else LABELS.get(name, name)


def one_thread() -> Any:
    """Prediction on one OpenMP thread: many short predict calls on a busy machine are 5-20x faster than with
    threads spinning for cores other processes hold (measured in bench/bench_churn.py)."""
    return threadpool_limits(limits=1, user_api="openmp")


class ChurnRiskModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Calibrated gradient boosting over a customer feature frame.

    Parameters are the candidate features (``feature_kinds``: column -> ``"numeric"`` / ``"categorical"``; None:
    :data:`FEATURE_KINDS`), the booster's hyper-parameters, the cap on training rows (a seeded sample above it)
    and the seed. :meth:`fit` takes the whole frame with each row's split and learns, besides the calibrated
    model (``estimator_``): ``features_`` (the candidates that vary), ``categories_`` (training levels of the
    categorical ones), ``reference_`` (typical value per feature), ``n_iter_``, ``calibration_method_``,
    ``metrics_`` / ``reliability_`` / ``importance_`` on the test split, ``split_`` (rows and positives per split)
    and ``notes_``.
    """

    def __init__(self, feature_kinds: Mapping[str, str] | None = None, *, learning_rate: float = 0.1,
                 max_iter: int = 150, max_depth: int = 3, min_samples_leaf: int = 100,
                 l2_regularization: float = 1.0, max_train_rows: int = MAX_TRAIN_ROWS,
                 random_state: int = SEED) -> None:
        self.feature_kinds = feature_kinds
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_train_rows = max_train_rows
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any = None, split: Any = None, *,
            progress: Progress | None = None) -> Self:
        """Fit on the ``train`` rows, calibrate on the ``calibration`` rows, evaluate and explain on the ``test``
        rows. ``y`` (churned: 1/0) and ``split`` default to the frame's ``label`` and ``split`` columns."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.frozen import FrozenEstimator

        labels = (X["label"] if y is None else pd.Series(np.asarray(y))).to_numpy(dtype=int)
        parts = np.asarray(X["split"] if split is None else split, dtype=object)
        kinds = dict(FEATURE_KINDS if self.feature_kinds is None else self.feature_kinds)
        # features without any information (all missing or a single value) are dropped
        features = [f for f in kinds if f in X.columns and X[f].nunique(dropna=True) > 1]
        categorical = {f for f in features if kinds[f] == "categorical"}
        seed = self.random_state
        notes: list[str] = []
        train_at = np.flatnonzero(parts == "train")
        if len(train_at) > self.max_train_rows:
            train_at = pd.Series(train_at).sample(self.max_train_rows, random_state=seed).to_numpy()
            notes.append(f"Training rows sampled to {self.max_train_rows:,} (seeded).")
        rows = {"train": train_at, "calibration": np.flatnonzero(parts == "calibration"),
                "test": np.flatnonzero(parts == "test")}
        for name, at in (("training", rows["train"]), ("calibration", rows["calibration"]), ("test", rows["test"])):
            if not len(at) or len(np.unique(labels[at])) < 2:
                raise ModelError(f"The {name} split has no churned customers or no retained ones, so the model "
                                 f"cannot be {'trained' if name == 'training' else 'checked'}. More history (or "
                                 "more customers) is needed.")
        train_rows = X.iloc[rows["train"]]
        categories = {f: _levels(train_rows[f]) for f in features if f in categorical}
        x_train, y_train = _matrix(train_rows, features, categories), labels[rows["train"]]
        x_cal, y_cal = _matrix(X.iloc[rows["calibration"]], features, categories), labels[rows["calibration"]]
        x_test, y_test = _matrix(X.iloc[rows["test"]], features, categories), labels[rows["test"]]
        _report(progress, 0.35, f"Fitting gradient boosting on {len(x_train):,} rows x {len(features)} features")
        booster = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate, max_iter=self.max_iter, max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            early_stopping=True, validation_fraction=0.15, n_iter_no_change=20, categorical_features="from_dtype",
            random_state=seed)
        booster.fit(x_train, y_train)
        _report(progress, 0.6, f"Calibrating on {len(x_cal):,} rows")
        # Platt scaling keeps the booster's ranking and is stable on a few thousand rows; isotonic regression needs
        # many more (on small calibration sets it puts a few customers on spurious high steps)
        method = "isotonic" if len(y_cal) >= 50_000 and y_cal.sum() >= 2_000 else "sigmoid"
        calibrated = CalibratedClassifierCV(FrozenEstimator(booster), method=method)
        with one_thread():
            calibrated.fit(x_cal, y_cal)
            _report(progress, 0.7, f"Evaluating on {len(x_test):,} held-out rows")
            p_test = calibrated.predict_proba(x_test)[:, 1]
            p_raw = booster.predict_proba(x_test)[:, 1]
        metrics = _metrics(y_test, p_test)
        metrics["brier_uncalibrated"] = float(np.mean((p_raw - y_test) ** 2))
        metrics["train_rows"], metrics["calibration_rows"] = float(len(y_train)), float(len(y_cal))
        _report(progress, 0.78, "Permutation importance (global drivers)")
        self.estimator_ = calibrated
        self.importance_ = _importance(calibrated, x_test, y_test, seed)
        self.reference_ = {f: (_mode(x_train[f]) if f in categories else float(np.nanmedian(x_train[f]))
                               if x_train[f].notna().any() else math.nan) for f in features}
        self.features_, self.categories_ = features, categories
        self.classes_ = np.array([0, 1])
        self.n_iter_, self.calibration_method_ = int(booster.n_iter_), method
        self.metrics_, self.reliability_ = metrics, _reliability(y_test, p_test)
        self.split_ = {"train": len(y_train), "calibration": len(y_cal), "test": len(y_test),
                       "train_positives": int(y_train.sum()), "calibration_positives": int(y_cal.sum()),
                       "test_positives": int(y_test.sum())}
        self.notes_ = notes
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(retained, churned) calibrated probabilities within the horizon, one row per row of ``X``."""
        check_is_fitted(self)
        if X.empty:
            return np.zeros((0, 2))
        with one_thread():
            proba: np.ndarray = self.estimator_.predict_proba(_matrix(X, self.features_, self.categories_))
        return proba

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where churn within the horizon is more likely than not."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def reasons(self, X: pd.DataFrame, top: int = 3, min_points: float = 0.5) -> list[str]:
        """Per row: the features whose typical value would lower the risk most (at least ``min_points`` points),
        as text such as ``open tickets: 3 (typical 0) +4.1 pts``."""
        check_is_fitted(self)
        if X.empty:
            return []
        x = _matrix(X, self.features_, self.categories_)
        with one_thread():
            return self._reasons(x, top, min_points)

    def _reasons(self, x: pd.DataFrame, top: int, min_points: float) -> list[str]:
        base = self.estimator_.predict_proba(x)[:, 1]
        drops = np.zeros((len(x), len(self.features_)))
        for j, f in enumerate(self.features_):
            ref = self.reference_.get(f)
            if ref is None or (isinstance(ref, float) and math.isnan(ref)):
                continue
            changed = x.copy()
            if f in self.categories_:
                changed[f] = pd.Categorical([ref] * len(x), categories=self.categories_[f])
            else:
                changed[f] = float(ref)
            drops[:, j] = base - self.estimator_.predict_proba(changed)[:, 1]
        out = []
        for i in range(len(x)):
            order = np.argsort(-drops[i], kind="stable")[:top]
            parts = []
            for j in order:
                if drops[i, j] * 100 < min_points:
                    break
                f = self.features_[j]
                value = x.iloc[i][f]
                parts.append(f"{feature_label(f)}: {_fmt(value)} (typical {_fmt(self.reference_[f])}) "
                             f"+{drops[i, j] * 100:.1f} pts")
            out.append("; ".join(parts) if parts else "no single factor stands out")
        return out


def _report(progress: Progress | None, fraction: float, text: str) -> None:
    if progress is not None:
        progress(fraction, text)


def _matrix(frame: pd.DataFrame, features: list[str], categories: dict[str, list[str]]) -> pd.DataFrame:
    """The model's input: numbers as floats, categories as pandas categoricals with the training levels."""
    out = pd.DataFrame(index=frame.index)
    for col in features:
        values = frame[col] if col in frame.columns else pd.Series(np.nan, index=frame.index)
        if col in categories:
            levels = categories[col]
            text = values.astype("string").fillna("(missing)")
            text = text.where(text.isin(levels), "(other)")
            out[col] = pd.Categorical(text.astype(str), categories=levels)
        else:
            out[col] = pd.to_numeric(values, errors="coerce").astype(float)
    return out


def _levels(values: pd.Series) -> list[str]:
    counts = values.astype("string").fillna("(missing)").value_counts()
    top = [str(v) for v in counts.index[:MAX_LEVELS]]
    return sorted({*top, "(other)", "(missing)"})


def _mode(values: pd.Series) -> str:
    counts = values.astype(str).value_counts()
    return str(counts.index[0]) if len(counts) else "(missing)"


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    base = float(y.mean()) if len(y) else math.nan
    out = {"rows": float(len(y)), "positives": float(y.sum()), "base_rate": base,
           "roc_auc": math.nan, "pr_auc": math.nan, "brier": math.nan, "top_decile_rate": math.nan,
           "top_decile_lift": math.nan, "mean_predicted": float(p.mean()) if len(p) else math.nan}
    if len(np.unique(y)) < 2:
        return out
    order = np.argsort(-p, kind="stable")
    top = order[: max(1, len(y) // 10)]
    out.update({"roc_auc": float(roc_auc_score(y, p)), "pr_auc": float(average_precision_score(y, p)),
                "brier": float(brier_score_loss(y, p)), "top_decile_rate": float(y[top].mean()),
                "top_decile_lift": float(y[top].mean() / base) if base > 0 else math.nan})
    return out


def _reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Calibration table: customers by predicted-risk decile, mean predicted vs observed churn."""
    if len(y) == 0:
        return []
    order = np.argsort(p, kind="stable")
    rows = []
    for part in np.array_split(order, bins):
        if len(part):
            rows.append({"n": float(len(part)), "predicted": float(p[part].mean()), "observed": float(y[part].mean())})
    return rows


def _importance(estimator: Any, x: pd.DataFrame, y: np.ndarray, seed: int) -> list[dict[str, Any]]:
    from sklearn.inspection import permutation_importance

    if len(x) > MAX_IMPORTANCE_ROWS:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(x), MAX_IMPORTANCE_ROWS, replace=False))
        x, y = x.iloc[keep], y[keep]
    with one_thread():
        result = permutation_importance(estimator, x, y, scoring="roc_auc", n_repeats=3, random_state=seed,
                                        n_jobs=1)
    rows = [{"feature": f, "label": feature_label(f), "importance": float(m), "std": float(sd),
             "support": f in SUPPORT_FEATURES}
            for f, m, sd in zip(x.columns, result.importances_mean, result.importances_std, strict=True)]
    return sorted(rows, key=lambda r: -r["importance"])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "none"
        return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"
    return str(value)
