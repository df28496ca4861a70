"""German end to end, first step: a visitor switches the login page to German, signs in and
gets a German home page; signed in, the header switcher saves the choice to the profile; on a
laptop and on a 390 px phone (no sideways scroll)."""

import os

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.factories import PASSWORD
from tests.flows.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("COACHLINE_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"language-{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _sign_in_in_german(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", name="Bei Coachline anmelden")).to_be_visible()
    expect(page.get_by_role("button", name="Deutsch")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("E-Mail").fill("rep@example.com")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Start", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_a_rep_switches_to_german_on_the_login_page_and_keeps_it_in_the_header(cast, page):
    _sign_in_in_german(page)
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    _shot(page, "home-laptop")
    # The cookie carried the visitor's choice; nothing is saved until they choose signed in.
    assert User.objects.get(pk=cast.rep.pk).language == ""

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", name="Start", level=1)).to_be_visible()
    assert User.objects.get(pk=cast.rep.pk).language == "de"


def test_german_on_a_phone(cast, page):
    page.set_viewport_size(PHONE)
    _sign_in_in_german(page)

    # On a phone the switcher sits in the folded menu (the header row has no room for it).
    _no_sideways_scroll(page)
    page.locator(".topbar .nav-toggle").click()
    expect(page.get_by_role("button", name="Deutsch")).to_have_attribute("aria-pressed", "true")
    _shot(page, "home-phone")
