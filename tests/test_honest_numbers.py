"""A number the data cannot support says so: no 0% or 100% from absent inputs, no comparison with a period outside
the data, no anomaly from the weeks before the first ticket. On one's own export loaded into a fresh database."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_metrics import cli, db
from cx_metrics.config import Settings
from cx_metrics.filters import Filters, Period
from cx_metrics.ingest import load as ingest
from cx_metrics.metrics import complaints, coverage, overview, resolution
from tests.conftest import TINY_PERIOD
from tests.exports import FIRST_DAY, LAST_DAY, zendesk_without_first_reply

#: three whole weeks at the start of the export: its previous period lies entirely before the first ticket
EARLY = Period(FIRST_DAY, FIRST_DAY + dt.timedelta(days=20))
#: the last three weeks: the previous three weeks are inside the data
LATE = Period(LAST_DAY - dt.timedelta(days=20), LAST_DAY)


@pytest.fixture(scope="module")
def own_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh database holding only the synthetic Zendesk export (no first-reply times), loaded the real way."""
    path = tmp_path_factory.mktemp("own") / "own.duckdb"
    conn = db.connect(Settings().with_db(path))
    ingest.load(conn, ingest.preview(zendesk_without_first_reply(), name="zendesk-tickets.csv"))
    conn.close()
    return path


@pytest.fixture
def own(own_path: Path) -> Iterator[db.Connection]:
    conn = db.connect(Settings().with_db(own_path), read_only=True)
    yield conn
    conn.close()


def _tiles(conn: db.Connection, period: Period, filters: Filters | None = None) -> dict[str, dict[str, object]]:
    return {str(r["metric"]): r for r in overview.kpis(conn, period=period, filters=filters).to_dict("records")}


def test_first_response_without_first_reply_times_says_so(own: db.Connection) -> None:
    tiles = _tiles(own, LATE)
    first = tiles["first_response"]
    assert first["unavailable"] == "no first-reply times in this data"
    assert math.isnan(float(first["value"])) and math.isnan(float(first["delta"]))  # type: ignore[arg-type]
    sla = resolution.sla_breaches(own, period=LATE)
    assert "first_response" not in set(sla["target"])  # never 100% of open tickets "breaching"
    assert sla.attrs["notes"] == ["First-response SLA: no first-reply times in this data."]
    trend = resolution.sla_breach_trend(own, period=LATE, grain="week")
    assert set(trend["target"]) == {"resolution"} and trend.attrs["notes"]
    waits = resolution.time_to_event(own, period=LATE, metric="first_response")
    assert waits.attrs["notes"] == ["Time to first response: no first-reply times in this data."]
    # the resolution figures the export does support are still there
    assert tiles["resolution"]["unavailable"] == "" and float(tiles["resolution"]["value"]) > 0  # type: ignore[arg-type]
    assert float(tiles["sla"]["value"]) < 100  # type: ignore[arg-type]


def test_pending_and_on_hold_tickets_have_had_a_reply(tiny_conn: db.Connection) -> None:
    """t4 (no reply time) waits for the customer: an agent replied, so it is neither waiting nor a breach."""
    tiny_conn.execute("UPDATE tickets SET priority = 'urgent'")
    tiny_conn.execute("UPDATE tickets SET status = 'pending' WHERE ticket_id = 't4'")
    first = resolution.sla_breaches(tiny_conn, period=TINY_PERIOD).set_index("target").loc["first_response"]
    assert (first["achieved"], first["breached"], first["pending"]) == (2, 1, 0)
    row = resolution.time_to_event(tiny_conn, period=TINY_PERIOD, metric="first_response").iloc[0]
    assert (row["tickets"], row["censored"]) == (3, 0)  # t4 left out: replied, time unknown
    tiny_conn.execute("UPDATE tickets SET status = 'hold' WHERE ticket_id = 't4'")
    tile = _tiles(tiny_conn, TINY_PERIOD)["first_response"]
    assert str(tile["note"]).startswith("0 tickets awaiting a first reply")
    assert "1 replied tickets without a recorded time are left out" in str(tile["note"])
    # the resolution still waits for them: pending is not solved
    row = resolution.time_to_event(tiny_conn, period=TINY_PERIOD).iloc[0]
    assert row["censored"] == 2


def test_no_comparison_with_a_period_before_the_data(own: db.Connection) -> None:
    tiles = _tiles(own, EARLY)
    complaints_tile = tiles["complaints"]
    assert float(complaints_tile["value"]) > 0  # type: ignore[arg-type]
    assert str(complaints_tile["comparison"]).startswith("no comparison: the previous period (13 Mar 2023 – "
                                                         "02 Apr 2023) starts before the first ticket (03 Apr 2023)")
    for tile in tiles.values():
        assert math.isnan(float(tile["delta"])) and math.isnan(float(tile["p_value"])), tile["metric"]  # type: ignore[arg-type]
        assert overview.describe_delta(tile, 0.05) == ""
        assert "real change" not in overview.describe_test(tile, 0.05)
    # inside the data the comparison is made
    late = _tiles(own, LATE)["complaints"]
    assert late["comparison"] == "" and not math.isnan(float(late["p_value"]))  # type: ignore[arg-type]


def test_no_comparison_when_the_period_runs_past_the_data(own: db.Connection) -> None:
    past = Period(LAST_DAY - dt.timedelta(days=6), LAST_DAY + dt.timedelta(days=14))
    tile = _tiles(own, past)["complaints"]
    assert tile["comparison"] == "no comparison: this period runs past the data's last day (14 May 2023)"
    outside = _tiles(own, Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31)))["complaints"]
    assert outside["unavailable"] == "no tickets in this period: the data's tickets run from 03 Apr 2023 to 14 May 2023"


def test_the_cli_never_prints_an_infinite_delta(own_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`delta: Infinity` came from comparing with a previous period before the data."""
    code = cli.main(["metric", "kpis", "--db", str(own_path), "--start", str(EARLY.start), "--end", str(EARLY.end),
                     "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0 and "Infinity" not in out
    tiles = {r["metric"]: r for r in json.loads(out)["rows"]}  # strict JSON: NaN is null
    assert tiles["complaints"]["comparison"].startswith("no comparison")


def test_nps_filtered_to_a_channel_says_relationship_nps_has_none(tiny_conn: db.Connection) -> None:
    tile = _tiles(tiny_conn, TINY_PERIOD, Filters.of(channels=["email"]))["nps"]
    assert str(tile["unavailable"]).startswith("NPS responses carry no channel (a relationship survey")
    assert not tile["small_n"]  # not "n < 30": the reason is the channel, not the sample


def test_coverage_says_what_each_metric_lacks(own: db.Connection) -> None:
    cov = coverage.coverage(own, period=LATE)
    assert cov.unavailable("first_response") == "no first-reply times in this data"
    assert cov.unavailable("resolution") == ""
    assert cov.unavailable("nps") == "no NPS responses in this data"
    assert cov.unavailable("churn") == "no customer file in this data"
    assert cov.span("tickets") == (FIRST_DAY, LAST_DAY)
    assert cov.comparison("complaints") == ""
    assert coverage.coverage(own, period=EARLY).comparison("complaints").startswith("no comparison")


def test_anomaly_baselines_use_observed_weeks_only(own: db.Connection) -> None:
    """The weeks before the first ticket are not weeks of zero complaints: the first weeks of an import are never
    flagged against them, and the baseline only starts once four observed weeks precede."""
    flags = complaints.anomalies(own, period=Period(FIRST_DAY, LAST_DAY), grain="week", by="all")
    assert not flags["is_anomaly"].any()
    assert flags.iloc[:4]["baseline"].isna().all()  # no baseline from unobserved weeks
    assert flags.iloc[4:]["baseline"].notna().all()
    daily = complaints.anomalies(own, period=Period(FIRST_DAY, LAST_DAY), grain="day", by="all")
    assert not daily["is_anomaly"].iloc[:28].any()


def test_tables_and_comparisons_say_what_the_data_lacks(own: db.Connection) -> None:
    """Reopens, replies and stations are absent from this export: their rates are unknown, not 0%; movers and
    emerging themes have nothing to compare with before the data starts."""
    follow = resolution.follow_through(own, period=LATE)
    assert follow["reopen_rate"].isna().all() and follow["one_touch_rate"].isna().all()
    assert any(n.startswith("Reopen rate: no reopen counts") for n in follow.attrs["notes"])
    movers = complaints.top_movers(own, period=EARLY)
    assert movers.empty and movers.attrs["notes"][0].startswith("no comparison: the previous period")
    assert not complaints.top_movers(own, period=LATE).empty
    from cx_metrics.metrics import themes as theme_metrics

    emerging = theme_metrics.emerging_themes(own, period=EARLY)
    assert emerging.empty and emerging.attrs["notes"][0].startswith("no comparison")


def test_survey_tiles_compare_only_inside_the_survey(tiny_conn: db.Connection) -> None:
    from cx_metrics.metrics import surveys

    # NPS answers start on 1 Dec 2025: the week before holds no survey, not a survey of nobody
    first_week = Period(dt.date(2025, 12, 1), dt.date(2025, 12, 7))
    nps = surveys.survey_summary(tiny_conn, period=first_week).set_index("metric").loc["nps"]
    assert nps["comparison"].startswith("no comparison: the previous period (24 Nov 2025 – 30 Nov 2025) starts "
                                        "before the first NPS response (01 Dec 2025)")
    assert math.isnan(nps["delta"]) and math.isnan(nps["p_value"])
    email = surveys.survey_summary(tiny_conn, period=TINY_PERIOD, filters=Filters.of(channels=["email"]))
    assert email.set_index("metric").loc["nps", "unavailable"].startswith("NPS responses carry no channel")


def test_the_cli_says_what_the_data_lacks(own_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["metric", "sla-breaches", "--db", str(own_path), "--start", str(LATE.start),
                     "--end", str(LATE.end)]) == 0
    captured = capsys.readouterr()
    assert "# First-response SLA: no first-reply times in this data." in captured.err
    assert "first_response" not in captured.out
    assert cli.main(["rejects", "1", "--db", str(own_path)]) == 0
    out = capsys.readouterr().out
    assert "Empty DataFrame" not in out and out.strip() == "Import #1 has no rejected lines."
