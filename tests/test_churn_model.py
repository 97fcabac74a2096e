"""Churn-risk model: the leakage guard, calibration, drivers on the demo, save/reload/retrain, and the IBM Telco
file imported as customers only."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.ingest import load as ingest
from cx_metrics.metrics import churn as C
from cx_metrics.models import churn_store as M
from cx_metrics.models.churn import CATEGORICAL, NUMERIC, ModelError
from tests.conftest import REALDATA

FEATURES = [*NUMERIC, *CATEGORICAL]
SNAPSHOT = dt.datetime(2026, 6, 1)


@pytest.fixture(scope="module")
def model_db(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("churn_model") / "demo.duckdb"
    shutil.copyfile(demo_db_path, path)
    return path


@pytest.fixture(scope="module")
def trained(model_db: Path) -> Iterator[tuple[db.Connection, Settings, M.ChurnModel]]:
    settings = Settings().with_db(model_db)
    conn = db.connect(settings)
    steps: list[tuple[float, str]] = []
    model = M.train(conn, settings, progress=lambda f, t: steps.append((f, t)))
    assert steps[-1][0] == 1.0 and [f for f, _ in steps] == sorted(f for f, _ in steps)  # progress moves forward
    yield conn, settings, model
    conn.close()


def _features(conn: db.Connection, settings: Settings) -> pd.DataFrame:
    return M.snapshot_features(conn, [SNAPSHOT], settings=settings).set_index("customer_id").sort_index()


def test_nothing_at_or_after_the_snapshot_feeds_a_feature(demo_db_path: Path, tmp_path: Path) -> None:
    """Rewrite everything dated at or after the snapshot; every feature must stay exactly the same."""
    path = tmp_path / "leak.duckdb"
    shutil.copyfile(demo_db_path, path)
    settings = Settings().with_db(path)
    conn = db.connect(settings)
    before = _features(conn, settings)
    assert len(before) > 1000 and before["label"].sum() > 20
    # every customer in the snapshot is still there: no row comes from after a churn date
    assert (before["event_at"].isna() | (before["event_at"] >= pd.Timestamp(SNAPSHOT))).all()
    at = [SNAPSHOT]
    conn.execute("DELETE FROM tickets WHERE created_at >= ?", at)
    conn.execute("DELETE FROM survey_responses WHERE responded_at >= ?", at)
    conn.execute("DELETE FROM customer_activity WHERE occurred_at >= ?", at)
    # what happened to older tickets after the snapshot: solved later, or reopened / handed off before that solve
    conn.execute("UPDATE tickets SET reopens = 9, group_stations = 9, solved_at = solved_at + INTERVAL 30 DAY "
                 "WHERE solved_at >= ?", at)
    conn.execute("UPDATE tickets SET first_solved_at = NULL, solved_at = NULL, closed_at = NULL, status = 'open' "
                 "WHERE first_solved_at >= ?", at)
    conn.execute("UPDATE customers SET churned_at = churned_at + INTERVAL 400 DAY WHERE churned_at >= ?", at)
    # and a ticket created exactly at the snapshot is not before it
    conn.execute("INSERT INTO tickets (source, ticket_id, customer_id, created_at, status, is_complaint) "
                 "SELECT 'leak', 'x' || customer_id, customer_id, ?, 'open', true FROM customers", at)
    after = _features(conn, settings)
    conn.close()
    assert list(after.index) == list(before.index)
    pd.testing.assert_frame_equal(before[FEATURES], after[FEATURES])
    assert (before["label"] != after["label"]).sum() > 20  # the rewrite was real: only the labels moved


def test_snapshot_plan_keeps_label_windows_apart() -> None:
    d = C.ChurnDefinition(mode="contractual", inactivity_days=0, suggested_days=None, gap_quantiles={},
                          as_of=dt.datetime(2026, 11, 15, 23, 0), obs_end=dt.datetime(2026, 11, 15, 23, 0),
                          horizon_days=90, timed=True, customers=1, note="")
    plan = M.snapshot_plan(d, dt.datetime(2025, 6, 1), train_snapshots=12)
    assert plan["test"] == dt.datetime(2026, 8, 17)  # its 90-day outcome ends on the last day of data
    assert plan["calibration"] == plan["test"] - dt.timedelta(days=90)
    assert max(plan["train"]) == plan["calibration"] - dt.timedelta(days=90)
    assert min(plan["train"]) >= dt.datetime(2025, 6, 1) + dt.timedelta(days=90)  # 90 days of history first
    assert plan["score"] == dt.datetime(2026, 11, 16)


def test_model_metrics_calibration_and_planted_drivers(trained: tuple[db.Connection, Settings, M.ChurnModel]) -> None:
    _, _, model = trained
    card = model.card
    m = card["metrics"]
    assert card["mode"] == "time-based snapshots"
    assert 0.55 < m["roc_auc"] < 1.0 and m["pr_auc"] > m["base_rate"] and m["top_decile_lift"] > 1.0
    # calibrated: the mean risk matches the held-out churn rate, and the Brier score beats a constant forecast
    assert abs(m["mean_predicted"] - m["base_rate"]) < 0.03
    assert m["brier"] < m["base_rate"] * (1 - m["base_rate"]) + 0.005
    assert "sigmoid" in card["estimator"]["calibration"] and "none" in card["estimator"]["class_weight"]
    # the planted effect: badly handled complaints are the strongest support driver, clearly above noise
    support = [r for r in card["importance"] if r["support"]]
    assert support[0]["feature"] == "bad_complaints_365d"
    assert support[0]["importance"] > 2 * support[0]["std"] > 0
    assert [r["feature"] for r in card["importance"]].index("bad_complaints_365d") < 3


def test_scores_reasons_and_last_contact(trained: tuple[db.Connection, Settings, M.ChurnModel]) -> None:
    conn, settings, model = trained
    scores = M.score(conn, settings, model=model, top=50, reasons_for=20)
    assert list(scores.columns) == M.OUTPUT_COLUMNS and len(scores) == 50
    assert scores["risk"].is_monotonic_decreasing and scores["risk"].between(0, 1).all()
    assert list(scores["rank"]) == list(range(1, 51))
    assert scores["reasons"].head(20).str.contains(r"\(typical .*\) \+\d", regex=True).any()
    assert (scores["reasons"].iloc[20:] == "").all()
    assert scores["last_contact_at"].notna().mean() > 0.8
    assert (pd.to_datetime(scores["last_contact_at"]) < pd.Timestamp("2026-11-16")).all()
    everyone = M.score(conn, settings, model=model, reasons_for=0)
    active = conn.execute("SELECT count(*) FROM customers WHERE churned_at IS NULL").fetchone()
    assert active is not None and len(everyone) == active[0]  # the customers still there, each once
    assert everyone["customer_id"].is_unique


def test_saved_reloaded_and_retrained_when_data_changes(trained: tuple[db.Connection, Settings, M.ChurnModel]
                                                         ) -> None:
    conn, settings, model = trained
    paths = M.model_paths(settings)
    assert paths["model"].parent == settings.db_path.parent / "models"  # next to the database, not the cwd
    assert paths["card_md"].read_text().startswith("# Churn-risk model card")
    assert M.model_status(conn, settings)[0] == "current"
    loaded = M.load_model(settings)
    assert loaded is not None and loaded is M.load_model(settings)  # loaded once per process
    x = M.snapshot_features(conn, [SNAPSHOT], settings=settings).head(200)
    np.testing.assert_allclose(M.predict(loaded, x), M.predict(model, x))
    other = Settings(churn_horizon_days=60).with_db(settings.db_path)
    assert M.model_status(conn, other) == ("stale", "The churn, complaint or SLA settings changed since the model "
                                                    "was trained.")
    with db.transaction(conn) as cur:
        db.bump_data_version(cur)
    status, why = M.model_status(conn, settings)
    assert status == "stale" and "data changed" in why
    retrained = M.ensure_model(conn, settings)
    assert retrained is not loaded and M.model_status(conn, settings)[0] == "current"


def test_no_customers_is_a_clear_error(empty_db_path: Path) -> None:
    settings = Settings().with_db(empty_db_path)
    conn = db.connect(settings)
    with pytest.raises(ModelError, match="no customers"):
        M.train(conn, settings, save=False)
    with pytest.raises(ModelError, match="No churn model yet"):
        M.score(conn, settings)
    conn.close()


@pytest.mark.realdata
def test_ibm_telco_customers_only_reaches_published_auc(tmp_path: Path) -> None:
    path = REALDATA / "ibm_telco_customer_churn.csv"
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared/realdata is absent)")
    settings = Settings().with_db(tmp_path / "telco.duckdb")
    conn = db.connect(settings)
    ingest.load(conn, ingest.preview(path))
    assert not C.definition(conn, settings).timed
    model = M.train(conn, settings)
    card = model.card
    assert card["mode"] == "customers only"
    assert any("stratified, seeded 60/20/20 split" in n for n in card["notes"])
    assert card["split"] == {"train": 4225, "calibration": 1409, "test": 1409, "train_positives": 1121,
                             "calibration_positives": 374, "test_positives": 374}
    m = card["metrics"]
    assert m["roc_auc"] >= 0.80  # published baselines are about 0.84
    assert abs(m["mean_predicted"] - m["base_rate"]) < 0.02  # calibrated
    names = {f["name"] for f in card["features"]}
    # tenure (months as a customer) is read as such: the signup it implies gives the model its tenure in days
    assert {"tenure_days", "attr:MonthlyCharges", "plan"} <= names and not any("Churn" in n for n in names)
    scores = M.score(conn, settings, top=10)
    assert len(scores) == 10 and scores["risk"].iloc[0] > 0.5
    flagged = conn.execute("SELECT customer_id FROM customers WHERE status = 'churned'").df()["customer_id"]
    assert not scores["customer_id"].isin(flagged).any()  # customers already gone are not "at risk"
    conn.close()
