"""A CX lead works the follow-up list end to end in a real server and headless Chromium, signed in through a mock
OpenID Connect provider on loopback: claims the first item, closes it with an outcome, a note and the day of the
call, sees it leave the list and the coverage move. An executive on the same page gets neither list nor button."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_ui.serve import free_port, running_server
from tests.oidc_mock import provider, secrets_file, sign_in

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

USERS = [
    {"sub": "lee", "email": "lee@example.com", "email_verified": True, "name": "Lee Lead", "roles": ["cx_lead"]},
    {"sub": "eve", "email": "eve@example.com", "email_verified": True, "name": "Eve Executive",
     "roles": ["executive"]},
]
METRIC = '[data-testid="stMetric"]'


@pytest.fixture(scope="module")
def served(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("followups-browser")
    path = folder / "served.duckdb"
    shutil.copyfile(demo_db_path, path)
    with provider(USERS) as idp:
        port = free_port()
        with running_server(path, port=port, secrets=secrets_file(folder, port, idp)) as server:
            yield server.url


def _idle(page: object) -> None:
    page.wait_for_timeout(500)  # type: ignore[attr-defined]
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=90_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(500)  # type: ignore[attr-defined]


def _coverage(page: object) -> tuple[int, int]:
    text = page.get_by_text(re.compile(r"[\d,]+ of [\d,]+ due closed in time")).first.inner_text()  # type: ignore[attr-defined]
    found = re.search(r"([\d,]+) of ([\d,]+) due closed in time", text)
    assert found, text
    return int(found.group(1).replace(",", "")), int(found.group(2).replace(",", ""))


def test_cx_lead_claims_closes_and_sees_the_item_leave(browser: object, served: str, tmp_path: Path) -> None:
    page = sign_in(browser, served, "lee", wait_for=METRIC, width=1400)
    page.goto(f"{served}/followups")
    page.get_by_text("Item to work").first.wait_for(timeout=90_000)
    _idle(page)
    in_time, due = _coverage(page)
    body = page.locator("body").inner_text()
    key = re.search(r"item ((?:detractor|sla_breach|reopened):[^:\s]+:[^:\s]+):", body)
    when = re.search(r"due (\d{2} \w{3} \d{4}) \d{2}:\d{2} UTC", body)
    assert key and when, body
    key_text, due_day = key.group(1), dt.datetime.strptime(when.group(1), "%d %b %Y").date()
    page.screenshot(path=str(tmp_path / "followups-before.png"), full_page=True)

    page.get_by_role("button", name="Claim").click()
    page.get_by_text("You claimed").first.wait_for(timeout=60_000)
    _idle(page)
    assert "Claimed by you" in page.locator("body").inner_text()

    page.get_by_test_id("stRadioGroup").get_by_text("Recovered", exact=True).click()
    page.get_by_label("Note").fill("Called back, refunded the double charge")
    for part, value in (("year", f"{due_day.year}"), ("month", f"{due_day.month:02d}"), ("day", f"{due_day.day:02d}")):
        page.get_by_role("spinbutton", name=f"{part}, Contacted on").click()  # the date field's parts
        page.keyboard.type(value)
    page.get_by_role("button", name="Close", exact=True).click()
    page.get_by_text("It has left the list").first.wait_for(timeout=60_000)
    _idle(page)
    page.screenshot(path=str(tmp_path / "followups-after.png"), full_page=True)

    after = page.locator("body").inner_text()
    assert f"item {key_text}:" not in after  # the next item is offered; the closed one has left the list
    assert _coverage(page) == (in_time + 1, due)  # closed on its due day: in time, so the coverage moved
    assert page.locator('[data-testid="stException"]').count() == 0
    # the closed follow-up, with its note, is listed for the lead
    page.get_by_text("Closed in this period").first.wait_for(timeout=30_000)
    page.context.close()


def test_executive_sees_coverage_but_no_list(browser: object, served: str) -> None:
    page = sign_in(browser, served, "eve", wait_for=METRIC, width=1400)
    page.get_by_text("Follow-up coverage").first.wait_for(timeout=90_000)  # the Overview tile, drawn last
    assert "due closed in time" in page.locator("body").inner_text()
    page.goto(f"{served}/followups")
    page.get_by_text("Did it work?").first.wait_for(timeout=90_000)
    _idle(page)
    body = page.locator("body").inner_text()
    assert "is for CX leads and admins" in body
    assert page.get_by_role("button", name="Claim").count() == 0
    assert "Item to work" not in body and "Closed in this period" not in body
    page.context.close()
