"""Take a screenshot of the overview from a real server in headless Chromium: screenshot.py OUT.png"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from cx_metrics.config import load_settings
from cx_ui.serve import CHROMIUM, CHROMIUM_ARGS, running_dashboard


def main(out: Path) -> None:
    with running_dashboard(load_settings().db_path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for attempt in ("first load after server start", "second load (warm caches)"):
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            started = time.monotonic()
            page.goto(url)
            page.locator('[data-testid="stMetric"]').nth(7).wait_for(timeout=60_000)
            page.locator(".js-plotly-plot .bars path").first.wait_for(timeout=60_000)
            print(f"overview rendered in {time.monotonic() - started:.2f} s ({attempt})")
        page.wait_for_timeout(800)
        page.screenshot(path=str(out), full_page=True)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
