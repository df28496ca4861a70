"""Sign in through a real OpenID Connect provider and a real SAML identity provider in a real
browser, each set up by an admin on the SSO page; the SSO page in English and German on a laptop
and a phone."""

import os

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import SignInRecord, SingleSignOn, User
from tests.factories import PASSWORD
from tests.flows.conftest import ARTIFACTS, log_in
from tests.identity.conftest import oidc_provider, saml_idp  # noqa: F401

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


def test_an_admin_sets_up_saml_requires_it_and_a_rep_signs_in_at_the_idp(
    cast,
    page,
    live_server,
    settings,
    saml_idp,  # noqa: F811
):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True  # the IdP's metadata URL is on loopback
    metadata_url = f"{live_server.url}/accounts/sso/saml/metadata/"
    saml_idp.mode = ""
    saml_idp.email = "ada@example.com"
    saml_idp.attributes = {"groups": ["Sales EMEA"]}
    log_in(page, "admin@example.com", PASSWORD)
    page.goto("/accounts/sso/")
    expect(page.get_by_test_id("saml-metadata-url")).to_have_text(metadata_url)
    expect(page.get_by_test_id("saml-acs-url")).to_have_text(
        f"{live_server.url}/accounts/sso/saml/acs/"
    )
    # The IT admin imports Coachline's SP metadata at the IdP by its URL.
    saml_idp.sp_metadata = [requests.get(metadata_url, timeout=10).text]
    page.get_by_label("Sign in with SAML").check()
    page.get_by_label("Provider name").fill("Test IdP")
    page.get_by_label("IdP metadata URL").fill(f"{saml_idp.url}/metadata")
    page.get_by_label("Allowed email domains").fill("example.com")
    page.get_by_label("Groups claim").fill("groups")
    page.get_by_label("Groups to roles and teams").fill("Sales EMEA | coach | EMEA")
    page.get_by_label("Single sign-on required").check()
    page.get_by_label("Break-glass admin").select_option(label="Ada Admin")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Single sign-on settings saved.")
    sso = SingleSignOn.current()
    assert (sso.saml_enabled, sso.saml_idp_entity_id, sso.sso_required) == (
        True,
        saml_idp.entity_id,
        True,
    )
    page.get_by_role("button", name="Log out").click()

    # A rep's password no longer works; the button on the same page does.
    page.get_by_label("Email").fill("rep@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("signs in with single sign-on")
    page.get_by_role("link", name="Sign in with Test IdP").click()

    # The IdP's page posts the signed Response back to Coachline by itself (HTTP-POST).
    expect(page.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()
    ada = User.objects.get(email="ada@example.com")
    assert (ada.role, ada.team.name) == ("coach", "EMEA")
    assert list(SignInRecord.objects.filter(user=ada).values_list("method", "succeeded")) == [
        ("saml", True)
    ]
    page.goto("/accounts/sso/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if os.environ.get("COACHLINE_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"sso-{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_sso_page_reads_in_english_and_german_on_a_laptop_and_a_phone(cast, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "admin@example.com", PASSWORD)
    for language, heading, save in (
        ("en", "Single sign-on", "Save"),
        ("de", "Single Sign-on", "Speichern"),
    ):
        User.objects.filter(pk=cast.admin.pk).update(language=language)  # as the switcher saves it
        page.goto("/accounts/sso/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(page.get_by_role("button", name=save, exact=True)).to_be_visible()
        # Nothing runs off the side: the long URLs wrap inside their cards.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(page, f"settings-{language}-{width}")
