"""Digests and alerts on the Spark engine (mixed mode): computed from the lake, recorded in the DuckDB file (outbox,
alert state and events, audit log), sent to loopback servers, with the same figures, messages and events as on DuckDB.

The small themed demo (15,000 tickets, themes fitted) is one DuckDB file and its lake. On the DuckDB engine a copy of
the file is read; on Spark the lake is read, and the DuckDB file is a copy WITHOUT its data (only the dashboard's
state: subscriptions, rules, themes...), so a figure read from the file by mistake would come out empty and differ.
Runs on the Spark tier's one local session (`cx` in this process opens a session of its own on the same JVM).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cx_metrics import db, scheduler, spark
from cx_metrics.cli import main
from cx_metrics.config import Settings
from cx_metrics.digest import figures as figs
from cx_metrics.digest import subscriptions
from cx_metrics.filters import Filters
from tests.conftest import spark_settings
from tests.delivery_servers import smtp_server, webhook_server
from tests.engines import ENGINES, engine_file, export_lake, rows, use_cli
from tests.test_digest import MONDAY_AFTER, SPIKE_WEEK, pdf_text
from tests.test_spark import assert_same

DELIVERY_TOML = '[delivery]\ndashboard_url = "http://127.0.0.1:8501"\n'
#: the Billing spike of the demo (tests/test_alerts.py): a rule caught up from the week before fires on it
SPIKE = SPIKE_WEEK.start


@pytest.fixture(scope="module")
def demo_lake(themed_demo_path: Path, tmp_path_factory: pytest.TempPathFactory, spark_conn: object) -> Path:
    """The themed demo's lake, as `cx lake export` writes it."""
    return export_lake(themed_demo_path, tmp_path_factory.mktemp("delivery-lake"))


def settings_of(engine: str, path: Path, demo_lake: Path) -> Settings:
    s = Settings(dashboard_url="http://127.0.0.1:8501").with_db(path)
    return replace(s, engine=spark_settings(lake=str(demo_lake))) if engine == "spark" else s


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def test_the_digest_figures_on_spark_are_duckdbs(themed_demo_path: Path, demo_lake: Path, tmp_path: Path) -> None:
    """Every frame of an analyst's digest of the spike week (tiles, trends, anomalies, movers, the themes behind them,
    their verbatims, the ticket rows behind the largest anomaly, follow-ups): counts equal, floats to 1e-9."""
    got = {}
    for engine in ENGINES:
        s = settings_of(engine, engine_file(engine, themed_demo_path, tmp_path / engine), demo_lake)
        conn = db.connect(s, read_only=True)
        if engine == "spark":
            conn = spark.mixed(s, conn)  # type: ignore[assignment]
        try:
            got[engine] = figs.figures(conn, s, SPIKE_WEEK, Filters(), role="analyst")
        finally:
            conn.close()
    duck, sp = got["duckdb"], got["spark"]
    assert duck.themes and duck.verbatims and duck.rows is not None and duck.followup is not None  # all exercised
    for f in fields(figs.Figures):
        a, b = getattr(duck, f.name), getattr(sp, f.name)
        if isinstance(a, pd.DataFrame):
            assert_same(a, b, f.name)
        elif isinstance(a, dict) and a and isinstance(next(iter(a.values())), pd.DataFrame):
            assert list(a) == list(b), f.name
            for key in a:
                assert_same(a[key], b[key], f"{f.name}[{key}]")
        elif f.name != "settings":
            assert a == b, f.name


def test_cx_digest_send_due_on_spark_sends_the_duckdb_digest(themed_demo_path: Path, demo_lake: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`cx digest --send-due` from cron on each engine: one e-mail (over STARTTLS) and one Slack post, the same words
    and the same PDF text on both; the outbox and the audit log are written to the DuckDB file; a second run sends
    nothing again."""
    sent: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        path = engine_file(engine, themed_demo_path, tmp_path / engine)
        conn = db.connect(Settings().with_db(path))
        try:
            for recipient in ("vp@example.com", "slack:cx-leads"):
                subscriptions.add(conn, recipient=recipient, filters=Filters.of(regions=["EMEA"]), by="test",
                                  now=MONDAY_AFTER - dt.timedelta(days=3))
        finally:
            conn.close()
        use_cli(engine, path, demo_lake, monkeypatch, DELIVERY_TOML)
        with smtp_server(tmp_path / engine) as (mail, smtp), webhook_server() as (posts, url):
            assert smtp.smtp is not None
            for key, value in {"CX_SMTP_HOST": "127.0.0.1", "CX_SMTP_PORT": str(smtp.smtp.port),
                               "CX_SMTP_USERNAME": smtp.smtp.username, "CX_SMTP_PASSWORD": smtp.smtp.password,
                               "CX_SMTP_FROM": "cx@example.com", "CX_SMTP_CA_FILE": smtp.smtp.ca_file,
                               "CX_SLACK_WEBHOOK_CX_LEADS": url + "/slack"}.items():
                monkeypatch.setenv(key, value)
            for minutes in (0, 30):
                assert main(["digest", "--send-due", "--now", f"2026-11-16T08:{minutes:02d}"]) == 0
        out = capsys.readouterr().out
        assert "2 digest(s) queued" in out and "0 digest(s) queued" in out, out
        assert len(mail.messages) == 1 and mail.tls == [True] and len(posts.bodies) == 1, (engine, out)
        message = mail.messages[0]
        pdf = next(p for p in message.walk() if p.get_content_type() == "application/pdf").get_content()
        sent[engine] = {
            "subject": message["Subject"],
            "text": next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content(),
            "pdf": pdf_text(pdf, tmp_path / engine),
            "slack": posts.bodies[0][1],
            "outbox": rows(path, "SELECT recipient, kind, status, subject FROM outbox ORDER BY recipient"),
            "audit": [json.loads(d)["recipient"] for a, d in
                      rows(path, "SELECT action, detail FROM audit_log WHERE action = 'delivery' ORDER BY 2")],
        }
    duck, sp = sent["duckdb"], sent["spark"]
    assert duck["subject"] == "CX digest · week of 09 Nov 2026 – 15 Nov 2026"
    assert "regions: EMEA" in duck["pdf"] and "Complaints" in duck["text"]
    for key in duck:
        assert sp[key] == duck[key], key
    assert sorted(r[0] for r in sp["outbox"]) == ["slack:cx-leads", "vp@example.com"]
    assert rows(tmp_path / "spark" / "cx.duckdb", "SELECT count(*) FROM tickets") == [(0,)]  # the lake was read


def test_cx_alerts_run_on_spark_records_and_sends_duckdbs_events(themed_demo_path: Path, demo_lake: Path,
                                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`cx alerts defaults` then `cx alerts run` on each engine, with a Billing anomaly rule caught up from the week
    before the spike: the same events (fired on the spike, cleared two weeks later), the same alert state for every
    default rule and the same Slack posts; `cx alerts backtest` of the Billing rule gives the same table. (A backtest
    of every default rule replays two years of weeks through the Overview's tiles: thousands of Spark jobs.)"""
    got: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        path = engine_file(engine, themed_demo_path, tmp_path / engine)
        use_cli(engine, path, demo_lake, monkeypatch, DELIVERY_TOML)
        with webhook_server() as (posts, url):
            monkeypatch.setenv("CX_SLACK_WEBHOOK_CX", url + "/hook")
            assert main(["alerts", "defaults"]) == 0
            assert main(["alerts", "add", "--metric", "complaints", "--kind", "anomaly", "--by", "category",
                         "--value", "Billing", "--min-count", "10", "--name", "Billing anomaly",
                         "--to", "slack:cx"]) == 0
            billing = rows(path, "SELECT rule_id FROM alert_rules WHERE name = 'Billing anomaly'")[0][0]
            conn = db.connect(Settings().with_db(path))
            try:  # as if `cx alerts run` last ran on the week before the spike
                conn.execute("INSERT INTO alert_state VALUES (?, 'Billing', false, NULL, ?, NULL, ?)",
                             [billing, SPIKE - dt.timedelta(weeks=1), dt.datetime(2026, 9, 8)])
            finally:
                conn.close()
            assert main(["alerts", "run", "--now", "2026-11-16T09:00"]) == 0
            capsys.readouterr()
            assert main(["alerts", "backtest", str(billing), "--format", "json"]) == 0
            backtest = json.loads(capsys.readouterr().out)
        got[engine] = {
            "events": rows(path, "SELECT r.name, e.series, e.event, e.period_start, e.message, e.link FROM "
                                 "alert_events e JOIN alert_rules r USING (rule_id) ORDER BY e.event_id"),
            "state": rows(path, "SELECT r.name, s.series, s.firing, s.since, s.last_period, s.last_value FROM "
                                "alert_state s JOIN alert_rules r USING (rule_id) ORDER BY 1, 2"),
            "posts": [b["text"] for _, b in posts.bodies],
            "backtest": backtest,
        }
    duck, sp = got["duckdb"], got["spark"]
    assert [(name, event, start) for name, _, event, start, *_ in duck["events"]][:2] == [
        ("Billing anomaly", "fired", at(SPIKE)), ("Billing anomaly", "cleared", at(SPIKE + dt.timedelta(weeks=2)))]
    assert len(duck["state"]) > 8 and duck["posts"]  # every default rule evaluated, the Billing episode posted
    assert sp["events"] == duck["events"] and sp["posts"] == duck["posts"] and sp["backtest"] == duck["backtest"]
    assert [r[:5] for r in sp["state"]] == [r[:5] for r in duck["state"]]
    for a, b in zip(duck["state"], sp["state"], strict=True):  # the last values (rates, medians) to 1e-9
        assert (a[5] is None) == (b[5] is None) and (a[5] is None or abs(a[5] - b[5]) <= 1e-9 * max(1, abs(a[5]))), a


def test_the_dashboards_delivery_thread_sends_from_spark(themed_demo_path: Path, demo_lake: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard delivers itself on the Spark engine too (app.py starts the thread): a due digest goes out once,
    with the figures the DuckDB engine's dashboard sends, and the Digests page says the dashboard sends them."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    posted = {}
    for engine in ENGINES:
        path = engine_file(engine, themed_demo_path, tmp_path / engine)
        conn = db.connect(Settings().with_db(path))
        try:
            subscriptions.add(conn, recipient="slack:cx-leads", by="test", now=MONDAY_AFTER - dt.timedelta(days=3))
        finally:
            conn.close()
        s = replace(settings_of(engine, path, demo_lake), delivery_in_dashboard=True)
        with webhook_server() as (posts, url):
            monkeypatch.setenv("CX_SLACK_WEBHOOK_CX_LEADS", url + "/slack")
            thread = scheduler.Scheduler(s)
            try:
                assert thread.tick(MONDAY_AFTER) is True
                assert thread.tick(MONDAY_AFTER + dt.timedelta(minutes=1)) is False  # sent once
                status = scheduler.status(s).summary
            finally:
                thread.stop()
                spark.database(s).close()
        assert "Spark" not in status, status  # the status of any dashboard, not a refusal
        assert rows(path, "SELECT recipient, status FROM outbox") == [("slack:cx-leads", "sent")]
        posted[engine] = [body for _, body in posts.bodies]
    assert len(posted["duckdb"]) == 1 and "Complaints" in json.dumps(posted["duckdb"])
    assert posted["spark"] == posted["duckdb"]
