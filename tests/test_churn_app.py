"""The Churn page through Streamlit's AppTest on a copy of the demo database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import db
from cx_metrics.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _app(monkeypatch: pytest.MonkeyPatch, path: Path) -> AppTest:
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    at.run()
    at.switch_page("views/churn.py").run()
    return at


def test_churn_page_analyses_train_and_at_risk_list(
    monkeypatch: pytest.MonkeyPatch, demo_db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "churn_app.duckdb"
    shutil.copyfile(demo_db_path, path)
    at = _app(monkeypatch, path)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Churn"
    assert "Contractual churn" in at.info[0].value  # the definition in force, stated on the page
    text = " ".join(m.value for m in at.markdown)
    assert "**handled badly** churned" in text and "significantly more often" in text
    assert "The data shows no recovery paradox" in text
    assert any("no recovery paradox" in w.value for w in at.warning)
    assert [m.label for m in at.metric] == ["Churn rate"]  # the headline; no model yet
    assert at.button(key="churn_train").label == "Train the model now"
    rates = next(d.value for d in at.dataframe if "p-value vs the rest" in d.value.columns)
    assert set(rates["Plan"]) == {"Free", "Basic", "Pro", "Enterprise"}

    at.button(key="churn_train").click().run()
    assert not at.exception, at.exception
    assert "ROC-AUC" in at.success[0].value
    labels = [m.label for m in at.metric]
    assert labels == ["Churn rate", "ROC-AUC (held out)", "PR-AUC", "Brier score", "Top-decile lift"]
    at_risk = next(d.value for d in at.dataframe if "Reasons" in d.value.columns)
    assert len(at_risk) == 100 and at_risk["Churn risk within 90 days (%)"].is_monotonic_decreasing
    assert at_risk["Reasons"].head(10).str.contains("typical").all()
    assert (at_risk["Last contact was"] != "–").any()
    assert at.get("download_button")

    at.select_slider(key="churn_top").set_value(25).run()
    assert len(next(d.value for d in at.dataframe if "Reasons" in d.value.columns)) == 25

    # new data: the page says the model is stale and offers to retrain, instead of showing stale scores
    with db.shared(Settings().with_db(path)).writing() as conn, db.transaction(conn) as cur:
        db.bump_data_version(cur)
    at.run()
    assert not at.exception
    assert any("data changed" in w.value for w in at.warning)
    assert at.button(key="churn_train").label == "Retrain the model"
    assert not any("Reasons" in d.value.columns for d in at.dataframe)


def test_churn_page_on_an_empty_database(monkeypatch: pytest.MonkeyPatch, empty_db_path: Path) -> None:
    at = _app(monkeypatch, empty_db_path)
    assert not at.exception
    assert "cx demo" in at.info[0].value
