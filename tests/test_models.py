"""The estimators follow scikit-learn's conventions and need no database: ``__init__`` only stores
hyper-parameters (``get_params`` / ``set_params`` / ``clone`` work), ``fit`` returns the estimator, what it learns
ends in ``_``, and predicting or transforming before fitting raises scikit-learn's ``NotFittedError``. Models saved by
an earlier version of the program are refused with a sentence that says to fit again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from cx_metrics.config import Settings
from cx_metrics.models import churn_store, theme_store
from cx_metrics.models.churn import ChurnRiskModel, ModelError
from cx_metrics.models.themes import ThemeError, ThemeModel

TOPICS = {
    "billing": "charged twice invoice refund payment card",
    "login": "password login locked reset signin credentials",
    "delivery": "parcel courier tracking late package shipment",
}


def _customers(n: int = 3_000, seed: int = 1) -> pd.DataFrame:
    """A feature frame whose churn rises with open tickets and complaints, split 60/20/20 by row."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "open_tickets": rng.poisson(1.0, n), "complaints_90d": rng.poisson(0.5, n),
        "tenure_days": rng.integers(30, 2_000, n).astype(float),
        "plan": rng.choice(["basic", "pro", "team"], n), "region": "EU",  # one value: no information
    })
    logit = -2.5 + 0.8 * frame["open_tickets"] + 0.9 * frame["complaints_90d"]
    frame["label"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame["split"] = np.array(["train", "calibration", "test"])[np.searchsorted([0.6, 0.8], rng.random(n))]
    return frame


def _texts(n: int = 240, seed: int = 2) -> list[str]:
    rng = np.random.default_rng(seed)
    words = {k: v.split() for k, v in TOPICS.items()}
    return [" ".join(rng.choice(words[list(TOPICS)[i % 3]], 5)) + f" order {i}" for i in range(n)]


def test_init_only_stores_parameters() -> None:
    for estimator in (ChurnRiskModel(max_depth=4, random_state=3), ThemeModel(n_themes=5, random_state=3)):
        assert vars(estimator) == estimator.get_params()  # nothing but the hyper-parameters
        copy = clone(estimator).set_params(random_state=11)
        assert copy.get_params()["random_state"] == 11 and estimator.get_params()["random_state"] == 3


def test_predicting_before_fitting_raises_not_fitted() -> None:
    frame = _customers(50)
    for call in (ChurnRiskModel().predict_proba, ChurnRiskModel().predict, ChurnRiskModel().reasons):
        with pytest.raises(NotFittedError):
            call(frame)
    with pytest.raises(NotFittedError):
        ThemeModel().transform(["a text"])


def test_churn_estimator_fits_without_a_database() -> None:
    frame = _customers()
    estimator = ChurnRiskModel(random_state=5)
    before = set(vars(estimator))
    assert estimator.fit(frame) is estimator
    learned = set(vars(estimator)) - before
    assert learned and all(name.endswith("_") for name in learned)
    assert "region" not in estimator.features_ and {"open_tickets", "plan"} <= set(estimator.features_)
    assert estimator.split_["train"] + estimator.split_["calibration"] + estimator.split_["test"] == len(frame)
    assert estimator.metrics_["roc_auc"] > 0.7  # the planted effect is found
    proba = estimator.predict_proba(frame.head(20))
    assert proba.shape == (20, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(estimator.predict(frame.head(20))) <= {0, 1}
    # y and split may be given apart from the frame, as scikit-learn's fit(X, y) takes them
    again = ChurnRiskModel(random_state=5).fit(frame.drop(columns=["label", "split"]), frame["label"], frame["split"])
    np.testing.assert_array_equal(again.predict_proba(frame.head(50)), estimator.predict_proba(frame.head(50)))
    # no churned customer in a split is a clear error
    with pytest.raises(ModelError, match="calibration split has no churned"):
        ChurnRiskModel().fit(frame.assign(label=np.where(frame["split"] == "calibration", False, frame["label"])))


def test_theme_estimator_fits_without_a_database() -> None:
    texts = _texts()
    model = ThemeModel(n_themes=3, random_state=4)
    before = set(vars(model))
    assert model.fit(texts) is model
    learned = set(vars(model)) - before
    assert learned and all(name.endswith("_") for name in learned)
    assert model.components_.shape[0] == 3 and model.n_documents_ == len(texts)
    assert model.matches_ == {} and model.pinned_keys_ == []  # no catalogue given: every theme is new
    labels = {label.split(" · ")[0] for label in model.labels_}
    assert len(labels) == 3
    weights = model.transform(["my parcel is late, where is the courier"])
    assert weights.shape == (1, 3)
    rows, topics, _ = model.assign(["my parcel is late, where is the courier", "reset my password please"])
    assert set(rows) == {0, 1} and len(set(topics)) == 2
    # a catalogue theme the refit finds keeps its key; a pinned one it does not find is kept as a fixed topic
    known = {10: model.term_weights_[0], 11: {"unrelated": 1.0, "words": 0.5}}
    refit = ThemeModel(n_themes=3, random_state=9).fit(texts, known=known, pinned={11})
    assert [key for key, _ in refit.matches_.values()] == [10] and refit.pinned_keys_ == []  # no known word: dropped
    with pytest.raises(ThemeError, match="between 2 and 60"):
        ThemeModel(n_themes=1).fit(texts)


def _written_by_an_earlier_version(path: Path, module: str, name: str) -> None:
    """A pickle naming a class this version no longer has (protocol 2: GLOBAL, EMPTY_TUPLE, NEWOBJ, STOP)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")\x81.")


def test_churn_model_saved_by_an_earlier_version_asks_to_train_again(tmp_path: Path) -> None:
    settings = Settings().with_db(tmp_path / "x.duckdb")
    _written_by_an_earlier_version(churn_store.model_paths(settings)["model"], "cx_metrics.churn_model", "ChurnModel")
    with pytest.raises(ModelError, match=r"earlier version.*train the model again"):
        churn_store.load_model(settings)


def test_theme_model_saved_by_an_earlier_version_asks_to_fit_again(tmp_path: Path) -> None:
    path = tmp_path / "models" / "x-themes-tickets-1.joblib"
    _written_by_an_earlier_version(path, "cx_metrics.themes", "FitOptions")
    with pytest.raises(ThemeError, match=r"earlier version.*cx themes fit --source tickets"):
        theme_store.load_model(path, "tickets")


def test_a_fitted_theme_model_round_trips_through_its_saved_file(tmp_path: Path) -> None:
    texts = _texts()
    model = ThemeModel(n_themes=3, random_state=4).fit(texts)
    path = tmp_path / "m.joblib"
    theme_store.save_model(model, [7, 8, 9], 3, path)
    loaded, keys, fit_id = theme_store.load_model(path, "tickets")
    assert (keys, fit_id) == ([7, 8, 9], 3) and loaded.get_params() == model.get_params()
    probe = ["my parcel is late", "charged twice for the invoice", "login locked"]
    np.testing.assert_allclose(loaded.transform(probe), model.transform(probe))
