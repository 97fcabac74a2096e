"""Customer snapshots (one row per customer, a churn flag, no dates): the churn share of the snapshot with its
interval on the Churn page, by `cx metric churn-share` and on the Cohorts page, against figures computed by hand
from the corpus file (tests/fixtures/realworld/kaggle_bank_churn_modelling.csv); ages and tenures stay numbers
(generation from the age, tenure bands from the tenure)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx_metrics import db
from cx_metrics.cli import main
from cx_metrics.config import Settings
from cx_metrics.filters import Period
from cx_metrics.ingest import load as ingest
from cx_metrics.ingest.normalize import Options
from cx_metrics.metrics import churn, cohorts

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "tests" / "fixtures" / "realworld" / "kaggle_bank_churn_modelling.csv"
TAKEN = dt.date(2019, 6, 30)  # the day the snapshot was taken (stated, as on the Upload page or --fieldwork-date)


def _rows() -> list[dict[str, str]]:
    with BANK.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snapshot") / "cx.duckdb"
    conn = db.connect(Settings().with_db(path))
    ingest.load(conn, ingest.preview(BANK, options=Options(fieldwork_date=TAKEN)))
    conn.close()
    return path


def test_the_snapshot_churn_share_and_its_wilson_interval_match_the_hand_computed_figures(snapshot: Path) -> None:
    rows = _rows()
    exited = sum(r["Exited"] == "1" for r in rows)
    assert (exited, len(rows)) == (33, 200)
    conn = db.connect(Settings().with_db(snapshot), read_only=True)
    whole = churn.snapshot_churn(conn).iloc[0]
    # Wilson, z = 1.959964: centre (0.165 + z²/400) / (1 + z²/200) = 0.171313, half-width 0.051345
    assert (whole["customers"], whole["churned"], whole["undated"]) == (200, 33, 33)
    assert whole["churn_share"] == pytest.approx(0.165)
    assert (whole["churn_low"], whole["churn_high"]) == (pytest.approx(0.11997, abs=1e-5),
                                                         pytest.approx(0.22266, abs=1e-5))
    by_region = churn.snapshot_churn(conn, by="region").set_index("cohort")
    counted = Counter(r["Geography"] for r in rows)
    lost = Counter(r["Geography"] for r in rows if r["Exited"] == "1")
    assert by_region["customers"].to_dict() == dict(counted)
    assert by_region["churned"].to_dict() == dict(lost)
    conn.close()


def test_cx_metric_churn_share_lists_its_definition_and_gives_the_same_figures(
        snapshot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metric", "--list"]) == 0
    listing = capsys.readouterr().out
    assert ("churn_snapshot: Snapshot churn share (%; lower is better)\n    Snapshot churn share = customers flagged "
            "churned ÷ customers") in listing and "cx metric churn-share\n" in listing
    assert main(["metric", "churn-share", "--db", str(snapshot), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["period"] is None  # the customer table as it stands: no period applies
    (row,) = doc["rows"]
    assert (row["customers"], row["churned"]) == (200, 33)
    assert row["churn_low"] == pytest.approx(0.11997, abs=1e-5)


def test_ages_give_generations_and_tenures_give_tenure_bands(snapshot: Path) -> None:
    """Age 77 in a snapshot taken in 2019 was born in 1942 (Silent); tenure 10 years: signed up in 2009."""
    conn = db.connect(Settings().with_db(snapshot), read_only=True)
    first = conn.execute("SELECT birth_year, signup_at::DATE::VARCHAR, attributes FROM customers "
                         "WHERE customer_id = '15767894'").fetchone()
    assert first is not None and first[:2] == (1942, "2009-06-30")
    attributes = json.loads(first[2])
    assert attributes["Balance"] == 35957.99 and attributes["NumOfProducts"] == 4  # numbers stay numbers
    assert "Surname" not in attributes  # a name is personal data: not stored unless kept
    period = Period(dt.date(2019, 4, 1), TAKEN)
    bands = cohorts.breakdown(conn, period=period, metric="churn_share", dim1="tenure_band")
    tenure = Counter(int(r["Tenure"]) for r in _rows())
    expected = {"under 3 months": tenure[0], "1-2 years": tenure[1],
                "2-5 years": tenure[2] + tenure[3] + tenure[4], "5 years and over": sum(
                    n for years, n in tenure.items() if years >= 5)}
    assert dict(zip(bands["dim1"], bands["n"], strict=True)) == expected
    generations = cohorts.breakdown(conn, period=period, metric="churn_share", dim1="generation")
    assert generations["n"].sum() == 200 and set(generations["dim1"]) <= {"Silent", "Boomers", "Gen X",
                                                                          "Millennials", "Gen Z"}
    conn.close()


def test_the_churn_page_states_the_snapshot_share_with_its_interval(snapshot: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CX_DB_PATH", str(snapshot))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    at.run()
    at.switch_page("views/churn.py").run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Churned (snapshot share)"] == "16.5%"
    text = " ".join(m.value for m in at.markdown)
    assert "**33** of **200** customers are flagged churned (95% CI 12.0%–22.3%)" in text
    at.selectbox(key="churn_snapshot_by").set_value("region").run()
    table = next(d.value for d in at.dataframe if "Churned share (%)" in d.value.columns)
    assert table.set_index("Region")["Customers"].to_dict() == dict(Counter(r["Geography"] for r in _rows()))
