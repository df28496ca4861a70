"""The phone menu by keyboard alone, at 390 px, in English and in German: Tab reaches the menu
button, Enter opens the menu (the next Tab lands on a menu link), Escape shuts it and gives focus
back to the button; the button stays on the logo's row ("Abmelden" is wider than "Log out" and
once pushed it onto a second row)."""

import os

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.flows.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
HOME_HEADING = {"en": "Home", "de": "Start"}
MENU_NAME = {"en": "Menu", "de": "Menü"}


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("COACHLINE_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"phone-menu-{name}.png"), full_page=True)


def _sign_in(page, email: str, language: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=HOME_HEADING[language], level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _tab_to(page, selector: str, most: int = 15) -> None:  # type: ignore[no-untyped-def]
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{most} presses of Tab never reached {selector}")


def _assert_button_beside_logo(page) -> None:  # type: ignore[no-untyped-def]
    brand = page.locator(".topbar .brand").bounding_box()
    button = page.locator(".topbar .nav-toggle").bounding_box()
    assert brand is not None and button is not None
    brand_middle = brand["y"] + brand["height"] / 2
    button_middle = button["y"] + button["height"] / 2
    assert abs(button_middle - brand_middle) <= 8, (brand, button)
    assert button["x"] + button["width"] <= PHONE["width"], button
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The logo's name is shortened (…) only when nothing else fits; at 390 px it is whole.
    name = page.locator(".topbar .brand-name")
    assert name.evaluate("el => el.scrollWidth <= el.clientWidth"), "logo name cut short"


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_phone_menu_opens_and_closes_by_keyboard_beside_the_logo(cast, page, language):
    # given a rep who reads the site in the language, on a 390 px phone
    cast.rep.language = language
    cast.rep.save(update_fields=["language"])
    page.set_viewport_size(PHONE)
    _sign_in(page, cast.rep.email, language)
    button = page.get_by_role("button", name=MENU_NAME[language])
    first_link = page.locator("#mainnav a").first
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(first_link).to_be_hidden()
    _assert_button_beside_logo(page)

    # when they Tab to the menu button and press Enter
    _tab_to(page, ".topbar .nav-toggle")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    # then the menu is open and the next Tab lands on its first link
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(first_link).to_be_visible()
    page.keyboard.press("Tab")
    expect(first_link).to_be_focused()
    _assert_button_beside_logo(page)
    _shot(page, f"{language}-open")

    # when they press Escape, then the menu shuts and focus is back on the button
    page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(first_link).to_be_hidden()
    expect(button).to_be_focused()
    _assert_button_beside_logo(page)
    _shot(page, f"{language}-closed")
