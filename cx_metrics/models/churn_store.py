"""The churn-risk model on a database: its training and scoring frames read from DuckDB, the saved model and its
card, and training, checking and scoring (the estimator itself, which needs no database, is
:class:`cx_metrics.models.churn.ChurnRiskModel`).

Two modes, chosen from the data (and stated in the model card):

* **time-based snapshots** (tickets, surveys, activity and churn dates): features at a snapshot date are computed
  only from rows dated strictly before it (``sql/churn_features.sql``); label = churned within the next H days.
  Snapshots are split by time with a gap of H days between the splits, so no label window overlaps the next
  split: train (monthly snapshots) -> calibration (one snapshot) -> test (the latest snapshot whose H-day outcome
  is fully observed). The at-risk list scores the customers still there the day after the latest data.
* **customers only** (a CRM export with a churn flag and no dates, such as the IBM Telco file): no snapshot can
  be placed in time, so a stratified, seeded 60/20/20 split of customers is used; the label is the churn flag.

The model and its card (JSON and Markdown) are saved next to the database (``<db folder>/models``), reloaded
once per process, and retrained when the data version, the churn settings or scikit-learn change. The model file
is a joblib pickle: it is only ever read from that folder, which this program writes; never load one from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
import pandas as pd
import sklearn

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.db import Connection, query
from cx_metrics.filters import Filters
from cx_metrics.ingest.infer import identifier_columns
from cx_metrics.metrics import churn
from cx_metrics.metrics.complaints import complaint_rule_params
from cx_metrics.models.churn import (
    FEATURE_KINDS,
    MAX_TRAIN_ROWS,
    SEED,
    ChurnRiskModel,
    ModelError,
    Progress,
    feature_label,
)

#: attribute keys never used as features: they restate the outcome (or a personal identifier)
_LEAKY = ("churn", "cancel", "status", "exit", "closed", "terminated", "lost", "retention", "end_date", "enddate",
          "email", "phone", "name", "address")
SNAPSHOT_STEP_DAYS = 30
MIN_HISTORY_DAYS = 90
TRAIN_SNAPSHOTS = 12
#: 3: the saved model is a ChurnModel holding a fitted cx_metrics.models.churn.ChurnRiskModel
MODEL_VERSION = 3

OUTPUT_COLUMNS = ["customer_id", "risk", "rank", "reasons", "last_contact_at", "last_contact", "plan", "segment",
                  "region", "tenure_days", "open_tickets", "complaints_90d"]


@dataclass
class ChurnModel:
    """A fitted churn-risk estimator and its card (what it was trained on, how it did, its drivers)."""

    estimator: ChurnRiskModel
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def attribute_keys(self) -> list[str]:
        """The customer attributes among its features (read from the database when scoring)."""
        return [f for f in self.estimator.features_ if f.startswith("attr:")]


# --- where models live ---------------------------------------------------------------------------------------

def model_paths(settings: Settings) -> dict[str, Path]:
    """The model, its JSON card and its Markdown card, next to the database file (never the working directory)."""
    folder = settings.db_path.parent / "models"
    stem = f"{settings.db_path.stem}-churn"
    return {"model": folder / f"{stem}.joblib", "card": folder / f"{stem}.json", "card_md": folder / f"{stem}.md"}


def _settings_fingerprint(s: Settings) -> dict[str, Any]:
    return {"churn_mode": s.churn_mode, "churn_inactivity_days": s.churn_inactivity_days,
            "churn_horizon_days": s.churn_horizon_days, "complaint_rule": complaint_rule_params(s),
            "sla_resolution_hours": dict(sorted(s.sla_resolution_hours.items())), "csat_top_boxes": s.csat_top_boxes}


def read_card(settings: Settings) -> dict[str, Any] | None:
    path = model_paths(settings)["card"]
    if not path.is_file():
        return None
    try:
        card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return card


def model_status(conn: Connection, settings: Settings) -> tuple[str, str]:
    """("missing" | "stale" | "current", why). Stale when the data, the churn settings or scikit-learn changed."""
    card = read_card(settings)
    if card is None or not model_paths(settings)["model"].is_file():
        return "missing", "No churn model has been trained on this database yet."
    version = db.data_version(conn)
    if card.get("data_version") != version:
        return "stale", (f"The data changed since the model was trained (data version {card.get('data_version')} "
                         f"then, {version} now).")
    if card.get("settings") != json.loads(json.dumps(_settings_fingerprint(settings))):
        return "stale", "The churn, complaint or SLA settings changed since the model was trained."
    if card.get("sklearn_version") != sklearn.__version__ or card.get("model_version") != MODEL_VERSION:
        return "stale", "The model was trained with another scikit-learn or model version."
    return "current", f"Trained {card.get('trained_at', '?')} on data version {version}."


_LOADED: dict[str, tuple[float, ChurnModel]] = {}


def load_model(settings: Settings) -> ChurnModel | None:
    """The saved model (loaded once per process and file version); None when there is none."""
    path = model_paths(settings)["model"]
    if not path.is_file():
        return None
    mtime = path.stat().st_mtime
    cached = _LOADED.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        model = joblib.load(path)
    except (ImportError, AttributeError, pickle.UnpicklingError) as exc:  # saved by an earlier version
        raise ModelError(f"{path} was saved by an earlier version of this program; train the model again "
                         "(`cx churn train` or Train on the Churn page).") from exc
    if not isinstance(model, ChurnModel):
        raise ModelError(f"{path} is not a churn model saved by this program; delete it and train again.")
    _LOADED[str(path)] = (mtime, model)
    return model


def ensure_model(conn: Connection, settings: Settings, *, progress: Progress | None = None) -> ChurnModel:
    """The current model, retraining first when it is missing or stale."""
    status, _ = model_status(conn, settings)
    model = load_model(settings) if status == "current" else None
    if model is None:
        model = train(conn, settings, progress=progress)
    return model


# --- data ------------------------------------------------------------------------------------------------------

def _day(value: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(value.date(), dt.time())


def snapshot_plan(d: churn.ChurnDefinition, first_at: dt.datetime | None,
                  train_snapshots: int = TRAIN_SNAPSHOTS) -> dict[str, Any]:
    """Snapshot dates: test = the latest with a fully observed H-day outcome, calibration H days before it,
    training snapshots every 30 days from H days before calibration back (at most ``train_snapshots``, none before
    90 days of history). The H-day gaps keep every label window inside its own split."""
    if d.as_of is None:
        raise ModelError("The database holds no dated data; import tickets, surveys or customers first.")
    h = dt.timedelta(days=d.horizon_days)
    # in activity mode a lapse is declared N days after the last activity, so labels are observable up to as_of
    test = _day(d.as_of) - h
    cal = test - h
    earliest = _day(first_at) + dt.timedelta(days=MIN_HISTORY_DAYS) if first_at else cal
    train = [cal - h - dt.timedelta(days=SNAPSHOT_STEP_DAYS * i) for i in range(train_snapshots)]
    train = sorted(x for x in train if x >= earliest)
    return {"train": train, "calibration": cal, "test": test, "score": _day(d.as_of) + dt.timedelta(days=1)}


def _feature_params(d: churn.ChurnDefinition, s: Settings, filters: Filters | None) -> dict[str, Any]:
    # the activity mode declares a lapse N days after the last activity: that is when churn becomes known
    declare = d.inactivity_days if d.mode == "activity" else 0
    obs_end = d.as_of if d.mode == "activity" else d.obs_end
    return {**(filters or Filters()).params(), **d.params(),
            "obs_end": (obs_end - dt.timedelta(days=declare)) if obs_end else dt.datetime(1970, 1, 1),
            **complaint_rule_params(s), "declare_days": declare, "horizon_days": d.horizon_days,
            "targets": {str(k): float(v) for k, v in s.sla_resolution_hours.items()},
            "top_boxes": s.csat_top_boxes}


def snapshot_features(conn: Connection, snapshots: list[dt.datetime], *, settings: Settings | None = None,
                      filters: Filters | None = None, definition_: churn.ChurnDefinition | None = None,
                      sample_mod: int = 1) -> pd.DataFrame:
    """Features and labels per snapshot x customer (columns of ``sql/churn_features.sql``); ``sample_mod`` > 1
    keeps a deterministic 1 in ``sample_mod`` of the rows."""
    s = settings or Settings()
    d = definition_ or churn.definition(conn, s)
    return query(conn, "churn_features", {**_feature_params(d, s, filters), "snapshots": snapshots,
                                          "sample_mod": sample_mod})


def _attributes(conn: Connection) -> pd.DataFrame:
    """Customer attributes, one column per usable key (wide), indexed by customer_id."""
    long = query(conn, "customer_attributes")
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="customer_id"))
    long = long[~long["key"].str.lower().str.contains("|".join(_LEAKY), regex=True)]
    wide = long.pivot_table(index="customer_id", columns="key", values="value", aggfunc="first")
    wide.columns = [f"attr:{c}" for c in wide.columns]
    return wide


def _attribute_kinds(wide: pd.DataFrame) -> dict[str, str]:
    kinds: dict[str, str] = {}
    # identifiers are never inputs: row counters, values unique per customer, hashes, names, e-mail addresses
    keys = set(identifier_columns(wide.rename(columns=lambda c: str(c).removeprefix("attr:"))))
    for col in wide.columns:
        if str(col).removeprefix("attr:") in keys:
            continue
        values = wide[col].dropna()
        if values.empty:
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().mean() >= 0.95:
            kinds[col] = "numeric"
        elif values.nunique() <= 1000 and values.nunique() < 0.5 * len(values):
            kinds[col] = "categorical"  # identifiers and free text (mostly unique values) are left out
    return kinds


# --- training --------------------------------------------------------------------------------------------------

def _report(progress: Progress | None, fraction: float, text: str) -> None:
    if progress is not None:
        progress(fraction, text)


def train(conn: Connection, settings: Settings | None = None, *, progress: Progress | None = None,
          train_snapshots: int = TRAIN_SNAPSHOTS, max_train_rows: int = MAX_TRAIN_ROWS, seed: int = SEED,
          save: bool = True) -> ChurnModel:
    """Read the features, fit, calibrate, evaluate and explain the estimator, write its card and (by default) save
    both."""
    s = settings or Settings()
    started = dt.datetime.now(dt.UTC)
    _report(progress, 0.02, "Reading the churn definition")
    d = churn.definition(conn, s)
    if d.customers == 0:
        raise ModelError("The database holds no customers; import a customer (CRM) export or run `cx demo`.")
    info = query(conn, "churn_as_of").iloc[0]
    first_at = None if pd.isna(info["first_at"]) else pd.Timestamp(info["first_at"]).to_pydatetime()
    version = db.data_version(conn)
    notes: list[str] = []
    plan: dict[str, Any] = {}
    timed = d.timed and first_at is not None
    if timed:
        plan = snapshot_plan(d, first_at, train_snapshots)
        if not plan["train"]:
            timed = False
            notes.append("The data spans too little time for training snapshots before the calibration and test "
                         "snapshots, so the customers-only mode is used.")
    _report(progress, 0.08, "Computing features at each snapshot (only what was known before it)")
    attrs = _attributes(conn)
    if timed:
        # large bases: sample customer x snapshot rows in DuckDB so the training frame stays bounded in memory
        sample_mod = max(1, math.ceil(d.customers * len(plan["train"]) / max_train_rows))
        if sample_mod > 1:
            notes.append(f"Training rows: a deterministic 1 in {sample_mod} sample of customer x snapshot rows "
                         f"(at most about {max_train_rows:,}); calibration and test use every customer.")
        frame = pd.concat([
            snapshot_features(conn, plan["train"], settings=s, definition_=d, sample_mod=sample_mod),
            snapshot_features(conn, [plan["calibration"], plan["test"]], settings=s, definition_=d),
        ], ignore_index=True)
        frame["split"] = np.where(frame["snapshot_at"] == pd.Timestamp(plan["test"]), "test",
                                  np.where(frame["snapshot_at"] == pd.Timestamp(plan["calibration"]), "calibration",
                                           "train"))
        mode = "time-based snapshots"
    else:
        frame = query(conn, "churn_customers_only", {**Filters().params(),
                                                     "as_of": d.as_of or dt.datetime.now(dt.UTC).replace(tzinfo=None)})
        frame["snapshot_at"] = pd.NaT
        from sklearn.model_selection import train_test_split

        idx = np.arange(len(frame))
        y_all = frame["label"].to_numpy(dtype=int)
        if len(np.unique(y_all)) < 2 or min(np.bincount(y_all)) < 10:
            raise ModelError("Too few churned (or too few retained) customers to train a model: at least 10 of each "
                             "are needed. Import customers with a churn flag or churn dates.")
        rest, test_idx = train_test_split(idx, test_size=0.2, stratify=y_all, random_state=seed)
        train_idx, cal_idx = train_test_split(rest, test_size=0.25, stratify=y_all[rest], random_state=seed)
        split = np.empty(len(frame), dtype=object)
        split[train_idx], split[cal_idx], split[test_idx] = "train", "calibration", "test"
        frame["split"] = split
        mode = "customers only"
        notes.append("Customers-only data: no churn dates or history to place snapshots in time, so the model is "
                     "trained on a stratified, seeded 60/20/20 split of customers (not a time-based split), with "
                     "the churn flag as label and the customers' own fields as features.")
    if len(attrs.columns):
        frame = frame.merge(attrs, left_on="customer_id", right_index=True, how="left")
    kinds = _attribute_kinds(attrs) if len(attrs.columns) else {}
    estimator = ChurnRiskModel({**FEATURE_KINDS, **kinds}, max_train_rows=max_train_rows, random_state=seed)
    estimator.fit(frame, progress=progress)
    notes += estimator.notes_
    metrics = estimator.metrics_
    card = {
        "model_version": MODEL_VERSION, "trained_at": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "db_path": str(s.db_path), "data_version": version, "mode": mode,
        "definition": d.describe(), "horizon_days": d.horizon_days,
        "label": (f"churned within {d.horizon_days} days after the snapshot" if timed
                  else "flagged churned (customers-only data)"),
        "snapshots": ({k: ([x.strftime("%Y-%m-%d") for x in v] if isinstance(v, list) else v.strftime("%Y-%m-%d"))
                       for k, v in plan.items()} if timed else {}),
        "data_window": ({"first": first_at.strftime("%Y-%m-%d") if first_at else None,
                         "last": d.as_of.strftime("%Y-%m-%d") if d.as_of else None}),
        "split": estimator.split_,
        "features": [{"name": f, "label": feature_label(f),
                      "kind": "categorical" if f in estimator.categories_ else "numeric"} for f in estimator.features_],
        "estimator": {"kind": "HistGradientBoostingClassifier", "iterations": estimator.n_iter_,
                      "calibration": f"CalibratedClassifierCV({estimator.calibration_method_}) on the calibration "
                                     "split",
                      "class_weight": "none (reweighting would break calibration)", "seed": seed},
        "metrics": metrics, "reliability": estimator.reliability_, "importance": estimator.importance_,
        "notes": notes, "settings": json.loads(json.dumps(_settings_fingerprint(s))),
        "sklearn_version": sklearn.__version__,
    }
    model = ChurnModel(estimator=estimator, card=card)
    if save:
        _report(progress, 0.92, "Saving the model and its card")
        save_model(model, s)
    _report(progress, 1.0, f"Trained: ROC-AUC {metrics['roc_auc']:.3f} on the held-out {mode} test split")
    return model

def save_model(model: ChurnModel, settings: Settings) -> None:
    paths = model_paths(settings)
    paths["model"].parent.mkdir(parents=True, exist_ok=True)
    tmp = paths["model"].with_suffix(".tmp")
    joblib.dump(model, tmp)
    tmp.replace(paths["model"])
    paths["card"].write_text(json.dumps(model.card, indent=2, default=str), encoding="utf-8")
    paths["card_md"].write_text(card_markdown(model.card), encoding="utf-8")
    _LOADED.pop(str(paths["model"]), None)


def card_markdown(card: dict[str, Any]) -> str:
    """The model card as Markdown (saved next to the model, shown on the page)."""
    m = card["metrics"]
    lines = [
        "# Churn-risk model card", "",
        f"- trained: {card['trained_at']} on `{card['db_path']}` (data version {card['data_version']})",
        f"- mode: **{card['mode']}**; label: {card['label']}",
        f"- churn definition: {card['definition']}",
        f"- data window: {card['data_window'].get('first')} to {card['data_window'].get('last')}",
    ]
    if card.get("snapshots"):
        snaps = card["snapshots"]
        lines.append(f"- snapshots: train {', '.join(snaps['train'])}; calibration {snaps['calibration']}; "
                     f"test {snaps['test']}; scoring {snaps['score']}")
    split = card["split"]
    lines += [
        f"- rows (churned): train {split['train']:,} ({split['train_positives']:,}), calibration "
        f"{split['calibration']:,} ({split['calibration_positives']:,}), test {split['test']:,} "
        f"({split['test_positives']:,})",
        f"- estimator: {card['estimator']['kind']} ({card['estimator']['iterations']} iterations), "
        f"{card['estimator']['calibration']}; class weights: {card['estimator']['class_weight']}",
        "", "## Held-out test split", "",
        "| ROC-AUC | PR-AUC | Brier | Brier before calibration | base rate | top-decile churn | top-decile lift |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m['brier']:.4f} | {m['brier_uncalibrated']:.4f} | "
        f"{m['base_rate']:.1%} | {m['top_decile_rate']:.1%} | {m['top_decile_lift']:.2f}x |",
        "", "## Global drivers (permutation importance: drop in ROC-AUC)", "",
        *[f"- {r['label']}: {r['importance']:.4f} ± {r['std']:.4f}" for r in card["importance"][:12]],
        "", "## Features", "", ", ".join(f["label"] for f in card["features"]),
    ]
    if card.get("notes"):
        lines += ["", "## Notes", "", *[f"- {n}" for n in card["notes"]]]
    return "\n".join(lines) + "\n"


# --- scoring ---------------------------------------------------------------------------------------------------

def _score_frame(conn: Connection, model: ChurnModel, s: Settings, filters: Filters | None
                 ) -> tuple[pd.DataFrame, dt.datetime]:
    d = churn.definition(conn, s)
    if model.card.get("mode") == "time-based snapshots":
        if d.as_of is None:
            raise ModelError("The database holds no dated data to score.")
        at = _day(d.as_of) + dt.timedelta(days=1)
        frame = snapshot_features(conn, [at], settings=s, filters=filters, definition_=d)
    else:
        at = d.as_of or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        frame = query(conn, "churn_customers_only", {**(filters or Filters()).params(), "as_of": at})
        frame = frame[~frame["label"]]  # customers flagged churned are gone; score the others
    if model.attribute_keys:
        attrs = _attributes(conn)
        keep = [c for c in model.attribute_keys if c in attrs.columns]
        frame = frame.merge(attrs[keep], left_on="customer_id", right_index=True, how="left")
    return frame.reset_index(drop=True), at


def predict(model: ChurnModel, frame: pd.DataFrame) -> np.ndarray:
    """Calibrated churn probability within the horizon for each row of a feature frame."""
    if frame.empty:
        return np.zeros(0)
    proba: np.ndarray = model.estimator.predict_proba(frame)[:, 1]
    return proba


def score(conn: Connection, settings: Settings | None = None, *, model: ChurnModel | None = None,
          filters: Filters | None = None, top: int | None = None, reasons_for: int = 500) -> pd.DataFrame:
    """Customers still there, ranked by calibrated churn risk within the horizon, with reasons and last contact.

    Columns: ``customer_id``, ``risk`` (0..1), ``rank``, ``reasons`` (for the ``reasons_for`` riskiest customers;
    empty below), ``last_contact_at``, ``last_contact``, ``plan``, ``segment``, ``region``, ``tenure_days``,
    ``open_tickets``, ``complaints_90d``. ``top`` keeps the first rows only.
    """
    s = settings or Settings()
    model = model or load_model(s)
    if model is None:
        raise ModelError("No churn model yet: train one with `cx churn train` or on the Churn page.")
    frame, at = _score_frame(conn, model, s, filters)
    frame["risk"] = predict(model, frame)
    frame = frame.sort_values(["risk", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    if top is not None:
        frame = frame.head(top)
    explained = frame.head(reasons_for)
    frame["reasons"] = [*model.estimator.reasons(explained), *[""] * (len(frame) - len(explained))]
    ids = frame["customer_id"].head(max(reasons_for, top or 0)).astype(str).tolist()
    contact = query(conn, "churn_last_contact", {"ids": ids, "as_of": at})
    frame = frame.merge(contact, on="customer_id", how="left")
    for col in OUTPUT_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    return frame[OUTPUT_COLUMNS]

