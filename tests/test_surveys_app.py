"""Surveys and Cohorts pages through AppTest on real DuckDB files (the demo, and real vendor exports)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.ingest import load as ingest
from cx_metrics.metrics import cohorts, surveys
from tests.conftest import REALDATA, app_db

ROOT = Path(__file__).resolve().parent.parent


def _app(monkeypatch: pytest.MonkeyPatch, path: Path, page: str, query: dict[str, object] | None = None) -> AppTest:
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(page).run()
    return at


def test_surveys_page_shows_the_library_numbers(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path, "views/surveys.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    tiles = {m.label: m for m in at.metric}
    assert list(tiles) == ["NPS", "CSAT", "CES (mean, 1-7)", "CES % easy", "Response rate"]
    with app_db(app_db_path) as conn:
        from cx_metrics.metrics import base

        period = base.default_period(conn)
        expected = surveys.survey_summary(conn, period=period).set_index("metric")
        customer = surveys.survey_summary(conn, period=period, level="customer").set_index("metric")
    assert tiles["CSAT"].value == f"{expected.loc['csat', 'value']:.1f}%"
    assert all(("real change" in (m.delta or "")) or ("within noise" in (m.delta or "")) for m in at.metric[:4])
    captions = " ".join(c.value for c in at.caption)
    assert "95% CI" in captions and "Response level: every response counts" in captions
    assert any("NPS = 100" in (m.help or "") for m in at.metric)  # the definition next to the number
    at.radio(key="srv_level").set_value("customer").run()
    assert not at.exception
    assert {m.label: m for m in at.metric}["CSAT"].value == f"{customer.loc['csat', 'value']:.1f}%"
    assert "Customer level" in " ".join(c.value for c in at.caption)
    # verbatims: filter by group and text
    at.selectbox(key="srv_metric").set_value("nps").run()
    at.selectbox(key="srv_vb_group").set_value("detractor").run()
    at.text_input(key="srv_vb_search").input("price").run()
    assert not at.exception
    comments = next(d.value for d in at.dataframe if "Comment" in d.value.columns)
    assert len(comments) > 0 and set(comments["Score group"]) == {"detractor"}
    assert comments["Comment"].str.lower().str.contains("price").all()
    assert len(at.get("download_button")) >= 3


def test_small_buckets_are_greyed_on_the_surveys_page(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    monkeypatch.setenv("CX_MIN_CELL_N", "100000")
    at = _app(monkeypatch, app_db_path, "views/surveys.py")
    assert not at.exception
    assert {m.label: m for m in at.metric}["NPS"].value == "n < 100000"
    table = next(d.value for d in at.dataframe if "Reliability" in d.value.columns)
    assert (table["Value (points)"] == "–").all() and table["Reliability"].str.startswith("n < 100000").all()


def test_cohorts_page_flags_the_planted_effect(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path, "views/cohorts.py", {"start": "2024-11-18", "end": "2026-11-15"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "18 Nov 2024 – 15 Nov 2026" in at.caption[0].value
    at.selectbox(key="coh_metric").set_value("csat").run()
    at.selectbox(key="coh_by2").set_value("channel").run()
    assert not at.exception
    assert any("Millennials · phone" in w.value and "significantly worse" in w.value for w in at.warning)
    table = next(d.value for d in at.dataframe if "Everyone else (%)" in d.value.columns)
    assert {"Generation", "Interaction channel", "n", "95% interval, low (%)", "95% interval, high (%)"} <= set(
        table.columns)
    # the URL now holds the view
    assert at.query_params["metric"] == ["csat"] or at.query_params["metric"] == "csat"
    at.selectbox(key="coh_a").set_value("Millennials · phone").run()
    at.selectbox(key="coh_b").set_value("Gen X · phone").run()
    side = next(d.value for d in at.dataframe if "Verdict" in d.value.columns)
    assert side["Cohort"].tolist() == ["Millennials · phone", "Gen X · phone"]
    assert side.loc[0, "Significant"] == "yes"
    at.selectbox(key="coh_cell").set_value("Millennials · phone").run()
    rows = next(d.value for d in at.dataframe if "Response" in d.value.columns)
    assert len(rows) > 0 and set(rows["Channel"]) == {"phone"} and set(rows["Generation"]) == {
        "Millennials"}


def test_cohorts_page_opens_the_view_in_its_url(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    query = {"metric": "churn_rate", "by": "plan", "start": "2026-05-04", "end": "2026-11-01", "plan": ["Pro", "Free"],
             "grid": "nps", "grid_grain": "quarter"}
    at = _app(monkeypatch, app_db_path, "views/cohorts.py", query)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="coh_metric").value == "churn_rate"
    assert at.selectbox(key="coh_by").value == "plan"
    assert "04 May 2026 – 01 Nov 2026" in at.caption[0].value and "plans: Free, Pro" in at.caption[0].value
    table = next(d.value for d in at.dataframe if "Everyone else (%)" in d.value.columns)
    with app_db(app_db_path) as conn:
        expected = cohorts.breakdown(conn, period=Period(dt.date(2026, 5, 4), dt.date(2026, 11, 1)),
                                     metric="churn_rate", dim1="plan", filters=Filters.of(plans=["Pro", "Free"]))
    assert table["Plan"].tolist() == ["Free", "Pro"] == expected["dim1"].tolist()
    assert table["n"].tolist() == expected["n"].tolist()


def test_cohorts_page_explains_a_bad_link(monkeypatch: pytest.MonkeyPatch, app_db_path: Path) -> None:
    at = _app(monkeypatch, app_db_path, "views/cohorts.py", {"metric": "happiness", "plan": ["Platinum"]})
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "metric is not a value available here" in text and "plan values is not in this database" in text
    assert "happiness" not in text and "Platinum" not in text  # refused, not echoed (a link's text is not ours)
    at.selectbox(key="coh_metric").set_value("churn_rate").run()
    at.selectbox(key="coh_by").set_value("channel").run()
    assert not at.exception and "describes a ticket or a response" in at.error[0].value


@pytest.mark.realdata
def test_real_qualtrics_and_surveymonkey_exports_appear_on_the_surveys_page(
    monkeypatch: pytest.MonkeyPatch, empty_db_path: Path, tmp_path: Path
) -> None:
    files = ["qualtrics_ropensci_sample_german_labels.csv", "qualtrics_ropensci_sample_legacy_export.csv",
             "surveymonkey_fivethirtyeight_steak_risk_survey_prefix.csv"]
    if not all((REALDATA / f).exists() for f in files):
        pytest.skip("../shared/realdata is absent")
    path = tmp_path / "real.duckdb"
    shutil.copyfile(empty_db_path, path)
    conn = db.connect(Settings().with_db(path))
    try:
        for name in files:
            ingest.load(conn, ingest.preview(REALDATA / name))
    finally:
        conn.close()
    at = _app(monkeypatch, path, "views/surveys.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    inventory = next(d.value for d in at.dataframe if "Scores" in d.value.columns)
    names = set(inventory["Survey"])
    assert {Path(f).stem for f in files} <= names
    steak = inventory.set_index("Survey").loc["surveymonkey_fivethirtyeight_steak_risk_survey_prefix"]
    assert steak["Responses"] == 48 and steak["Other questions"] >= 10
    labels = at.selectbox(key="srv_answers_survey").options
    pick = next(i for i, label in enumerate(labels) if label.startswith("surveymonkey_fivethirtyeight"))
    at.selectbox(key="srv_answers_survey").set_value(pick).run()
    answers = next(d.value for d in at.dataframe if "Answer" in d.value.columns)
    smokers = answers[answers["Question"] == "Do you ever smoke cigarettes?"]
    assert set(smokers["Answer"]) == {"Yes", "No"} and smokers["Share (%)"].sum() == pytest.approx(1.0)
