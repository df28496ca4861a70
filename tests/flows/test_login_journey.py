import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.flows.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_logs_in_and_sees_their_home_page(cast, page):
    log_in(page, "rep@example.com", PASSWORD)

    expect(page.get_by_role("heading", name="Welcome, Remy Rep")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_a_wrong_password_shows_a_clear_message(cast, page):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("rep@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text(
        re.compile("^" + re.escape("That email and password do not match"))
    )
