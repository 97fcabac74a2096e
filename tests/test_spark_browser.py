"""What a person sees with [engine] kind = "spark": the Overview served from a local Spark shows DuckDB's figures,
the follow-up tile included (mixed mode: the follow-ups from the DuckDB file, the failures from the lake).

The small seeded demo database is exported with `cx lake export`; one dashboard serves the DuckDB file, another
(a process of its own, with its own local Spark session) reads the lake through `[engine]` in its cx.toml. Every
Overview tile must read the same on both, as a person sees it in Chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cx_metrics import db, lake
from cx_metrics.config import Settings
from cx_ui.serve import running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_lake(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("spark-browser")
    conn = db.connect(Settings().with_db(demo_db_path), read_only=True)
    lake.export(conn, root / "lake")
    conn.close()
    toml = root / "cx.toml"
    toml.write_text(f'[engine]\nkind = "spark"\nlake = "{root / "lake"}"\nmaster = "local[2]"\n'
                    'driver_memory = "768m"\nshuffle_partitions = 2\n', encoding="utf-8")
    return root / "lake", toml


def _tiles(browser: Any, url: str, timeout_ms: int, shot: Path) -> dict[str, str]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    metrics = page.locator('[data-testid="stMetric"]')
    # the seven KPI tiles, then the follow-up tile (computed last: its follow-ups come from the DuckDB file on Spark
    # too, joined with the lake's failures)
    metrics.nth(7).wait_for(timeout=timeout_ms)
    page.locator(".js-plotly-plot").first.wait_for(timeout=timeout_ms)
    assert page.locator('[data-testid="stException"]').count() == 0
    out = {}
    for i in range(8):
        label = metrics.nth(i).locator('[data-testid="stMetricLabel"]').inner_text()
        value = metrics.nth(i).locator('[data-testid="stMetricValue"]').inner_text()
        delta = metrics.nth(i).locator('[data-testid="stMetricDelta"]')
        out[label] = value + (" | " + delta.inner_text() if delta.count() else "")
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    return out


def test_overview_from_spark_shows_duckdbs_figures(demo_db_path: Path, demo_lake: tuple[Path, Path],
                                                   browser: Any, tmp_path: Path) -> None:
    _, toml = demo_lake
    with running_server(demo_db_path) as duck_server:
        on_duckdb = _tiles(browser, duck_server.url, 60_000, tmp_path / "duckdb.png")
    with running_server(demo_db_path, env={"CX_CONFIG": str(toml)}, timeout=120) as spark_server:
        on_spark = _tiles(browser, spark_server.url, 600_000, tmp_path / "spark.png")
        digests = _page(browser, spark_server.url + "/digests", "This dashboard", tmp_path / "spark-digests.png")
        followups = _page(browser, spark_server.url + "/followups", "Did it work?", tmp_path / "spark-followups.png")
    assert len(on_duckdb) == 8 and "Follow-up coverage" in on_duckdb
    assert on_spark == on_duckdb
    # the dashboard on Spark delivers itself, as on DuckDB (the digests and alerts are computed from the lake)
    assert "This dashboard sends the due digests" in digests and "Spark" not in digests
    assert "customers" in followups.lower()


def _page(browser: Any, url: str, shown: str, shot: Path) -> str:
    """The text of a page once ``shown`` is on it (no exception on it), with a screenshot."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_text(shown, exact=False).first.wait_for(timeout=600_000)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=600_000)  # the run ended
    assert page.locator('[data-testid="stException"]').count() == 0
    text = page.locator('[data-testid="stMain"]').inner_text()
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    return text
