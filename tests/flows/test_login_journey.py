import pytest

from tests.factories import PASSWORD
from tests.flows.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_logs_in_and_sees_their_home_page(cast, page):
    log_in(page, "rep@example.com", PASSWORD)

    assert page.get_by_role("heading", name="Welcome, Remy Rep").is_visible()
    assert page.get_by_role("navigation", name="Main").is_visible()


def test_a_wrong_password_shows_a_clear_message(cast, page):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("rep@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()

    assert page.get_by_role("alert").inner_text().startswith("That email and password do not match")
