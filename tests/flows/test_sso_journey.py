"""Sign in through a real OpenID Connect provider in a real browser."""

import pytest
from playwright.sync_api import expect

from accounts.models import SignInRecord, SingleSignOn, User
from tests.factories import PASSWORD
from tests.flows.conftest import log_in
from tests.identity.conftest import oidc_provider  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _encryption_key(settings):  # type: ignore[no-untyped-def]
    settings.FIELD_ENCRYPTION_KEY = "6Yh0XkQ3bWm9r3v6Vb1tW7yQ0n2c5d8e1f4g7h0j3k4="


def test_an_admin_sets_up_oidc_and_a_new_rep_signs_in_through_the_provider(
    cast,
    page,
    live_server,
    oidc_provider,  # noqa: F811
):
    callback = f"{live_server.url}/accounts/sso/oidc/callback/"
    oidc_provider.control(
        tamper="",
        email="",
        name="",
        groups=["Sales EMEA"],
        verified=True,
        redirect_uris=[callback],
        post_logout_redirect_uris=[f"{live_server.url}/accounts/login/"],
    )
    log_in(page, "admin@example.com", PASSWORD)
    page.goto("/accounts/sso/")
    expect(page.get_by_test_id("callback-url")).to_have_text(callback)
    page.get_by_label("Sign in with OpenID Connect").check()
    page.get_by_label("Provider name").fill("Test IdP")
    page.get_by_label("Issuer URL").fill(oidc_provider.issuer)
    page.get_by_label("Client ID").fill("coachline")
    page.get_by_label("Client secret").fill("coachline-secret")
    page.get_by_label("Allowed email domains").fill("example.com")
    page.get_by_label("Groups to roles and teams").fill("Sales EMEA | rep | EMEA")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Single sign-on settings saved.")
    page.get_by_role("button", name="Log out").click()

    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("ada-password")
    page.get_by_role("button", name="Sign in at the IdP").click()

    expect(page.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()
    ada = User.objects.get(email="ada@example.com")
    assert (ada.role, ada.team.name) == ("rep", "EMEA")
    assert SingleSignOn.current().oidc_client_secret == "coachline-secret"
    assert SignInRecord.objects.filter(user=ada, method="oidc", succeeded=True).count() == 1

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Coachline")).to_be_visible()
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
