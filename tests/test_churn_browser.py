"""The Churn page in headless Chromium against the real server (a model trained beforehand)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_metrics import db
from cx_metrics.config import Settings
from cx_metrics.models import churn_store
from cx_ui.serve import running_dashboard

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("churn_browser") / "served.duckdb"
    shutil.copyfile(demo_db_path, path)
    settings = Settings().with_db(path)
    conn = db.connect(settings)
    churn_store.train(conn, settings)  # saved next to the database: the server finds it
    conn.close()
    with running_dashboard(path) as url:
        yield url


def test_churn_page_renders_and_exports_the_at_risk_list(server: str, tmp_path: Path, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Churn").click()
    page.get_by_role("heading", name="Churn", exact=True).wait_for(timeout=120_000)
    page.get_by_text("The data shows no recovery paradox").wait_for(timeout=120_000)
    page.get_by_role("button", name="Download these 100 customers (CSV)").wait_for(timeout=120_000)
    assert page.locator(".js-plotly-plot").count() >= 6  # trend, retention, lift, recovery x2, drivers...
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() == 5  # the headline churn rate, then the model's four
    assert "Churn rate" in metrics.first.inner_text() and "ROC-AUC" in metrics.nth(1).inner_text()
    body = page.locator("body").inner_text()
    assert "Contractual churn" in body and "handled badly" in body
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in body
    with page.expect_download() as info:
        page.get_by_role("button", name="Download these 100 customers (CSV)").click()
    saved = tmp_path / "at-risk.csv"
    info.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, through the guarded exporter
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("customer_id,risk,rank") and len(lines) == 101
    page.screenshot(path=str(tmp_path / "churn.png"), full_page=True)
    page.close()
