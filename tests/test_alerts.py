"""Alert rules: episodes, snoozes, notifications with links, and the default set's backtest on the full demo."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cx_metrics import db, demo
from cx_metrics.alerts import evaluate, rules
from cx_metrics.alerts.rules import Rule
from cx_metrics.cli import main
from cx_metrics.config import Settings
from cx_metrics.delivery import outbox
from cx_metrics.delivery.secrets import Secrets
from cx_metrics.digest import figures as figs
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import overview, surveys
from tests.delivery_servers import webhook_server

SPIKE = dt.date(2026, 9, 14)


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[db.Connection, Settings]]:
    """The demo at its default size (two years, ~100k tickets), as `cx demo` builds it."""
    settings = Settings().with_db(tmp_path_factory.mktemp("full") / "demo.duckdb")
    conn = db.connect(settings)
    demo.build(conn, seed=7)
    yield conn, settings
    conn.close()


def test_the_default_rules_fire_on_the_planted_spike_and_nothing_else(full_demo: tuple[db.Connection, Settings]
                                                                      ) -> None:
    conn, settings = full_demo
    summary = evaluate.backtest_summary(conn, settings, list(rules.DEFAULT_RULES))
    assert (summary["periods"] == 104).all()
    fired = {name: when for name, fired_, when in zip(summary["name"], summary["fired"], summary["when"], strict=True)
             if fired_}
    assert fired, summary
    for name, when in fired.items():  # every episode starts in the spike's first week, nothing anywhere else
        assert all(part.endswith("from 14 Sep 2026") for part in when.split("; ")), (name, when)
    assert fired["Complaint anomaly by category"] == "Billing from 14 Sep 2026"
    assert fired["Complaint rate up by category"] == "Billing from 14 Sep 2026"
    episodes = evaluate.backtest(conn, settings, rules.DEFAULT_RULES[0])
    assert len(episodes) == 1 and episodes.iloc[0]["periods"] == 2  # one episode over the two spike weeks
    assert episodes.iloc[0]["cleared"] == dt.date(2026, 9, 28)


def test_a_rule_without_a_minimum_count_fires_on_quiet_series(full_demo: tuple[db.Connection, Settings]) -> None:
    conn, settings = full_demo
    noisy = Rule("any category, no minimum", "complaints", "anomaly", by="category", min_count=1)
    assert len(evaluate.backtest(conn, settings, noisy)) > 1  # How-to's 17 vs 5: the minimum count is what stops it


def test_the_first_weeks_of_data_are_not_anomalies_against_an_empty_past(full_demo: tuple[db.Connection, Settings]
                                                                         ) -> None:
    conn, settings = full_demo
    start, _ = figs.data_span(conn) or (None, None)
    observed = evaluate.observe(conn, settings, rules.DEFAULT_RULES[1],
                                evaluate.periods(dt.date(2024, 11, 18), dt.date(2025, 1, 19), "week"),
                                (dt.date(2024, 11, 18), dt.date(2026, 11, 15)))
    assert min(o.period.start for o in observed) == dt.date(2024, 12, 16)  # 4 weeks of baseline first
    assert not any(o.outside for o in observed)
    assert start is not None


def test_episodes_fire_once_and_clear_when_back_inside() -> None:
    rule = Rule("r", "complaints", "anomaly")
    weeks = [Period(dt.date(2026, 1, 5) + dt.timedelta(weeks=i), dt.date(2026, 1, 11) + dt.timedelta(weeks=i))
             for i in range(6)]
    outside = [False, True, True, False, True, False]
    obs = [evaluate.Observation("all", w, 1.0, 1, o, "") for w, o in zip(weeks, outside, strict=True)]
    events = [(e.event, e.observation.period.start) for e in evaluate.episodes(obs, rule)]
    assert events == [("fired", weeks[1].start), ("cleared", weeks[3].start), ("fired", weeks[4].start),
                      ("cleared", weeks[5].start)]


@pytest.fixture
def small(demo_db_path: Path, tmp_path: Path) -> Iterator[tuple[db.Connection, Settings]]:
    path = tmp_path / "alerts.duckdb"
    shutil.copyfile(demo_db_path, path)
    settings = Settings(dashboard_url="https://cx.example.com").with_db(path)
    conn = db.connect(settings)
    yield conn, settings
    conn.close()


def _catch_up_from(conn: db.Connection, rule_id: int, series: str, last: dt.date) -> None:
    conn.cursor().execute("INSERT INTO alert_state VALUES (?, ?, false, NULL, ?, NULL, ?)",
                          [rule_id, series, last, dt.datetime(2026, 9, 8)])


def test_run_notifies_once_per_episode_with_a_link_and_respects_snooze(small: tuple[db.Connection, Settings]) -> None:
    conn, settings = small
    now = dt.datetime(2026, 11, 16, 9, 0)
    billing = rules.add(conn, Rule("Billing anomaly", "complaints", "anomaly", by="category", value="Billing",
                                   min_count=10, recipients=("slack:cx", "lead@example.com")), by="test")
    quiet = rules.add(conn, Rule("Billing, snoozed", "complaints", "anomaly", by="category", value="Billing",
                                 min_count=10, recipients=("slack:cx",)), by="test")
    rules.change(conn, quiet, "snooze", by="test", until=now + dt.timedelta(days=1))
    for rule_id in (billing, quiet):  # as if `cx alerts run` last ran on the week before the spike
        _catch_up_from(conn, rule_id, "Billing", SPIKE - dt.timedelta(weeks=1))
    with webhook_server() as (posts, url):
        secrets = Secrets(webhooks={"slack:cx": url + "/hook"}, source="test")
        report = evaluate.run(conn, settings, secrets, now=now)
        again = evaluate.run(conn, settings, secrets, now=now + dt.timedelta(minutes=30))
    kinds = [(e["event"], e["period_start"].date(), e["snoozed"]) for e in
             evaluate.events(conn).sort_values("event_id").to_dict("records")]
    assert kinds[:2] == [("fired", SPIKE, False), ("cleared", SPIKE + dt.timedelta(weeks=2), False)]
    assert sorted(kinds[2:]) == [("cleared", SPIKE + dt.timedelta(weeks=2), True), ("fired", SPIKE, True)]
    assert len(report.events) == 4 and again.events == []
    # the unsnoozed rule's two events went to Slack (delivered) and by e-mail (no SMTP configured: kept, pending)
    assert [b["text"] for _, b in posts.bodies] == [
        "[CX alert] Complaints · category Billing anomalous, week of 14 Sep 2026 – 20 Sep 2026",
        "[CX alert] Complaints · category Billing back to normal, week of 28 Sep 2026 – 04 Oct 2026"]
    button = posts.bodies[0][1]["blocks"][-1]["elements"][0]["url"]
    assert button == ("https://cx.example.com/complaints?start=2026-06-22&end=2026-09-20&by=category&grain=week"
                      "&series=Billing")
    pending = outbox.messages(conn, status="pending")
    assert sorted(pending["recipient"]) == ["lead@example.com", "lead@example.com"]
    assert "No SMTP server is configured" in pending.iloc[0]["last_error"]
    assert evaluate.firing_now(conn).empty  # both episodes cleared


def test_change_and_threshold_rules_read_the_dashboards_tests(small: tuple[db.Connection, Settings]) -> None:
    conn, settings = small
    span = (dt.date(2024, 11, 18), dt.date(2026, 11, 15))
    weeks = evaluate.periods(SPIKE, SPIKE + dt.timedelta(days=6), "week")
    kpi = overview.kpis(conn, period=weeks[0], settings=settings).set_index("metric").loc["complaints"].to_dict()
    change = evaluate.observe(conn, settings, Rule("c", "complaints", "change", alpha=0.05, min_count=5), weeks, span)
    assert change[0].value == kpi["value"] and change[0].outside == bool(kpi["p_value"] < 0.05 and kpi["delta"] > 0)
    above = Rule("t", "complaints", "threshold", direction="above", threshold=kpi["value"] - 1, min_count=5)
    below = Rule("t", "complaints", "threshold", direction="above", threshold=kpi["value"], min_count=5)
    assert evaluate.observe(conn, settings, above, weeks, span)[0].outside
    assert not evaluate.observe(conn, settings, below, weeks, span)[0].outside
    csat = Rule("csat", "csat", "threshold", direction="below", threshold=101, min_count=10**6,
                filters=Filters.of(regions=["EMEA"]))
    assert not evaluate.observe(conn, settings, csat, weeks, span)[0].outside  # too few responses never fires


def test_rules_are_checked_with_messages_that_say_what_to_do(small: tuple[db.Connection, Settings],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    conn, settings = small
    with pytest.raises(ValueError, match="anomaly rules watch complaint counts"):
        rules.add(conn, Rule("x", "csat", "anomaly"), by="test")
    with pytest.raises(ValueError, match="needs a threshold"):
        rules.add(conn, Rule("x", "csat", "threshold", direction="below"), by="test")
    conn.close()
    assert main(["alerts", "add", "--db", str(settings.db_path), "--metric", "nps", "--kind", "change",
                 "--by", "category"]) == 2
    assert "segment nps with the filters" in capsys.readouterr().err
    assert main(["alerts", "defaults", "--db", str(settings.db_path), "--to", "slack:cx"]) == 0
    assert main(["alerts", "defaults", "--db", str(settings.db_path)]) == 0
    out = capsys.readouterr().out
    assert "5 default rule(s) added" in out and "0 default rule(s) added" in out
    assert main(["alerts", "snooze", "1", "--hours", "24", "--db", str(settings.db_path)]) == 0


@pytest.mark.parametrize("period", [Period(SPIKE, SPIKE + dt.timedelta(days=6)),
                                    Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))], ids=["week", "month"])
@pytest.mark.parametrize("filters", [Filters(), Filters.of(regions=["EMEA"])], ids=["all", "EMEA"])
def test_a_rule_reads_its_metric_as_the_page_shows_it(demo_conn: db.Connection, period: Period,
                                                      filters: Filters) -> None:
    """An alert rule computes only its own metric each period (not the Overview's seven tiles), and gets exactly the
    row the page shows: the Overview's tile, or the Surveys page's CES."""
    s = Settings()
    tiles = overview.kpis(demo_conn, period=period, filters=filters, settings=s)
    scores = surveys.survey_summary(demo_conn, period=period, filters=filters, settings=s)
    for metric in figs.METRICS:
        page = tiles if figs.SOURCES[metric] == "kpis" else scores
        expected = {str(k): v for k, v in page[page["metric"] == metric].iloc[0].to_dict().items()}
        got = figs.metric_row(demo_conn, s, metric, period, filters)
        assert got.keys() == expected.keys() | {"higher_is_better"}, metric
        for key, value in expected.items():
            same = (pd.isna(got[key]) and pd.isna(value)) if pd.api.types.is_scalar(value) and pd.isna(value) \
                else got[key] == value
            assert same, (metric, key, got[key], value)
