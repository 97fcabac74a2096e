"""Delivery while the dashboard runs: its one scheduler thread per process sends the due digests itself, and
`cx digest --send-due` / `cx alerts run` from cron say so (exit 0) instead of failing on the held file; nothing is
sent twice across the two paths. Real DuckDB files, a real Streamlit server, a loopback SMTP server."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cx_metrics import db, scheduler
from cx_metrics.config import ConfigError, Settings, load_settings
from cx_metrics.digest import subscriptions
from cx_ui.serve import running_server
from tests.delivery_servers import smtp_server


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    s = replace(Settings().with_db(tmp_path / "s.duckdb"), delivery_interval_seconds=3600)
    db.connect(s).close()
    yield s
    scheduler.stop_all()
    db.shared(s).close()


def test_the_scheduler_starts_once_per_process_whoever_asks(settings: Settings) -> None:
    found: list[scheduler.Scheduler | None] = []
    callers = [threading.Thread(target=lambda: found.append(scheduler.start(settings))) for _ in range(8)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    found.append(scheduler.start(settings))  # a later rerun or session
    assert len(found) == 9 and all(f is found[0] for f in found) and found[0] is not None
    assert sum(t.name == "cx-delivery" and t.is_alive() for t in threading.enumerate()) == 1
    deadline = time.monotonic() + 10
    while scheduler.read_heartbeat(settings) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    beat = scheduler.read_heartbeat(settings)
    assert beat is not None and beat.pid == os.getpid() and beat.alive()
    # nothing due: the first tick only read, the connection never switched to read-write
    assert found[0].runs == 0 and db.shared(settings).write_opens == 0
    scheduler.stop_all()
    assert not found[0].thread.is_alive() and scheduler.read_heartbeat(settings) is None
    assert scheduler.start(replace(settings, delivery_in_dashboard=False)) is None


def test_delivery_settings_come_from_cx_toml_and_are_checked(tmp_path: Path) -> None:
    toml = tmp_path / "cx.toml"
    toml.write_text("[delivery]\nin_dashboard = false\ninterval_seconds = 300\n", encoding="utf-8")
    s = load_settings({"CX_CONFIG": str(toml)})
    assert (s.delivery_in_dashboard, s.delivery_interval_seconds) == (False, 300)
    assert load_settings({}).delivery_in_dashboard is True and load_settings({}).delivery_interval_seconds == 60
    with pytest.raises(ConfigError, match="interval_seconds"):
        load_settings({"CX_DELIVERY_INTERVAL_SECONDS": "0"})


def _beat(settings: Settings, pid: int, age: float, running: bool = False) -> None:
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=age)
    scheduler.heartbeat_path(settings).write_text(json.dumps(
        {"pid": pid, "interval": 60, "beat_at": at.isoformat(), "running_since": at.isoformat() if running else None,
         "last_run": None, "last_lines": [], "last_error": ""}), encoding="utf-8")


def test_what_the_cli_says_about_a_dashboard_holding_the_file(settings: Settings) -> None:
    holder = db.LockHolder(4242, "the dashboard", dashboard=True)
    code, text = scheduler.describe_holder(settings, holder, "cx digest --send-due")
    assert code == 1 and "[delivery] in_dashboard = true" in text and "make run" in text
    off = replace(settings, delivery_in_dashboard=False)
    assert "delivery is off" in scheduler.describe_holder(off, holder, "cx alerts run")[1]
    _beat(settings, 4242, age=30)
    code, text = scheduler.describe_holder(settings, holder, "cx digest --send-due")
    assert code == 0 and "process 4242" in text and "sends the due digests" in text and "cx outbox list" in text
    _beat(settings, 4242, age=600)  # silent for ten intervals: stuck
    code, text = scheduler.describe_holder(settings, holder, "cx alerts run")
    assert code == 1 and "has not reported since" in text and "Restart the dashboard" in text
    _beat(settings, 4242, age=600, running=True)  # a long run (many digests) is not stuck yet
    assert scheduler.describe_holder(settings, holder, "cx alerts run")[0] == 0
    _beat(settings, 777, age=1)  # another (earlier) dashboard's beat says nothing about this one
    assert scheduler.describe_holder(settings, holder, "cx alerts run")[0] == 1


def _wait_for_beat(settings: Settings) -> scheduler.Heartbeat:
    deadline = time.monotonic() + 20
    while (beat := scheduler.read_heartbeat(settings)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert beat is not None
    return beat


def test_the_status_says_whether_this_dashboard_delivers_or_who_must(settings: Settings) -> None:
    off = scheduler.status(replace(settings, delivery_in_dashboard=False))
    assert not off.delivers and "in_dashboard = false" in off.summary and "exit 1" in off.summary
    spark = scheduler.status(replace(settings, engine=replace(settings.engine, kind="spark")))
    # on Spark as on DuckDB (tests/test_spark_delivery.py sends from the lake): not started here, so not delivering
    assert not spark.delivers and "started without app.py" in spark.summary
    plain = scheduler.status(settings)  # no delivery thread in this process: a server started without app.py
    assert not plain.delivers and not plain.healthy
    assert "started without app.py" in plain.summary and "make run" in plain.summary and plain.beat is None
    assert scheduler.start(settings) is not None
    beat = _wait_for_beat(settings)
    live = scheduler.status(settings)
    assert live.delivers and live.healthy and "every 3600 s" in live.summary and live.beat == beat
    assert live.next_check == beat.beat_at + dt.timedelta(seconds=3600)
    silent = scheduler.status(settings, now=beat.beat_at + dt.timedelta(hours=3))  # two intervals and more
    assert silent.delivers and not silent.healthy and silent.next_check is None
    assert f"has not reported since {beat.beat_at:%Y-%m-%d %H:%M} UTC" in silent.summary


def test_the_digests_page_shows_the_heartbeat(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CX_DB_PATH", str(settings.db_path))
    monkeypatch.setenv("CX_DELIVERY_INTERVAL_SECONDS", "3600")

    def digests_page() -> AppTest:
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=60)
        at.run()
        at.switch_page("views/digests.py").run()
        assert not at.exception, at.exception
        return at

    at = digests_page()  # this process has no delivery thread: the page says nobody delivers, and what to do
    assert any("started without app.py" in w.value and "make run" in w.value for w in at.warning)
    assert not any("sends the due digests" in s.value for s in at.success)
    assert scheduler.start(settings) is not None
    beat = _wait_for_beat(settings)  # the thread now sleeps an hour: the beat below stays as written
    last_run = beat.beat_at - dt.timedelta(minutes=5)
    scheduler.heartbeat_path(settings).write_text(json.dumps(
        {"pid": os.getpid(), "interval": 3600, "beat_at": beat.beat_at.isoformat(), "running_since": None,
         "last_run": last_run.isoformat(), "last_error": "SMTP refused: 535 bad credentials",
         "last_lines": ["1 digest(s) queued", "  sent: vp.emea@example.com (executive digest)"]}), encoding="utf-8")
    at = digests_page()
    assert any("sends the due digests and runs the alert rules itself, every 3600 s" in s.value for s in at.success)
    facts = " ".join(c.value for c in at.caption)
    assert f"Last delivery run: {last_run:%Y-%m-%d %H:%M:%S} UTC" in facts
    assert f"Next check: about {beat.beat_at + dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S} UTC" in facts
    assert any("535 bad credentials" in e.value for e in at.error)
    assert "sent: vp.emea@example.com" in at.expander[0].code[0].value
    assert not any("does not deliver" in w.value for w in at.warning)


def _cx(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cx_metrics.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, check=False)


def _digests_page_says(browser: Any, url: str, shot: Path) -> str:
    """The Digests page's delivery panel as a person reads it (its expander of the last run opened)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/digests")
        page.get_by_text("This dashboard ").first.wait_for(timeout=120_000)
        page.get_by_role("button", name="Add subscription").wait_for(timeout=120_000)
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)
        last_run = page.get_by_text("What the last run sent and evaluated")
        if last_run.count():
            last_run.click()
            page.locator('[data-testid="stExpander"] [data-testid="stCode"]').first.wait_for(timeout=30_000)
        page.screenshot(path=str(shot), full_page=True)
        main = page.locator('[data-testid="stMain"]').inner_text()
        return str(main.split("Subscriptions\n")[0])
    finally:
        page.close()


@pytest.mark.browser
def test_the_running_dashboard_delivers_a_due_digest_once_and_cron_sends_nothing_twice(
        demo_db_path: Path, tmp_path: Path, browser: Any) -> None:
    path = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db_path, path)
    settings = Settings().with_db(path)
    conn = db.connect(settings)
    # due now whatever today is: daily at midnight UTC, created long before
    subscriptions.add(conn, recipient="cx-lead@example.com", role="cx_lead", frequency="daily", hour=0, by="test",
                      now=dt.datetime(2026, 1, 1))
    conn.close()
    with smtp_server(tmp_path) as (mail, secrets):
        assert secrets.smtp is not None
        env = {**os.environ, "CX_DB_PATH": str(path), "XDG_CONFIG_HOME": str(tmp_path / "no-config"),
               "CX_SMTP_HOST": "127.0.0.1", "CX_SMTP_PORT": str(secrets.smtp.port),
               "CX_SMTP_USERNAME": secrets.smtp.username, "CX_SMTP_PASSWORD": secrets.smtp.password,
               "CX_SMTP_FROM": "cx@example.com", "CX_SMTP_CA_FILE": secrets.smtp.ca_file,
               "CX_DELIVERY_INTERVAL_SECONDS": "2"}
        env.pop("CX_SECRETS_FILE", None)
        with running_server(path, env=env) as server:  # no browser opens it: the server process delivers alone
            deadline = time.monotonic() + 120
            while not mail.messages and time.monotonic() < deadline:
                time.sleep(0.5)
            assert len(mail.messages) == 1, "the dashboard did not send the due digest"
            for command in (["digest", "--send-due"], ["alerts", "run"]):  # cron meanwhile
                done = _cx(env, *command)
                assert done.returncode == 0, done.stderr
                assert f"process {server.pid}" in done.stdout and "sends the due digests" in done.stdout
            time.sleep(5)  # two more ticks of the dashboard's scheduler
            assert len(mail.messages) == 1
            said = _digests_page_says(browser, server.url, tmp_path / "digests.png")
            assert "sends the due digests and runs the alert rules itself, every 2 s" in said
            assert "Last delivery run: 20" in said and "none yet" not in said
            assert "1 digest(s) queued" in said and "cx-lead@example.com" in said  # what the last run sent
        done = _cx(env, "digest", "--send-due")  # cron once the dashboard has stopped: same slot, nothing again
        assert done.returncode == 0, done.stderr
        assert "0 digest(s) queued" in done.stdout
        assert len(mail.messages) == 1
    assert mail.messages[0]["To"] == "cx-lead@example.com" and mail.messages[0]["Subject"].startswith("CX digest")
    conn = db.connect(settings, read_only=True)
    try:
        sent = conn.execute("SELECT status, count(*) FROM outbox GROUP BY ALL").fetchall()
        audited = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'delivery'").fetchall()[0][0]
    finally:
        conn.close()
    assert sent == [("sent", 1)] and audited == 1


@pytest.mark.browser
def test_cron_against_a_dashboard_that_does_not_deliver_says_what_to_do(demo_db_path: Path, tmp_path: Path,
                                                                       browser: Any) -> None:
    path = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db_path, path)
    env = {**os.environ, "CX_DB_PATH": str(path), "CX_DELIVERY_IN_DASHBOARD": "false"}
    with running_server(path, env=env) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:  # someone opens it: the dashboard now holds the file
            page.goto(server.url)
            page.get_by_role("heading", name="Overview").wait_for(timeout=120_000)
            done = _cx(env, "digest", "--send-due")
        finally:
            page.close()
        said = _digests_page_says(browser, server.url, tmp_path / "digests.png")
    assert "This dashboard does not deliver: `[delivery] in_dashboard = false`" in said.replace("\n", " ") or \
        "This dashboard does not deliver: [delivery] in_dashboard = false" in said
    assert "exit 1" in said
    assert done.returncode == 1, done.stdout
    assert f"dashboard (process {server.pid})" in done.stderr and "delivery is off" in done.stderr
    assert "[delivery] in_dashboard = true" in done.stderr
    assert not scheduler.heartbeat_path(Settings().with_db(path)).exists()


def test_the_alert_rules_have_no_pending_work_once_run(demo_db_path: Path, tmp_path: Path) -> None:
    from cx_metrics.alerts import evaluate, rules

    path = tmp_path / "alerts.duckdb"
    shutil.copyfile(demo_db_path, path)
    conn = db.connect(Settings().with_db(path))
    try:
        assert evaluate.pending(conn) == ()
        rules.install_defaults(conn, by="test")
        before = evaluate.pending(conn)
        assert before and all(start <= dt.date(2026, 11, 15) for _, start in before)  # the latest period each
        evaluate.run(conn, Settings().with_db(path), None)
        assert evaluate.pending(conn) == ()  # so the scheduler's next tick stays read-only
    finally:
        conn.close()
