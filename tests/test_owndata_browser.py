"""The first hour with your own data, as a person sees it (issue 15): on the database `make run` builds (the demo),
load an export, remove the demo on the way, and every page shows the export's own period and no demo rows; keep
the demo instead and every page says the data are mixed; other sessions follow the data unless their user picked a
period; an undo names what it removes, asks, and its message is seen."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cx_ui.serve import running_server
from tests.conftest import REALDATA, own_export

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")

#: sidebar link -> heading of every page a CX lead (local mode: every right) opens
PAGES = {"Overview": "Executive overview", "Complaint trends": "Complaint trends",
         "Resolution": "Resolution and follow-through", "Surveys": "Surveys", "Churn": "Churn", "Themes": "Themes",
         "Upload exports": "Upload exports", "Data status": "Data status", "Cohorts": "Cohorts",
         "Metric definitions": "Metric definitions", "Users and audit log": "Users and audit log"}
MIXED = "Demo and your own data are mixed."


@pytest.fixture
def served(demo_db_path: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A dashboard on what `make run` gives a new user: the demo database."""
    path = tmp_path / "cx.duckdb"
    shutil.copyfile(demo_db_path, path)
    with running_server(path) as server:
        yield path, server.url


def _page(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)
    return page


def _go(page: Any, link: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=PAGES[link], exact=True).wait_for(timeout=120_000)
    page.wait_for_timeout(800)  # the rest of the page
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)


def _period_shown(page: Any) -> str:
    """The sidebar's date range, "2026-08-17 – 2026-11-15"."""
    inputs = page.locator('[data-testid="stSidebar"] [data-testid="stDateInput"] input[type="date"]')
    return " – ".join(inputs.nth(i).input_value() for i in range(inputs.count()))


def _body(page: Any) -> str:
    return str(page.locator("body").inner_text())


def _load(page: Any, csv: Path, *, remove_demo: bool) -> str:
    _go(page, "Upload exports")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    page.get_by_text("Detected: tickets").wait_for(timeout=120_000)
    page.get_by_text("Remove the demo data: start with my data only" if remove_demo
                     else "Keep the demo data beside mine").click()
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Load", exact=True).click()
    if remove_demo:
        confirm = page.get_by_role("button", name="Remove the demo and load")
        confirm.wait_for(timeout=60_000)
        assert "and remove the demo dataset (" in _body(page)
        confirm.click()
    message = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="rows loaded")
    message.wait_for(timeout=120_000)
    return str(message.inner_text())


def _export(tmp_path: Path, kind: str) -> tuple[Path, str, str, int]:
    """(file, period label, sidebar period, tickets loaded) of the export to load."""
    if kind == "synthetic":
        path = tmp_path / "helpdesk-april-may-2023.csv"
        path.write_text(own_export())
        return path, "03 Apr 2023 – 28 May 2023", "2023-04-03 – 2023-05-28", 840
    path = REALDATA / "zendesk_fivetran_seed_ticket_data.csv"
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared/realdata is absent)")
    return path, "21 Sep 2020 – 20 Dec 2020", "2020-09-21 – 2020-12-20", 8


@pytest.mark.parametrize("kind", ["synthetic", pytest.param("zendesk", marks=pytest.mark.realdata)])
def test_an_export_replaces_the_demo_and_every_page_shows_its_period(
        served: tuple[Path, str], browser: Any, tmp_path: Path, kind: str) -> None:
    _, url = served
    csv, label, shown, tickets = _export(tmp_path, kind)
    page = _page(browser, url)
    assert _period_shown(page) == "2026-08-17 – 2026-11-15"  # the demo's weeks
    assert "These pages show the demo dataset, not your data." in _body(page)
    message = _load(page, csv, remove_demo=True)
    assert f"{tickets:,} rows loaded" in message and "and the demo dataset removed" in message
    assert f"Every page now shows {label}" in message
    page.screenshot(path=str(tmp_path / f"upload-{kind}.png"))
    for link in PAGES:
        _go(page, link)
        body = _body(page)
        assert _period_shown(page) == shown, link  # the export's own weeks, on every page
        assert MIXED not in body and "demo dataset" not in body.replace("the demo dataset removed", ""), link
        assert page.locator('[data-testid="stException"]').count() == 0, link
        page.screenshot(path=str(tmp_path / f"{kind}-{link.replace(' ', '-').lower()}.png"))
    _go(page, "Overview")
    assert label in _body(page)
    _go(page, "Data status")
    assert f"What it holds: your own data ({tickets:,} tickets)." in _body(page)  # no demo row left
    page.close()


def test_kept_demo_is_said_on_every_page_and_sessions_follow_the_data(served: tuple[Path, str], browser: Any,
                                                                      tmp_path: Path) -> None:
    _, url = served
    csv, label, shown, _ = _export(tmp_path, "synthetic")
    follower = _page(browser, url)  # a colleague's session, open on the default period
    picked = _page(browser, f"{url}/?start=2026-09-14&end=2026-09-27")  # a session whose user picked weeks
    loader = _page(browser, url)
    message = _load(loader, csv, remove_demo=False)
    assert f"Every page now shows {label}" in message and "demo dataset removed" not in message
    for link in PAGES:
        _go(loader, link)
        body = _body(loader)
        assert MIXED in body and "beside your data (840 tickets)" in body, link
        assert _period_shown(loader) == shown, link
    loader.screenshot(path=str(tmp_path / "mixed-banner.png"))
    _go(follower, "Complaint trends")  # its next run: the default it showed has moved with the data
    assert _period_shown(follower) == shown and MIXED in _body(follower)
    _go(picked, "Complaint trends")
    assert _period_shown(picked) == "2026-09-14 – 2026-09-27"  # what its user picked stays
    for page in (follower, picked, loader):
        page.close()


def test_undo_names_the_import_just_loaded_asks_and_its_message_is_seen(served: tuple[Path, str], browser: Any,
                                                                        tmp_path: Path) -> None:
    _, url = served
    csv, _, shown, _ = _export(tmp_path, "synthetic")
    page = _page(browser, url)
    _load(page, csv, remove_demo=False)
    history = page.locator('[data-testid="stSelectbox"]').filter(has_text="Import").get_by_role("combobox")
    assert " · helpdesk-april-may-2023.csv · tickets · 840 rows · " in history.input_value()  # the one just loaded
    page.get_by_role("button", name="Undo this import…").click()
    question = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text="Undo? Import #")
    question.wait_for(timeout=60_000)
    assert "helpdesk-april-may-2023.csv: tickets, generic; loaded" in question.inner_text()
    assert "removes 840 tickets" in question.inner_text()
    page.screenshot(path=str(tmp_path / "undo-question.png"))
    page.get_by_role("button", name="Undo import #").click()
    done = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="undone")
    done.wait_for(timeout=120_000)  # seen: the rerun after the undo does not wipe it
    assert "removed 840 tickets" in done.inner_text()
    page.wait_for_timeout(1_500)
    assert done.is_visible()
    page.screenshot(path=str(tmp_path / "undo-done.png"))
    _go(page, "Overview")
    assert _period_shown(page) == "2026-08-17 – 2026-11-15" != shown  # back on the demo's weeks
    assert MIXED not in _body(page)
    page.close()
