"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import skip_or_fail

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from django.urls import get_resolver
    from playwright.sync_api import sync_playwright

    # Import every view once here (seconds: SAML, LTI, the estimators), not inside the first
    # journey's first page load, whose 10-second budget it ate on a busy machine.
    get_resolver().check()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=list(CHROMIUM_ARGS),
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    if os.environ.get("COACHLINE_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page: Any, email: str, password: str) -> None:
    """Log in and wait for the home page's own content, its heading (a URL pattern alone also
    matched the login page answering with an error; the main menu is folded away on a phone)."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


from tests.fakes.fixtures import fake_slack, fake_teams, field_encryption_key  # noqa: E402, F401
