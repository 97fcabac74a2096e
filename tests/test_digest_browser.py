"""What a person sees of digests and alerts: the Overview's Download PDF in a real server, the Digests and alerts
page, and an alert's link opening the Complaint trends view that shows it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_metrics import db
from cx_metrics.alerts import rules
from cx_metrics.config import Settings
from cx_ui.serve import running_dashboard

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
SHOTS = Path(os.environ.get("CX_SCREENSHOTS", "")) if os.environ.get("CX_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def server(themed_demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("digest-browser") / "served.duckdb"
    shutil.copyfile(themed_demo_path, path)
    conn = db.connect(Settings().with_db(path))
    rules.install_defaults(conn, by="test", recipients=("slack:cx-leads",))
    conn.close()
    with running_dashboard(path) as url:
        yield url


def _shot(page: object, name: str, tmp: Path) -> None:
    page.screenshot(path=str((SHOTS or tmp) / name), full_page=True)  # type: ignore[attr-defined]


def test_download_pdf_on_the_overview_gives_the_digest(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    page.goto(server + "/?start=2026-09-14&end=2026-09-20&region=EMEA")
    button = page.get_by_role("button", name="Download PDF")
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=120_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "cx-digest-2026-09-14-2026-09-20-filtered.pdf"
    pdf = tmp_path / "overview.pdf"
    download.save_as(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "CX digest · week of 14 Sep 2026 – 20 Sep 2026" in text and "regions: EMEA" in text
    tile = page.locator('[data-testid="stMetric"]').first.locator('[data-testid="stMetricValue"]').inner_text()
    assert tile.split(" ")[0] in text  # the Overview's Complaints tile is in the PDF


def test_the_digests_page_and_an_alert_link(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1100})  # type: ignore[attr-defined]
    page.goto(server)  # the session starts on the Overview, as a person's does; then the page by its address
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    page.goto(server + "/digests")
    page.get_by_text("Add a subscription").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Alert rules").click()
    # data frames draw on a canvas; their cells are in the page as hidden grid cells
    page.get_by_text("Complaint anomaly by category").first.wait_for(state="attached", timeout=30_000)
    page.get_by_role("button", name="Run the backtest over the whole history").click()
    page.get_by_text("How many episodes each rule would have fired").wait_for(timeout=180_000)
    page.wait_for_timeout(1000)  # the grid paints
    assert page.locator('[data-testid="stException"]').count() == 0
    _shot(page, "digests-alert-rules.png", tmp_path)
    page.get_by_role("tab", name="Subscriptions").click()
    _shot(page, "digests-subscriptions.png", tmp_path)
    link = browser.new_page(viewport={"width": 1400, "height": 1100})  # type: ignore[attr-defined]
    link.goto(server)
    link.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    link.goto(server + "/complaints?start=2026-06-22&end=2026-09-20&by=category&grain=week&series=Billing")
    link.get_by_text("Anomalies").first.wait_for(timeout=60_000)
    link.locator(".js-plotly-plot").nth(1).wait_for(timeout=60_000)
    body = link.locator("body").inner_text()
    assert "22 Jun 2026 – 20 Sep 2026" in body
    _shot(link, "alert-link-complaints.png", tmp_path)
    assert link.get_by_role("combobox", name="Series").input_value() == "Billing"
    assert link.get_by_role("combobox", name="Break down by").input_value() == "Category"
