"""The CLI gives the dashboard's numbers, from the same functions, with clear errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cx_metrics import cli, db, demo
from cx_metrics.config import Settings
from cx_metrics.filters import Period
from cx_metrics.metrics import base, overview, resolution


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cx_metrics.cli", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_metric_kpis_json_equals_the_function(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["metric", "kpis", "--db", str(demo_db_path), "--format", "json", "--plan", "Pro"]) == 0
    printed = {r["metric"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    conn = db.connect(Settings().with_db(demo_db_path), read_only=True)
    try:
        from cx_metrics.filters import Filters

        frame = overview.kpis(conn, period=base.default_period(conn), filters=Filters.of(plans=["Pro"]))
    finally:
        conn.close()
    for row in frame.to_dict("records"):
        assert printed[row["metric"]]["value"] == pytest.approx(row["value"])
        assert printed[row["metric"]]["n"] == row["n"]


def test_metric_complaint_trend_csv(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["metric", "complaint-trend", "--db", str(demo_db_path), "--format", "csv",
                     "--start", "2026-09-07", "--end", "2026-09-27"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "period_start,category,complaints,partial,days_covered"
    billing = [line for line in lines if ",Billing," in line]
    assert len(billing) == 3  # three weeks, one row each
    counts = [int(line.split(",")[2]) for line in billing]
    assert counts[1] > 2 * counts[0]  # the planted spike starts on 14 Sep


def test_bad_date_is_a_clear_error() -> None:
    result = run("metric", "kpis", "--start", "14/09/2026")
    assert result.returncode == 2
    assert "not a date in YYYY-MM-DD form" in result.stderr


def test_end_before_start(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["metric", "kpis", "--db", str(demo_db_path), "--start", "2026-09-10", "--end", "2026-09-01"])
    assert code == 2
    assert "before its start" in capsys.readouterr().err


def test_info_and_missing_database(tmp_path: Path, demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["info", "--db", str(demo_db_path)]) == 0
    out = capsys.readouterr().out
    assert f"schema version: {len(db.migrations())}" in out and "tickets" in out
    assert cli.main(["info", "--db", str(tmp_path / "nope.duckdb")]) == 2
    assert "cx demo" in capsys.readouterr().err


def test_demo_if_missing_and_refusal_to_replace_real_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.duckdb"
    args = ["demo", "--db", str(path), "--customers", "200", "--tickets", "600"]
    assert cli.main(args) == 0
    assert cli.main([*args, "--if-missing"]) == 0
    assert "already has data" in capsys.readouterr().out
    conn = db.connect(Settings().with_db(path))
    conn.execute(
        "INSERT INTO imports (file_name, kind, started_at, status) VALUES ('z.csv', 'tickets', now(), 'loaded')"
    )
    conn.close()
    assert cli.main(args) == 2
    assert "real import" in capsys.readouterr().err
    assert cli.main([*args, "--force"]) == 0


def test_cli_reports_a_locked_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "held.duckdb"
    conn = db.connect(Settings().with_db(path))
    demo.build(conn, seed=1, size=demo.DemoSize(customers=100, tickets=300))
    monkeypatch.setenv("CX_DB_LOCK_WAIT", "1")
    try:
        result = run("info", "--db", str(path))  # another process while this one holds the file read-write
    finally:
        conn.close()
    assert result.returncode == 2
    assert result.stderr.startswith(f"waiting up to 1 s for `python -m pytest` (process {os.getpid()})")
    assert f"is being written by `python -m pytest` (process {os.getpid()})" in result.stderr
    assert "Run this again when that finishes" in result.stderr and "CX_DB_LOCK_WAIT" in result.stderr
    assert "Traceback" not in result.stderr


def test_definitions(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["definitions"]) == 0
    out = capsys.readouterr().out
    assert "NPS = 100" in out and "Wilson" in out


def test_metric_list_and_complaint_metrics(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["metric", "--list"]) == 0
    listed = capsys.readouterr().out
    for name in ("kpis", "complaint-volume", "top-movers", "anomalies", "repeat-complaints", "complaint-rows"):
        assert f"{name}\n" in listed
    code = cli.main(["metric", "top-movers", "--db", str(demo_db_path), "--by", "category", "--start", "2026-09-14",
                     "--end", "2026-09-27", "--format", "json"])
    assert code == 0
    movers = json.loads(capsys.readouterr().out)["rows"]
    assert movers[0]["dimension"] == "Billing" and movers[0]["significant"] is True
    code = cli.main(["metric", "complaint-rows", "--db", str(demo_db_path), "--by", "category", "--value",
                     "Billing", "--start", "2026-09-14", "--end", "2026-09-14", "--format", "csv"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("source,ticket_id,created_at") and len(lines) > 5
    assert all(",Billing," in line for line in lines[1:])


def test_resolution_metrics_from_the_cli(demo_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["metric", "logrank", "--db", str(demo_db_path), "--group", "handoffs", "--format", "json"])
    assert code == 0
    test = json.loads(capsys.readouterr().out)["rows"][0]
    assert test["groups"] == 3 and test["p_value"] < 0.001
    assert cli.main(["metric", "sla-breaches", "--db", str(demo_db_path), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("target,priority,target_hours,achieved,breached")


def test_business_clock_and_history_metrics_from_the_cli(demo_db_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--db", str(demo_db_path), "--start", "2026-08-03", "--end", "2026-08-30", "--format", "json"]
    assert cli.main(["metric", "time-to-resolution", "--clock", "business", "--group", "channel", *args]) == 0
    got = json.loads(capsys.readouterr().out)["rows"]
    conn = db.connect(Settings().with_db(demo_db_path), read_only=True)
    try:
        want = resolution.time_to_event(conn, period=Period(dt.date(2026, 8, 3), dt.date(2026, 8, 30)), by="channel",
                                        clock="business")
    finally:
        conn.close()
    assert [r["median_hours"] for r in got] == pytest.approx(want["median_hours"].tolist())
    assert cli.main(["metric", "breaches-over-time", "--sla-clock", "business", *args]) == 0
    trend = json.loads(capsys.readouterr().out)["rows"]
    assert {r["target"] for r in trend} == {"first_response", "resolution"} and len(trend) == 8  # 4 weeks x 2
    assert cli.main(["metric", "resolution-trend", *args]) == 0
    assert len(json.loads(capsys.readouterr().out)["rows"]) == 4  # four creation weeks
    assert cli.main(["metric", "backlog-history", *args]) == 0
    assert len(json.loads(capsys.readouterr().out)["rows"]) == 28
    assert cli.main(["metric", "resolution-rows", "--group", "channel", "--value", "chat", *args]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows and {r["channel"] for r in rows} == {"chat"}
