"""What a person sees: the real Streamlit server, opened in headless Chromium (Debian's /usr/bin/chromium)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_ui.serve import running_dashboard

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_db(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "served.duckdb"
    shutil.copyfile(demo_db_path, path)
    return path


@pytest.fixture(scope="module")
def server(browser_db: Path) -> Iterator[str]:
    with running_dashboard(browser_db) as url:
        yield url




def _open(browser: object, url: str) -> tuple[object, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    started = time.monotonic()
    page.goto(url)
    page.locator('[data-testid="stMetric"]').nth(7).wait_for(timeout=60_000)
    page.locator(".js-plotly-plot .bars path").first.wait_for(timeout=60_000)
    return page, time.monotonic() - started


def test_overview_renders_tiles_and_chart(
    server: str, browser: object, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    page, seconds = _open(browser, server)
    record_property("overview_render_seconds", round(seconds, 2))
    print(f"overview rendered in Chromium in {seconds:.2f} s")
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() == 8
    labels = [metrics.nth(i).locator('[data-testid="stMetricLabel"]').inner_text() for i in range(8)]
    assert labels == ["Complaints", "NPS", "SLA breach rate (resolution)", "Median first response", "CSAT",
                      "Median resolution", "Churn rate", "Follow-up coverage"]
    for i in range(8):
        value = metrics.nth(i).locator('[data-testid="stMetricValue"]').inner_text()
        assert re.search(r"\d", value), f"tile {labels[i]} shows {value!r}"
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Error" not in body
    assert "95% CI" in body
    assert page.locator(".js-plotly-plot .bars path").count() > 20  # stacked weekly bars drawn
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    page.close()


def test_filter_changes_numbers_and_survives_page_switch(server: str, browser: object) -> None:
    page, _ = _open(browser, server)
    complaints = page.locator('[data-testid="stMetric"]').first.locator('[data-testid="stMetricValue"]')
    before = complaints.inner_text()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').first.click()
    page.get_by_role("option", name="Enterprise").click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel); return e && e.innerText !== old; }",
        arg=['[data-testid="stMetric"] [data-testid="stMetricValue"]', before],
        timeout=30_000,
    )
    after = complaints.inner_text()
    assert after != before
    assert int(after.split(" ")[0].replace(",", "")) < int(before.replace(",", ""))
    sidebar.get_by_role("link", name="Data status").click()
    page.get_by_role("heading", name="Data status").wait_for(timeout=30_000)
    assert "Enterprise" in sidebar.inner_text()  # still selected on another page
    sidebar.get_by_role("link", name="Overview").click()
    page.locator('[data-testid="stMetric"]').nth(5).wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    assert complaints.inner_text() == after
    page.close()


def test_server_binds_loopback_and_has_no_telemetry(server: str) -> None:
    assert server.startswith("http://127.0.0.1:")
    config = (Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text()
    assert 'address = "127.0.0.1"' in config and "gatherUsageStats = false" in config


def test_upload_a_file_and_see_it_on_the_overview(server: str, browser: object, tmp_path: Path,
                                                  browser_db: Path) -> None:
    from cx_metrics import db
    from cx_metrics.config import Settings
    from cx_metrics.filters import Period
    from cx_metrics.metrics import overview

    days = Period(dt.date(2026, 11, 10), dt.date(2026, 11, 14))  # the file's own days, which the pages then show
    conn = db.connect(Settings().with_db(browser_db), read_only=True, wait=30)
    before = int(overview.kpis(conn, period=days).set_index("metric").loc["complaints", "value"])
    conn.close()
    page, _ = _open(browser, server)
    csv = tmp_path / "helpdesk-export.csv"
    csv.write_text("Ticket ID,Created at,Ticket type,Category\n"
                   + "".join(f"B{i},2026-11-1{i % 5} 09:00,Problem,Billing\n" for i in range(5)))
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Upload exports").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    page.get_by_text("Detected: tickets").wait_for(timeout=30_000)
    page.get_by_text("Keep the demo data beside mine").click()  # (removing it: test_owndata_browser.py)
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("5 rows loaded (5 new, 0 updated, 0 unchanged), 0 rejected").wait_for(timeout=30_000)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Overview").click()
    page.locator('[data-testid="stMetric"]').nth(5).wait_for(timeout=30_000)
    page.get_by_text(days.label()).first.wait_for(timeout=30_000)
    page.wait_for_function(
        "([sel, want]) => { const e = document.querySelector(sel); return e && e.innerText.split(' ')[0] === want; }",
        arg=['[data-testid="stMetric"] [data-testid="stMetricValue"]', f"{before + 5:,}"],
        timeout=30_000,
    )
    page.close()


def _shot(page: object, tmp_path: Path, name: str) -> Path:
    """A screenshot of the page (also into $CX_SCREENSHOTS, when set, to look at)."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    if os.environ.get("CX_SCREENSHOTS"):
        shutil.copyfile(path, Path(os.environ["CX_SCREENSHOTS"]) / name)
    return path


def test_an_unsure_file_is_a_proposal_that_is_confirmed_and_loaded(server: str, browser: object,
                                                                   tmp_path: Path) -> None:
    page, _ = _open(browser, server)
    csv = tmp_path / "crm-export.csv"
    csv.write_text("Ref,Opened on,Kanal\n" + "".join(f"R{i},2026-11-0{1 + i} 10:00,Chat\n" for i in range(4)))
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Upload exports").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    page.get_by_text("Not sure enough to load without you").wait_for(timeout=30_000)
    page.get_by_text("How the file is read").wait_for(timeout=30_000)
    page.locator('[data-testid="stDataFrameResizable"]').first.wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert "Category: no column looks like one" in page.locator("body").inner_text()
    _shot(page, tmp_path, "upload-proposal.png")
    page.get_by_role("button", name="Confirm this reading and load").click()
    page.get_by_text("4 rows loaded (4 new, 0 updated, 0 unchanged), 0 rejected").wait_for(timeout=30_000)
    _shot(page, tmp_path, "upload-confirmed.png")
    page.close()


@pytest.mark.parametrize(("link", "heading", "ready"), [
    # a visible trace: an interval band's edges are lines of width 0
    ("Complaint trends", "Complaint trends", ".js-plotly-plot .scatterlayer .trace >> visible=true"),
    ("Resolution", "Resolution and follow-through", ".js-plotly-plot .scatterlayer .trace >> visible=true"),
])
def test_analysis_pages_render_charts(server: str, browser: object, link: str, heading: str, ready: str) -> None:
    page, _ = _open(browser, server)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    page.locator(ready).first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.locator("body").inner_text()
    page.close()


def test_cohorts_opens_the_view_in_a_shared_link(server: str, browser: object) -> None:
    page, _ = _open(browser, server)  # the session's first page; the link is opened next, as a colleague would
    link = (f"{server}/cohorts?start=2024-11-18&end=2026-11-15&metric=csat&by=generation&by2=channel"
            "&a=Millennials%20%C2%B7%20phone&b=Gen%20X%20%C2%B7%20phone")
    page.goto(link)
    page.get_by_role("heading", name="Cohorts", exact=True).wait_for(timeout=60_000)
    page.locator(".js-plotly-plot .heatmaplayer").first.wait_for(timeout=60_000)
    page.get_by_text("significantly worse").first.wait_for(timeout=60_000)
    body = page.locator("body").inner_text()
    assert "18 Nov 2024 – 15 Nov 2026" in body
    assert "Millennials · phone: CSAT %" in body  # the planted effect, flagged
    assert "Millennials · phone vs Gen X · phone" in body and "real difference" in body
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "metric=csat" in page.url and "by2=channel" in page.url  # the address still names this view
    # one dimension: clicking a bar opens the rows behind it (and the link says which)
    # (the period is named: after the upload test the default follows the 5 days it loaded, too few for bars)
    page.goto(f"{server}/cohorts?start=2024-11-18&end=2026-11-15&metric=csat&by=plan")
    bars = page.locator(".js-plotly-plot").first.locator(".bars path")
    bars.nth(3).wait_for(timeout=60_000)
    page.wait_for_timeout(1_000)
    bars.nth(2).click(force=True)  # plotly's drag layer sits above the bars; the click still reaches the plot
    page.wait_for_function("() => window.location.search.includes('cell=Free')", timeout=30_000)
    page.get_by_text("Download these").last.wait_for(timeout=30_000)
    page.close()
