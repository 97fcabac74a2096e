"""Issue 16 item 1: served on a non-loopback address without login, NO page serves data, whichever URL the first
session of the process opens, whether the server was started as `make run` does (app.py) or as the plain script.

A page URL opened as a fresh process's first session is the path a check of ``dashboard.py`` alone (AppTest)
cannot see (Streamlit's legacy ``pages/`` mode ran such a file without the router; test_deeplink_browser.py). Each
check here starts a fresh real server bound to 0.0.0.0 (fetched through 127.0.0.1), opens one page URL as that
server's first session in headless Chromium, and asserts the refusal and the absence of every data element."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from cx_ui.serve import running_server

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
#: "" is the dashboard itself; the rest are the URL paths st.Page gives the files of views/
URLS = ["", *sorted(p.stem for p in (ROOT / "views").glob("*.py") if p.stem != "__init__")]
#: what would be customer data, a role table or an uploader on screen
DATA = ('[data-testid="stMetric"], [data-testid="stDataFrame"], [data-testid="stTable"], '
        '[data-testid="stFileUploader"], [data-testid="stPlotlyChart"], .js-plotly-plot, '
        '[data-testid="stDownloadButton"], [data-testid="stDataEditor"], [data-testid="stForm"]')
REFUSAL = "will not serve on 0.0.0.0"


def test_every_page_file_is_checked() -> None:
    assert len(URLS) >= 12 and {"admin", "upload", "cohorts", "surveys"} <= set(URLS)


#: how a server is started: `make run`'s app.py (behind the HTTP guard), and the plain script the issue reproduced
ENTRIES = {"app": ROOT / "app.py", "plain": ROOT / "dashboard.py"}
CHECKS = [(entry, url) for entry in ENTRIES for url in URLS]


@pytest.fixture(scope="module")
def fresh_servers(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], str]]:
    """One server per (entry, URL), none visited yet: the URL's visit below is its process's first session."""
    folder = tmp_path_factory.mktemp("offloopback")
    no_secrets = folder / "secrets.toml"  # no [auth], whatever the developer's own .streamlit/secrets.toml says
    no_secrets.write_text("")

    def start(stack: ExitStack, check: tuple[str, str]) -> str:
        entry, name = check
        db_path = folder / f"{entry}-{name or 'root'}.duckdb"
        shutil.copyfile(demo_db_path, db_path)
        server = stack.enter_context(running_server(db_path, secrets=no_secrets, address="0.0.0.0",
                                                    script=ENTRIES[entry],
                                                    env={"CX_ALLOW_UNAUTHENTICATED": "false"}))
        return server.url

    with ExitStack() as stack, ThreadPoolExecutor(max_workers=3) as pool:
        urls = list(pool.map(lambda check: start(stack, check), CHECKS))
        yield dict(zip(CHECKS, urls, strict=True))


@pytest.mark.parametrize("check", CHECKS, ids=[f"{e}-{u or 'root'}" for e, u in CHECKS])
def test_first_session_on_any_url_is_refused(browser: object, fresh_servers: dict[tuple[str, str], str],
                                             check: tuple[str, str], tmp_path: Path) -> None:
    entry, path = check
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    try:
        page.goto(f"{fresh_servers[check]}/{path}")
        shown = page.get_by_text(REFUSAL).or_(page.locator(DATA)).first
        shown.wait_for(timeout=60_000)
        page.wait_for_timeout(1_500)  # let the script run to its end: anything it would still draw is drawn
        page.screenshot(path=str(tmp_path / f"{entry}-{path or 'root'}.png"), full_page=True)
        body = page.locator("body").inner_text()
        assert page.get_by_text(REFUSAL).count() == 1, f"/{path} showed no refusal:\n{body[:1500]}"
        assert page.locator(DATA).count() == 0, f"/{path} showed data:\n{body[:1500]}"
        assert "local mode" not in body.lower() and "Traceback" not in body
        for leaked in ("Roles", "Audit log", "Drop a CSV", "Import history"):
            assert leaked not in body, f"/{path} showed {leaked!r}"
    finally:
        page.close()
