"""SAML 2.0 sign-in against a real identity provider (pysaml2's IdP side on loopback)."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from accounts.models import ExternalIdentity, SamlAssertionUse, SignInRecord, SingleSignOn, User
from accounts.roles import Role
from tests.factories import UserFactory
from tests.identity.conftest import saml_form, saml_sign_in

pytestmark = pytest.mark.django_db

REFUSED = "could not be verified"


def test_the_sp_metadata_names_the_entity_id_and_the_assertion_consumer_service(saml_sso, client):
    response = client.get("/accounts/sso/saml/metadata/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    xml = response.content.decode()
    assert 'entityID="http://testserver/accounts/sso/saml/metadata/"' in xml
    assert 'Location="http://testserver/accounts/sso/saml/acs/"' in xml
    assert 'WantAssertionsSigned="true"' in xml


def test_sp_initiated_sign_in_creates_the_person_with_the_mapped_role_and_team(saml_sso, client):
    saml_sso.attributes = {"groups": ["Everyone", "Sales Leads"]}

    SingleSignOn.objects.filter(pk=1).update(
        group_mapping=[{"group": "Sales Leads", "role": "manager", "team": "EMEA"}]
    )

    response = saml_sign_in(client, start="/accounts/sso/saml/login/?next=/learn/")

    assert response.status_code == 302 and response["Location"] == "/learn/"
    ada = User.objects.get(email="ada@example.com")
    assert (ada.full_name, ada.role, ada.team.name, ada.has_usable_password()) == (
        "Ada Lovelace",
        Role.MANAGER,
        "EMEA",
        False,
    )
    link = ExternalIdentity.objects.get()
    assert (link.user, link.issuer, link.subject) == (ada, saml_sso.entity_id, "ada@example.com")
    assert client.get("/").status_code == 200
    record = SignInRecord.objects.get()
    assert (record.user, record.method, record.provider, record.succeeded) == (
        ada,
        "saml",
        saml_sso.entity_id,
        True,
    )


def test_the_authn_request_goes_to_the_idp_by_redirect(saml_sso, client):
    location = client.get("/accounts/sso/saml/login/?next=/learn/")["Location"]

    assert location.startswith(f"{saml_sso.url}/sso/redirect?")
    query = parse_qs(urlsplit(location).query)
    assert query["RelayState"] == ["/learn/"] and query["SAMLRequest"][0]


def test_an_existing_person_is_linked_by_email_and_keeps_their_role(saml_sso, client):
    grace = UserFactory(email="Ada@Example.com", role=Role.COACH)

    response = saml_sign_in(client)

    assert response.status_code == 302 and response["Location"] == "/"
    grace.refresh_from_db()
    assert grace.role == Role.COACH
    assert User.objects.count() == 1
    assert ExternalIdentity.objects.get().user == grace


def test_idp_initiated_sign_in_works(saml_sso, client):
    query = urlencode(
        {
            "acs": "http://testserver/accounts/sso/saml/acs/",
            "sp": "http://testserver/accounts/sso/saml/metadata/",
        }
    )
    page = requests.get(f"{saml_sso.url}/sso/unsolicited?{query}", timeout=10)

    response = client.post("/accounts/sso/saml/acs/", saml_form(page.text))

    assert response.status_code == 302 and response["Location"] == "/"
    assert User.objects.filter(email="ada@example.com").exists()


@pytest.mark.parametrize(
    ("mode", "why"),
    [
        ("unsigned", "Signature missing"),
        ("wrong_key", "ignature"),
        ("wrong_audience", "AudienceRestrictions"),
        ("expired", "answer refused"),
    ],
)
def test_a_bad_assertion_is_refused_and_nothing_is_created(saml_sso, client, mode, why):
    saml_sso.mode = mode

    response = saml_sign_in(client)

    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not User.objects.exists()
    assert not ExternalIdentity.objects.exists()
    assert not SamlAssertionUse.objects.exists()
    assert client.get("/").status_code == 302  # not signed in
    record = SignInRecord.objects.get()
    assert (record.succeeded, record.method, record.user) == (False, "saml", None)
    assert record.reason.startswith("answer refused") and why in record.reason


def test_a_replayed_assertion_is_refused(saml_sso, client):
    begin = client.get("/accounts/sso/saml/login/")
    form = saml_form(requests.get(begin["Location"], timeout=10).text)
    assert client.post("/accounts/sso/saml/acs/", form).status_code == 302
    client.logout()
    users, links = User.objects.count(), ExternalIdentity.objects.count()

    response = client.post("/accounts/sso/saml/acs/", form)

    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert (User.objects.count(), ExternalIdentity.objects.count()) == (users, links)
    assert client.get("/").status_code == 302
    assert SignInRecord.objects.filter(succeeded=False).get().reason == (
        "answer refused: assertion already used (replayed)"
    )


def test_an_email_outside_the_allowed_domains_is_refused(saml_sso, client):
    saml_sso.email = "eve@elsewhere.org"

    response = saml_sign_in(client)

    assert response.status_code == 403
    assert "elsewhere.org may not sign in" in response.content.decode()
    assert not User.objects.exists()


def test_saml_off_answers_404(saml_sso, client):

    SingleSignOn.objects.filter(pk=1).update(saml_enabled=False)

    assert client.get("/accounts/sso/saml/login/").status_code == 404
    assert client.post("/accounts/sso/saml/acs/", {"SAMLResponse": "x"}).status_code == 404


def saml_settings_post(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "saml_enabled": "on",
        "provider_name": "Okta",
        "allowed_domains": "example.com",
        "groups_claim": "groups",
        "group_mapping": "Sales Leads | coach",
        "jit_enabled": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_configures_saml_from_the_metadata_url_and_ada_signs_in(cast, client, saml_sso):
    SingleSignOn.objects.filter(pk=1).update(
        saml_enabled=False, saml_idp_metadata_xml="", saml_idp_entity_id=""
    )
    client.force_login(cast.admin)
    page = client.get("/accounts/sso/").content.decode()
    assert "http://testserver/accounts/sso/saml/acs/" in page

    response = client.post(
        "/accounts/sso/", saml_settings_post(saml_idp_metadata_url=f"{saml_sso.url}/metadata")
    )

    assert response.status_code == 302, response.context["form"].errors
    sso = SingleSignOn.current()
    assert (sso.saml_enabled, sso.saml_idp_entity_id, sso.oidc_enabled) == (
        True,
        saml_sso.entity_id,
        False,
    )
    assert "EntityDescriptor" in sso.saml_idp_metadata_xml
    client.logout()
    assert "/accounts/sso/saml/login/" in client.get("/accounts/login/").content.decode()
    saml_sso.attributes = {"groups": ["Sales Leads"]}
    assert saml_sign_in(client).status_code == 302
    assert User.objects.get(email="ada@example.com").role == Role.COACH


@pytest.mark.parametrize(
    ("changes", "field", "why"),
    [
        ({"saml_idp_metadata_xml": "<not-saml/>"}, "saml_idp_metadata_xml", "identity provider"),
        ({"saml_idp_metadata_xml": "no xml at all"}, "saml_idp_metadata_xml", "not SAML"),
        ({"saml_idp_metadata_url": "http://127.0.0.1:8899/metadata"}, "saml_idp_metadata_url", ""),
        ({}, "saml_idp_metadata_xml", "Needed for SAML"),
    ],
)
def test_unusable_idp_metadata_is_refused_and_nothing_is_saved(
    cast, client, db, changes, field, why
):
    client.force_login(cast.admin)

    response = client.post("/accounts/sso/", saml_settings_post(**changes))

    assert response.status_code == 200
    errors = response.context["form"].errors.get(field)
    assert errors and why in errors[0], response.context["form"].errors
    assert not SingleSignOn.objects.filter(saml_enabled=True).exists()


def test_an_entity_id_the_metadata_does_not_describe_is_refused(cast, client, saml_sso):
    SingleSignOn.objects.filter(pk=1).update(saml_enabled=False)
    client.force_login(cast.admin)

    response = client.post(
        "/accounts/sso/",
        saml_settings_post(
            saml_idp_metadata_url=f"{saml_sso.url}/metadata",
            saml_idp_entity_id="https://other-idp.example/",
        ),
    )

    assert response.status_code == 200
    assert "no identity provider" in response.context["form"].errors["saml_idp_metadata_url"][0]
    assert not SingleSignOn.objects.filter(saml_enabled=True).exists()
