"""`cx churn` and the churn `cx metric` registrations: the same numbers as the library."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cx_metrics import cli, db
from cx_metrics.config import Settings
from cx_metrics.metrics import churn as C


def test_churn_metrics_match_the_library(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["metric", "complaint-lift", "--db", str(demo_db_path), "--format", "json"]) == 0
    rows = {r["group"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    conn = db.connect(Settings().with_db(demo_db_path), read_only=True)
    try:
        expected = C.complaint_lift(conn).set_index("group")
    finally:
        conn.close()
    assert rows["handled badly"]["lift"] == pytest.approx(expected.loc["handled badly", "lift"])
    assert cli.main(["metric", "churn-definition", "--db", str(demo_db_path), "--format", "json"]) == 0
    definition = json.loads(capsys.readouterr().out)["rows"][0]
    assert definition["mode"] == "contractual" and definition["suggested_days"] == 35
    assert cli.main(["metric", "churn-rate", "--db", str(demo_db_path), "--grain", "month", "--cohort", "plan",
                     "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("period_start,period_end,cohort,at_start,lost,churn_rate")
    assert cli.main(["metric", "recovery-verdict", "--db", str(demo_db_path), "--format", "json"]) == 0
    assert all("no recovery paradox" in r["text"] for r in json.loads(capsys.readouterr().out)["rows"])
    assert cli.main(["metric", "churn-rate", "--db", str(demo_db_path), "--grain", "day"]) == 2  # a clear error
    assert "grain must be one of" in capsys.readouterr().err


def test_churn_score_trains_a_missing_model_then_lists_the_riskiest(
    demo_db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.duckdb"
    shutil.copyfile(demo_db_path, path)
    assert cli.main(["churn", "score", "--db", str(path), "--top", "5", "--format", "csv"]) == 0
    out = capsys.readouterr()
    assert "No churn model has been trained on this database yet. Training first." in out.err
    assert "[100%] Trained: ROC-AUC" in out.err
    lines = out.out.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("customer_id,risk,rank,reasons,last_contact_at") and len(lines) == 6
    assert (tmp_path / "models" / "cli-churn.joblib").is_file()
    assert cli.main(["churn", "score", "--db", str(path), "--top", "3", "--plan", "Free", "--format", "csv"]) == 0
    out = capsys.readouterr()
    assert "Training first" not in out.err  # the saved model is current: reused
    scored = pd.read_csv(io.StringIO(out.out.lstrip("\ufeff")))
    assert len(scored) == 3 and set(scored["plan"]) == {"Free"}  # (a reason may name the plan too: read the column)


def test_churn_train_on_an_empty_database_says_what_to_do(empty_db_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["churn", "train", "--db", str(empty_db_path)]) == 2
    assert "import a customer (CRM) export or run `cx demo`" in capsys.readouterr().err
