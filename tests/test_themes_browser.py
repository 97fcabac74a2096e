"""The Themes page in a real browser: the real Streamlit server, opened in headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_ui.serve import running_dashboard

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(themed_demo_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("themes_browser") / "served.duckdb"  # its own copy: the test renames a theme
    shutil.copyfile(themed_demo_path, path)
    with running_dashboard(path) as url:
        yield url


def test_themes_page_renders_and_renames(server: str, tmp_path: Path, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Themes").click()
    page.get_by_role("heading", name="Themes").first.wait_for(timeout=60_000)
    page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for(timeout=60_000)
    page.get_by_role("heading", name="What moves the score").wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    assert page.locator('[data-testid="stException"]').count() == 0
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "Drags NPS down most" in body
    assert page.locator('[data-testid="stDataFrame"]').count() >= 4
    # rename the biggest theme from the page; the new name shows up in the page
    page.get_by_text("Rename, pin or merge a theme").click()
    name_box = page.get_by_label("Name (blank: the automatic label)")
    name_box.fill("Renamed in the browser")
    name_box.press("Enter")
    page.get_by_role("button", name="Rename", exact=True).click()
    page.get_by_text("Renamed in the browser").first.wait_for(state="attached", timeout=30_000)  # grid cell
    page.screenshot(path=str(tmp_path / "themes.png"), full_page=True)
    page.close()
