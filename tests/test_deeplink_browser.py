"""Issue 19: the links digests and alerts send open the view they name, even as the FIRST request a server sees.

Streamlit's legacy multipage mode turns itself on for a whole server process when a directory named ``pages/`` sits
next to the entry script, and stays on until some session reaches ``st.navigation`` ("As soon as any session of
your app executes the st.navigation command, your app will ignore the pages/ directory", st.navigation's docs;
streamlit/runtime/pages_manager.py ``uses_pages_directory``). Until then a page URL ran that file alone: raw module
names in the sidebar, no filters, no frame. The page files live in ``views/`` so the router is the only way in.

Each check starts a fresh real server, has a real alert rule fire on the demo's planted spike and post its Slack
message to a loopback webhook (the server's URL is the configured dashboard address), and opens the link from that
message in a fresh browser context as the process's first session; then the Digests page of the same server
says whether it delivers (app.py's server does, a plain `streamlit run dashboard.py` says it does not and what to do).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from cx_metrics import db
from cx_metrics.alerts import evaluate, rules
from cx_metrics.alerts.rules import Rule
from cx_metrics.config import Settings
from cx_metrics.delivery.secrets import Secrets
from cx_metrics.filters import Filters
from cx_ui.serve import free_port, running_server
from tests.delivery_servers import webhook_server

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
SPIKE = dt.date(2026, 9, 14)
#: the menu's titles (dashboard.py), never the file names Streamlit's legacy mode would list
MENU = ["Overview", "Complaint trends", "Resolution", "Surveys", "Follow-ups", "Cohorts", "Metric definitions"]
#: what the legacy mode lists instead: file names, lower case (the menu's icons are ligature words like "dashboard")
RAW = ["overview", "complaints", "followups", "data status", "digests", "cohorts"]


def _alert_link(db_path: Path, url: str) -> str:
    """Run a real rule on the demo's double-charge spike; return the link its Slack message carries."""
    settings = Settings(dashboard_url=url).with_db(db_path)
    conn = db.connect(settings)
    try:
        rule = rules.add(conn, Rule("Billing anomaly in EMEA", "complaints", "anomaly", by="category",
                                    value="Billing", min_count=3, filters=Filters(regions=("EMEA",)),
                                    recipients=("slack:cx",)), by="test")
        conn.cursor().execute("INSERT INTO alert_state VALUES (?, 'Billing', false, NULL, ?, NULL, ?)",
                              [rule, SPIKE - dt.timedelta(weeks=1), dt.datetime(2026, 9, 8)])
        with webhook_server() as (posts, hook):
            evaluate.run(conn, settings, Secrets(webhooks={"slack:cx": hook + "/hook"}, source="test"),
                         now=dt.datetime(2026, 9, 21, 9, 0))
    finally:
        conn.close()
    fired = [body for _, body in posts.bodies if "anomalous" in body["text"]]
    assert fired, [body["text"] for _, body in posts.bodies]
    link: str = fired[0]["blocks"][-1]["elements"][0]["url"]
    return link


#: (entry script, which link): `make run`'s app.py and the plain `streamlit run dashboard.py`
CHECKS = [("app.py", "alert"), ("dashboard.py", "alert"), ("app.py", "cohorts")]


@pytest.fixture(scope="module")
def links(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], str]]:
    """One fresh server per check, each with the link it is to be opened on first."""
    folder = tmp_path_factory.mktemp("deeplink")
    no_secrets = folder / "delivery-secrets.toml"  # app.py's delivery thread runs: no webhook or SMTP but loopback's
    no_secrets.write_text("")
    no_secrets.chmod(0o600)
    env = {"CX_SECRETS_FILE": str(no_secrets), "XDG_CONFIG_HOME": str(folder / "no-config")}

    def start(stack: ExitStack, check: tuple[str, str]) -> str:
        entry, kind = check
        db_path = folder / f"{entry}-{kind}.duckdb"
        shutil.copyfile(demo_db_path, db_path)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        if kind == "alert":
            link = _alert_link(db_path, url)
        else:  # an analyst's Cohorts view as its address bar holds it
            link = (f"{url}/cohorts?start=2026-06-01&end=2026-08-31&region=EMEA&region=APAC"
                    "&metric=csat&by=plan")
        stack.enter_context(running_server(db_path, port=port, script=ROOT / entry,
                                           env=env))
        return link

    with ExitStack() as stack, ThreadPoolExecutor(max_workers=3) as pool:
        yield dict(zip(CHECKS, pool.map(lambda check: start(stack, check), CHECKS), strict=True))


def _sidebar_filters(page: Any) -> tuple[str, list[str]]:
    sidebar = page.locator('[data-testid="stSidebar"]')
    dates = sidebar.locator('[data-testid="stDateInput"] input[type="date"]')
    period = " – ".join(dates.nth(i).input_value() for i in range(dates.count()))
    region = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Regions")
    tags = region.locator('[data-testid="stMultiSelectTagsContainer"]').inner_text()
    return period, sorted(t.strip() for t in tags.splitlines() if t.strip())


def _choice(page: Any, label: str) -> str:
    """What the main area's select box labelled ``label`` shows."""
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text=label).first
    return str(box.get_by_role("combobox").input_value())


@pytest.mark.parametrize("check", CHECKS, ids=[f"{e.removesuffix('.py')}-{k}" for e, k in CHECKS])
def test_a_link_opened_first_lands_on_its_view(browser: Any, links: dict[tuple[str, str], str],
                                               check: tuple[str, str], tmp_path: Path) -> None:
    entry, kind = check
    link = links[check]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # no cookie, no session: a reader's click
    page = context.new_page()
    try:
        page.goto(link)
        title = "Complaint trends" if kind == "alert" else "Cohorts"
        page.get_by_role("heading", name=title, exact=True).wait_for(timeout=90_000)
        page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"]').wait_for(timeout=60_000)
        page.wait_for_timeout(1_500)  # let the run finish drawing
        page.screenshot(path=str(tmp_path / f"{entry}-{kind}.png"), full_page=True)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert all(item in nav for item in MENU), nav
        assert not any(re.search(rf"(?m)^\s*{raw}\s*$", nav) for raw in RAW), nav
        period, regions = _sidebar_filters(page)
        if kind == "alert":  # twelve weeks of context before the week that fired, EMEA, by category, Billing
            assert period == "2026-06-22 – 2026-09-20", period
            assert regions == ["EMEA"]
            assert (_choice(page, "Break down by"), _choice(page, "Bucket")) == ("Category", "week")
            assert _choice(page, "Series") == "Billing"  # the anomaly band of the series that fired
        else:
            assert period == "2026-06-01 – 2026-08-31", period
            assert sorted(regions) == ["APAC", "EMEA"]
            assert "CSAT" in _choice(page, "Metric"), _choice(page, "Metric")
            assert _choice(page, "Break down by") == "Plan"
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "Traceback" not in body and "Not allowed" not in body
        assert "EMEA" in body  # the page's caption names the filter it applied
        assert re.search(r"[?&]region=EMEA", page.url), page.url  # the address bar still holds the view
        # the Digests page says who sends what is due: app.py's server itself; a plain dashboard.py says it does not
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Digests and alerts").click()
        page.get_by_role("heading", name="Digests and alerts", exact=True).wait_for(timeout=60_000)
        said = page.get_by_text("This dashboard ").first
        said.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / f"{entry}-{kind}-digests.png"), full_page=True)
        if entry == "app.py":
            assert "sends the due digests and runs the alert rules itself, every 60 s" in said.inner_text()
            page.get_by_text("Last check:").wait_for(timeout=120_000)  # its first beat (the panel redraws every 30 s)
        else:
            assert "does not deliver: it was started without app.py" in said.inner_text()
            assert "make run" in said.inner_text()
    finally:
        context.close()
