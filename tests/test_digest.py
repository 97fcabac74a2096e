"""Digests, subscriptions and delivery end to end: real DuckDB files, Debian's Chromium for the PDF, a loopback SMTP
server with STARTTLS and a loopback webhook server; the PDF is read back with pdftotext."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cx_metrics import audit, db
from cx_metrics.cli import main
from cx_metrics.config import ConfigError, Settings
from cx_metrics.delivery import outbox
from cx_metrics.delivery.secrets import Secrets, load_secrets
from cx_metrics.delivery.transports import DeliveryError, channel_of
from cx_metrics.digest import figures as figs
from cx_metrics.digest import send, subscriptions
from cx_metrics.digest.render import chromium
from cx_metrics.filters import Filters, Period
from cx_metrics.metrics import overview
from tests.delivery_servers import smtp_server, webhook_server

SPIKE_WEEK = Period(dt.date(2026, 9, 14), dt.date(2026, 9, 20))
MONDAY_AFTER = dt.datetime(2026, 11, 16, 8, 0)  # the demo's data ends on Sunday 15 Nov 2026


def pdf_text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "digest.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def themed(themed_demo_path: Path, tmp_path: Path) -> Iterator[tuple[db.Connection, Settings]]:
    path = tmp_path / "digest.duckdb"
    shutil.copyfile(themed_demo_path, path)
    settings = Settings().with_db(path)
    conn = db.connect(settings)
    yield conn, settings
    conn.close()


def test_the_pdf_carries_the_pages_numbers_for_the_period_and_filters(themed: tuple[db.Connection, Settings],
                                                                      tmp_path: Path) -> None:
    conn, settings = themed
    filters = Filters.of(regions=["EMEA"])
    with chromium() as renderer:
        rendered = send.make_digest(conn, settings, SPIKE_WEEK, filters, "executive", renderer)
    text = pdf_text(rendered.pdf, tmp_path)
    kpis = overview.kpis(conn, period=SPIKE_WEEK, filters=filters, settings=settings)
    assert "week of 14 Sep 2026 – 20 Sep 2026" in text and "regions: EMEA" in text
    for row in kpis.to_dict("records"):  # every tile: value, delta and verdict as the Overview writes them
        assert overview.format_value(row) in text, row["metric"]
        assert overview.describe_delta(row, settings.alpha) in text, row["metric"]
    unfiltered = overview.kpis(conn, period=SPIKE_WEEK, settings=settings)
    complaints = int(kpis.set_index("metric").loc["complaints", "value"])
    assert complaints != int(unfiltered.set_index("metric").loc["complaints", "value"])  # the filter applied
    movers = figs.complaint_movers(conn, settings, SPIKE_WEEK, "category", filters)
    for rec in movers.head(3).to_dict("records"):  # the movers table, row by row
        row = f"{rec['dimension']} {int(rec['complaints']):,} {int(rec['prev_complaints']):,}"
        assert row in " ".join(text.split())
    # the charts are vector: their axis titles are text in the PDF
    assert "complaints per week" in text and "breach rate of tickets created that week" in text
    # the e-mail carries the same figures, its charts as inline PNG images
    assert overview.format_value(kpis.iloc[0].to_dict()) in rendered.email_html
    assert set(rendered.images) == {f"{n}@cx-digest" for n in ("complaint_trend", "resolution_trend", "sla_trend")}
    assert all(png.startswith(b"\x89PNG") for png in rendered.images.values())
    assert all(f'src="cid:{cid}"' in rendered.email_html for cid in rendered.images)


def test_an_executive_digest_has_no_verbatim_and_an_analyst_one_does(themed: tuple[db.Connection, Settings],
                                                                     tmp_path: Path) -> None:
    conn, settings = themed
    fig = figs.figures(conn, settings, SPIKE_WEEK, role="analyst")
    examples = [" ".join(str(t).split())[:60] for frame in fig.verbatims.values() for t in frame["text"].dropna()]
    tickets = [str(t) for t in fig.rows["ticket_id"]] if fig.rows is not None else []
    assert examples and tickets
    with chromium() as renderer:
        texts = {role: " ".join(pdf_text(send.make_digest(conn, settings, SPIKE_WEEK, None, role, renderer).pdf,
                                         tmp_path).split())
                 for role in ("executive", "cx_lead", "analyst")}
    assert examples[0] in texts["analyst"] and tickets[0] in texts["analyst"]
    assert "tickets behind the largest anomaly" in texts["analyst"]
    for role in ("executive", "cx_lead"):  # theme labels are aggregates; the comments and ticket rows are not there
        assert not any(e in texts[role] for e in examples)
        assert not any(t in texts[role] for t in tickets)
        assert "tickets behind the largest anomaly" not in texts[role]


def test_cx_digest_writes_the_pdf_and_the_email(themed: tuple[db.Connection, Settings], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    conn, settings = themed
    conn.close()
    out = tmp_path / "out"
    assert main(["digest", "--period", "week", "--end", "2026-09-20", "--db", str(settings.db_path),
                 "--region", "EMEA", "--out", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"cx-digest-2026-09-14-2026-09-20-filtered.{x}" for x in ("eml", "html", "pdf")]
    from email import message_from_bytes, policy

    mail = message_from_bytes((out / files[0]).read_bytes(), policy=policy.default)
    parts = [p.get_content_type() for p in mail.walk()]
    assert {"text/plain", "text/html", "image/png", "application/pdf"} <= set(parts)


def _secrets_with(smtp: Secrets, url: str) -> Secrets:
    return replace(smtp, webhooks={"slack:cx-leads": url + "/slack", "teams:cx": url + "/teams"})


def test_send_due_delivers_once_over_starttls_and_webhooks_and_audits(themed: tuple[db.Connection, Settings],
                                                                       tmp_path: Path) -> None:
    conn, settings = themed
    settings = replace(settings, dashboard_url="http://127.0.0.1:8501")
    created = MONDAY_AFTER - dt.timedelta(days=3)
    vp = subscriptions.add(conn, recipient="VP.EMEA@example.com", filters=Filters.of(regions=["EMEA"]), by="test",
                           now=created)
    subscriptions.add(conn, recipient="slack:cx-leads", by="test", now=created)
    subscriptions.add(conn, recipient="teams:cx", by="test", now=created)
    subscriptions.add(conn, recipient="later@example.com", by="test", now=MONDAY_AFTER - dt.timedelta(minutes=5))
    with smtp_server(tmp_path) as (mail, smtp), webhook_server() as (posts, url):
        secrets = _secrets_with(smtp, url)
        report = send.send_due(conn, settings, secrets, now=MONDAY_AFTER)
        assert len(report.queued) == 3 and report.delivery and report.delivery.sent == 3, report.lines()
        again = send.send_due(conn, settings, secrets, now=MONDAY_AFTER + dt.timedelta(minutes=40))
        assert again.queued == [] and again.delivery and again.delivery.sent == 0
    assert len(mail.messages) == 1 and mail.tls == [True] and mail.logins == ["cx-digest"]
    message = mail.messages[0]
    assert message["To"] == "vp.emea@example.com"
    assert message["Subject"] == "CX digest · week of 09 Nov 2026 – 15 Nov 2026"
    pdf = next(p for p in message.walk() if p.get_content_type() == "application/pdf")
    text = pdf_text(pdf.get_content(), tmp_path)
    kpis = overview.kpis(conn, period=Period(dt.date(2026, 11, 9), dt.date(2026, 11, 15)),
                         filters=Filters.of(regions=["EMEA"]), settings=settings)
    assert "regions: EMEA" in text and overview.format_value(kpis.iloc[0].to_dict()) in text
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert "start=2026-11-09&amp;end=2026-11-15&amp;region=EMEA" in html  # the link opens this view
    paths = sorted(p for p, _ in posts.bodies)
    assert paths == ["/slack", "/teams"]
    slack = next(b for p, b in posts.bodies if p == "/slack")
    assert slack["text"].startswith("CX digest") and slack["blocks"][0]["type"] == "header"
    teams = next(b for p, b in posts.bodies if p == "/teams")
    assert teams["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    log = audit.recent(conn)
    deliveries = [json.loads(d) for a, d in zip(log["action"], log["detail"], strict=True) if a == "delivery"]
    assert sorted(d["recipient"] for d in deliveries) == ["slack:cx-leads", "teams:cx", "vp.emea@example.com"]
    assert vp == 1


def test_failed_deliveries_back_off_and_are_never_lost(tiny_conn: db.Connection) -> None:
    t0 = dt.datetime(2026, 1, 12, 9, 0)
    with webhook_server() as (posts, url):
        secrets = Secrets(webhooks={"slack:cx": url + "/hook"}, source="test")
        cur = tiny_conn.cursor()
        outbox.enqueue(cur, dedupe_key="alert:1:slack:cx", kind="alert", recipient="slack:cx", subject="s",
                       body={"webhook": {"text": "hello"}}, now=t0)
        cur.close()
        posts.fail_next = 2
        first = outbox.deliver_due(tiny_conn, secrets, now=t0)
        assert first.failed_attempts == 1 and not posts.bodies
        assert outbox.deliver_due(tiny_conn, secrets, now=t0 + dt.timedelta(seconds=30)).failed_attempts == 0
        assert outbox.deliver_due(tiny_conn, secrets, now=t0 + dt.timedelta(minutes=1)).failed_attempts == 1
        assert outbox.deliver_due(tiny_conn, secrets, now=t0 + dt.timedelta(minutes=2)).sent == 0  # waits 2 min now
        assert outbox.deliver_due(tiny_conn, secrets, now=t0 + dt.timedelta(minutes=3)).sent == 1
        assert posts.bodies == [("/hook", {"text": "hello"})]
        assert outbox.deliver_due(tiny_conn, secrets, now=t0 + dt.timedelta(hours=1)).sent == 0  # sent once
    actions = list(audit.recent(tiny_conn)["action"])
    assert actions.count("delivery_failed") == 2 and actions.count("delivery") == 1
    # a destination that never answers: retried up to MAX_ATTEMPTS, then failed, kept, and retried on request
    cur = tiny_conn.cursor()
    outbox.enqueue(cur, dedupe_key="alert:2:slack:gone", kind="alert", recipient="slack:gone", subject="s",
                   body={"webhook": {"text": "x"}}, now=t0)
    cur.close()
    at = t0
    for _ in range(outbox.MAX_ATTEMPTS):
        at += dt.timedelta(hours=7)
        outbox.deliver_due(tiny_conn, secrets, now=at)
    failed = outbox.messages(tiny_conn, status="failed")
    assert list(failed["recipient"]) == ["slack:gone"]
    assert "No slack webhook named 'gone'" in failed.iloc[0]["last_error"]
    assert outbox.retry(tiny_conn, actor="test") == 1
    assert list(outbox.messages(tiny_conn, status="pending")["recipient"]) == ["slack:gone"]


def test_backoff_doubles_up_to_six_hours() -> None:
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert outbox.backoff(30) == dt.timedelta(hours=6)


def test_a_server_without_starttls_gets_no_mail_and_no_password(tiny_conn: db.Connection, tmp_path: Path) -> None:
    with smtp_server(tmp_path, starttls=False) as (mail, secrets):
        cur = tiny_conn.cursor()
        outbox.enqueue(cur, dedupe_key="k", kind="alert", recipient="a@example.com", subject="s", body={"text": "t"})
        cur.close()
        report = outbox.deliver_due(tiny_conn, secrets)
    assert report.sent == 0 and report.errors and "does not offer STARTTLS" in report.errors[0]
    assert mail.messages == [] and mail.logins == []
    assert list(outbox.messages(tiny_conn, status="pending")["recipient"]) == ["a@example.com"]


def test_webhooks_must_be_https_unless_on_this_machine() -> None:
    from cx_metrics.delivery.transports import post_webhook

    with pytest.raises(DeliveryError, match="must be https"):
        post_webhook("http://hooks.example.com/x", {})


def test_secrets_come_from_a_private_file_outside_the_repo_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text('[smtp]\nhost = "mail.example.com"\nusername = "u"\npassword = "pw"\nfrom = "cx@example.com"\n'
                    '[slack]\ncx-alerts = "https://hooks.example.com/a"\n')
    path.chmod(0o600)
    secrets = load_secrets({"CX_SECRETS_FILE": str(path), "CX_SMTP_PORT": "2525",
                            "CX_TEAMS_WEBHOOK_CX_LEADS": "https://teams.example.com/b"})
    assert secrets.smtp and secrets.smtp.port == 2525 and secrets.smtp.tls == "starttls"
    assert "password=" not in repr(secrets.smtp)  # never printed
    assert secrets.webhook("slack:cx-alerts") == "https://hooks.example.com/a"
    assert secrets.webhook("teams:cx-leads") == "https://teams.example.com/b"
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_secrets({"CX_SECRETS_FILE": str(path)})
    inside = Path(__file__).resolve().parent / "_secrets_test.toml"
    inside.write_text("")
    try:
        inside.chmod(0o600)
        with pytest.raises(ConfigError, match="inside the project folder"):
            load_secrets({"CX_SECRETS_FILE": str(inside)})
    finally:
        inside.unlink()
    with pytest.raises(ConfigError, match="No slack webhook named 'x'"):
        secrets.webhook("slack:x")


def test_subscriptions_refuse_more_than_the_readers_role(tiny_conn: db.Connection) -> None:
    audit.set_role(tiny_conn, "exec@example.com", "executive", by="test")
    with pytest.raises(ValueError, match="has the role executive"):
        subscriptions.add(tiny_conn, recipient="exec@example.com", role="analyst", by="test")
    with pytest.raises(ValueError, match="executive edition"):
        subscriptions.add(tiny_conn, recipient="slack:all-hands", role="analyst", by="test")
    with pytest.raises(ValueError, match="not a time zone"):
        subscriptions.add(tiny_conn, recipient="a@example.com", timezone="Mars/Olympus", by="test")
    with pytest.raises(ValueError, match="not a recipient"):
        channel_of("not an address")
    new = subscriptions.add(tiny_conn, recipient="exec@example.com", by="test")
    subscriptions.change(tiny_conn, new, "pause", by="test")
    assert subscriptions.table(tiny_conn).iloc[0]["active"] == False  # noqa: E712 - numpy bool
    assert [json.loads(d)["action"] for a, d in zip(*audit.recent(tiny_conn)[["action", "detail"]].T.values,
                                                        strict=True) if a == "subscription_change"] == ["pause", "add"]


def test_a_weekly_slot_is_in_the_subscribers_time_zone() -> None:
    sub = subscriptions.Subscription(1, "a@example.com", "executive", "executive", "weekly", 0, 7, "Europe/Paris",
                                     Filters(), True, dt.datetime(2026, 1, 1), "test")
    # Monday 16 Nov 2026 07:00 in Paris is 06:00 UTC
    assert sub.latest_slot(dt.datetime(2026, 11, 16, 6, 30)) == dt.datetime(2026, 11, 16, 6, 0)
    assert sub.latest_slot(dt.datetime(2026, 11, 16, 5, 59)) == dt.datetime(2026, 11, 9, 6, 0)
    monthly = replace(sub, frequency="monthly", timezone="UTC")
    assert monthly.latest_slot(dt.datetime(2026, 11, 16)) == dt.datetime(2026, 11, 1, 7, 0)


def test_chromium_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from cx_metrics.digest.render import ChromiumRenderer, RenderError

    with pytest.raises(RenderError, match="not installed at /nonexistent/chromium"), \
            ChromiumRenderer("/nonexistent/chromium"):
        pass
    assert os.environ.get("CX_CHROMIUM", "/usr/bin/chromium")


def test_the_digests_page_adds_a_subscription_and_installs_the_default_rules(
        monkeypatch: pytest.MonkeyPatch, app_db_path: Path, tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "page.duckdb"
    shutil.copyfile(app_db_path, path)
    monkeypatch.setenv("CX_DB_PATH", str(path))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=60).run()
    at.switch_page("views/overview.py").run()
    assert [b for b in at.get("download_button") if "Download PDF" in str(b.proto)]  # the Overview offers the PDF
    at.switch_page("views/digests.py").run()
    assert not at.exception and at.title[0].value == "Digests and alerts"
    at.text_input(key="dig_recipient").input("vp.emea@example.com")
    at.multiselect(key="dig_sub_regions").select("EMEA")
    next(b for b in at.button if b.label == "Add subscription").click().run()
    assert not at.error, [e.value for e in at.error]
    at.button(key="dig_rules_defaults").click().run()
    frames = {tuple(t.value.columns)[:3]: t.value for t in at.dataframe}
    assert frames[("id", "recipient", "role")][["recipient", "filters"]].values.tolist() == [["vp.emea@example.com",
                                                                                   "regions: EMEA"]]
    assert frames[("id", "name", "kind")]["name"].tolist()[0] == "Complaint anomaly by category"


def test_cx_digest_send_due_under_cron_reads_secrets_from_the_environment(
        themed: tuple[db.Connection, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    conn, settings = themed
    subscriptions.add(conn, recipient="cx-lead@example.com", role="cx_lead", frequency="monthly", by="test",
                      now=dt.datetime(2026, 10, 1))
    conn.close()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))  # no secrets file: the environment only
    with smtp_server(tmp_path) as (mail, secrets):
        assert secrets.smtp is not None
        for key, value in {"CX_SMTP_HOST": "127.0.0.1", "CX_SMTP_PORT": str(secrets.smtp.port),
                           "CX_SMTP_USERNAME": secrets.smtp.username, "CX_SMTP_PASSWORD": secrets.smtp.password,
                           "CX_SMTP_FROM": "cx@example.com", "CX_SMTP_CA_FILE": secrets.smtp.ca_file}.items():
            monkeypatch.setenv(key, value)
        for minutes in (0, 30):  # cron every half hour: the second run sends nothing again
            assert main(["digest", "--send-due", "--db", str(settings.db_path),
                         "--now", f"2026-11-16T08:{minutes:02d}"]) == 0
    out = capsys.readouterr().out
    assert "1 digest(s) queued" in out and "0 digest(s) queued" in out
    assert [m["Subject"] for m in mail.messages] == ["CX digest · 01 Oct 2026 – 31 Oct 2026"]  # the last whole month


def test_the_latest_whole_period_and_the_trend_window(tiny_conn: db.Connection) -> None:
    # the tiny fixture's data ends on Sunday 11 Jan 2026
    assert figs.latest_period(tiny_conn, "week") == Period(dt.date(2026, 1, 5), dt.date(2026, 1, 11))
    assert figs.latest_period(tiny_conn, "week", dt.date(2026, 1, 10)) == Period(dt.date(2025, 12, 29),
                                                                                dt.date(2026, 1, 4))
    assert figs.latest_period(tiny_conn, "month") == Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert figs.latest_period(tiny_conn, "month", dt.date(2026, 1, 31)) == Period(dt.date(2026, 1, 1),
                                                                                 dt.date(2026, 1, 31))
    assert figs.latest_period(tiny_conn, "day") == Period(dt.date(2026, 1, 11), dt.date(2026, 1, 11))
    week = Period(dt.date(2026, 1, 5), dt.date(2026, 1, 11))
    assert figs.trend_window(week) == Period(dt.date(2025, 10, 13), dt.date(2026, 1, 11))  # 13 weeks
    quarter = Period(dt.date(2025, 10, 13), dt.date(2026, 1, 11))
    assert figs.trend_window(quarter) == quarter  # the Overview's 13 weeks: its own charts


def test_the_digest_carries_the_follow_up_tile_without_notes(themed: tuple[db.Connection, Settings]) -> None:
    """Issue 20: executives read coverage and the effect once, in the digest as on the Overview; never a note."""
    from cx_metrics import followups
    from cx_metrics.digest.model import build_model

    conn, settings = themed
    wl = followups.worklist(conn, settings)
    key = str(wl.iloc[0]["item_key"])
    followups.close(conn, key, "lee@example.com", outcome="reached", note="Secret promise to C1",
                    contacted_on=wl.iloc[0]["triggered_at"].date(), settings=settings)
    model = build_model(figs.figures(conn, settings, Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
                                     role="executive"))
    tile = next(t for t in model.survey_tiles if t.metric == "followup_coverage")
    summary = followups.summary(conn, Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31)), settings=settings)
    assert tile.value == f"{summary['coverage']:.0%}"
    assert f"{summary['in_time']:,} of {summary['due']:,} due closed in time" in tile.detail
    assert "risk ratio" in tile.detail and "observational" in tile.detail
    assert "Follow-up coverage" in model.text() and "Secret promise" not in model.text()
    assert any(label == "Follow-up coverage" for label, _ in model.definitions)


def test_the_overview_pdf_is_drawn_once_per_view_role_and_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Download PDF starts a browser per drawing (seconds): a repeated download of the same period, filters, role,
    data version, settings and follow-up revision is served from the cache; any of them changing draws it again."""
    import contextlib

    from cx_ui import overview_state, state

    drawn: list[tuple[Period, Filters, str]] = []

    def draw(conn: object, settings: object, period: Period, filters: Filters, role: str) -> bytes:
        drawn.append((period, filters, role))
        return f"%PDF drawing {len(drawn)}".encode()

    current = {"settings": Settings(), "data": 3}
    monkeypatch.setattr(send, "pdf_bytes", draw)
    monkeypatch.setattr(state, "settings", lambda: current["settings"])
    monkeypatch.setattr(state, "data_version", lambda: current["data"])
    monkeypatch.setattr(state, "reading", contextlib.nullcontext)
    monkeypatch.setattr(overview_state, "connection", lambda: None)
    monkeypatch.setattr(overview_state, "settings", lambda: current["settings"])
    week = Period(dt.date(2026, 9, 14), dt.date(2026, 9, 20))
    emea = Filters(regions=("EMEA",))
    overview_state.digest_pdf.clear()  # type: ignore[attr-defined]
    try:
        first = overview_state.digest_pdf(week, emea, "executive", 0)
        assert overview_state.digest_pdf(week, emea, "executive", 0) == first and len(drawn) == 1  # the repeat
        overview_state.digest_pdf(week, Filters(), "executive", 0)  # other filters
        overview_state.digest_pdf(week, emea, "analyst", 0)  # another role's edition (verbatims)
        overview_state.digest_pdf(week, emea, "executive", 1)  # a follow-up claimed or closed
        assert len(drawn) == 4
        current["data"] = 4  # an import or undo
        assert overview_state.digest_pdf(week, emea, "executive", 1) != first and len(drawn) == 5
        current["settings"] = Settings(dashboard_url="https://cx.example.com")  # the PDF's link changes
        overview_state.digest_pdf(week, emea, "executive", 1)
        assert len(drawn) == 6
        assert overview_state.digest_pdf(week, emea, "executive", 1) and len(drawn) == 6
    finally:
        overview_state.digest_pdf.clear()  # type: ignore[attr-defined]
