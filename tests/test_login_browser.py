"""The real login flow in headless Chromium: the dashboard (real Streamlit server, st.login) against a local
mock OpenID Connect provider (oidc-provider-mock), both on loopback. A user's role comes from the provider's
`roles` claim; an executive does not get the CX lead pages, even by URL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cx_ui.serve import free_port, running_server
from tests.oidc_mock import provider as mock_provider
from tests.oidc_mock import secrets_file

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

USERS = [
    {"sub": "ana", "email": "ana@example.com", "name": "Ana Analyst", "roles": ["analyst"]},
    {"sub": "eve", "email": "eve@example.com", "name": "Eve Executive", "roles": ["executive"]},
]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with mock_provider(USERS) as url:
        yield url


@pytest.fixture(scope="module")
def dashboard(provider: str, demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("login")
    db_path = folder / "served.duckdb"
    shutil.copyfile(demo_db_path, db_path)
    port = free_port()
    with running_server(db_path, port=port, secrets=secrets_file(folder, port, provider)) as server:
        yield server.url


def _sign_in(browser: object, url: str, sub: str) -> object:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=sub, exact=True).click(timeout=30_000)  # the provider's user picker
    page.locator('[data-testid="stMetric"]').nth(6).wait_for(timeout=60_000)
    return page


def test_signed_out_visitor_sees_no_data(browser: object, dashboard: str) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(dashboard)
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    page.close()


def test_analyst_signs_in_and_gets_the_analyst_view(browser: object, dashboard: str) -> None:
    page = _sign_in(browser, dashboard, "ana")
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Ana Analyst" in sidebar.inner_text() and "analyst" in sidebar.inner_text()
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Overview" in nav and "Metric definitions" in nav and "Upload exports" not in nav
    assert page.get_by_text("Download these KPIs (CSV)").count() == 1  # analysts may export
    page.context.close()


def test_executive_cannot_open_the_upload_page_by_url(browser: object, dashboard: str) -> None:
    page = _sign_in(browser, dashboard, "eve")
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Upload exports" not in nav and "Users and audit log" not in nav
    assert page.get_by_text("Download these KPIs (CSV)").count() == 0  # no exports for executives
    page.goto(f"{dashboard}/upload")
    page.get_by_text("Not allowed").wait_for(timeout=60_000)  # said, not a silent redirect
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    page.context.close()
