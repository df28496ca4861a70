"""OpenID Connect sign-in against a real provider (django-oauth-toolkit on loopback)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from auditlog.models import LogEntry

from accounts.models import ExternalIdentity, SignInRecord, SingleSignOn, User
from accounts.roles import Role
from tests.factories import UserFactory
from tests.identity.conftest import DOWN_PORT, sign_in_at_provider

pytestmark = pytest.mark.django_db


def test_a_new_person_signs_in_and_is_created_just_in_time(oidc_sso, client):
    response = sign_in_at_provider(client)

    assert response.status_code == 302 and response["Location"] == "/"
    ada = User.objects.get(email="ada@example.com")
    assert (ada.full_name, ada.role, ada.has_usable_password()) == ("Ada Lovelace", Role.REP, False)
    assert ExternalIdentity.objects.get().user == ada
    assert client.get("/").status_code == 200
    record = SignInRecord.objects.get()
    assert (record.user, record.method, record.provider, record.succeeded) == (
        ada,
        "oidc",
        oidc_sso.issuer,
        True,
    )


def test_the_request_uses_pkce_s256_state_and_nonce(oidc_sso, client):
    location = client.get("/accounts/sso/oidc/login/")["Location"]
    query = parse_qs(urlsplit(location).query)

    assert location.startswith(f"{oidc_sso.issuer}/authorize/")
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == ["coachline"] and query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20


@pytest.mark.parametrize("tamper", ["aud", "iss", "nonce", "signature", "expired"])
def test_a_bad_id_token_is_refused_and_nothing_is_created(oidc_sso, client, tamper):
    oidc_sso.control(tamper=tamper)

    response = sign_in_at_provider(client)

    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert not User.objects.filter(email="ada@example.com").exists()
    assert not ExternalIdentity.objects.exists()
    assert client.get("/").status_code == 302  # not signed in
    record = SignInRecord.objects.get()
    assert (record.succeeded, record.method, record.user) == (False, "oidc", None)
    assert record.reason.startswith("answer refused")


def test_a_callback_with_a_forged_state_is_refused(oidc_sso, client):
    client.get("/accounts/sso/oidc/login/")

    response = client.get("/accounts/sso/oidc/callback/?code=abc&state=forged")

    assert response.status_code == 400
    assert not User.objects.filter(email="ada@example.com").exists()


def test_an_email_outside_the_allowed_domains_is_refused(oidc_sso, client):
    oidc_sso.control(email="ada@elsewhere.org")

    response = sign_in_at_provider(client)

    assert response.status_code == 403
    assert "Accounts at elsewhere.org may not sign in here." in response.content.decode()
    assert not User.objects.filter(email="ada@elsewhere.org").exists()
    record = SignInRecord.objects.get()
    assert (record.succeeded, record.email) == (False, "ada@elsewhere.org")


def test_an_unverified_email_is_refused(oidc_sso, client):
    oidc_sso.control(verified=False)

    assert sign_in_at_provider(client).status_code == 403
    assert not User.objects.filter(email="ada@example.com").exists()


def test_without_jit_only_people_already_here_sign_in_and_are_linked(oidc_sso, client, cast):
    SingleSignOn.objects.filter(pk=1).update(jit_enabled=False)

    refused = sign_in_at_provider(client)
    oidc_sso.control(email="REP@example.com")
    accepted = sign_in_at_provider(client)

    assert refused.status_code == 403
    assert "There is no Coachline account for ada@example.com yet" in refused.content.decode()
    assert accepted.status_code == 302
    assert ExternalIdentity.objects.get().user == cast.rep
    assert User.objects.filter(email__iexact="ada@example.com").count() == 0


def test_a_deactivated_person_cannot_sign_in_through_the_provider(oidc_sso, client):
    UserFactory(email="ada@example.com", is_active=False)

    response = sign_in_at_provider(client)

    assert response.status_code == 403
    assert "deactivated" in response.content.decode()
    assert client.get("/").status_code == 302


def test_groups_set_role_and_team_at_each_sign_in_and_the_audit_log_has_it(oidc_sso, client):
    SingleSignOn.objects.filter(pk=1).update(
        group_mapping=[
            {"group": "Sales Leaders", "role": "leader", "team": ""},
            {"group": "Sales EMEA", "role": "rep", "team": "EMEA"},
        ]
    )
    oidc_sso.control(groups=["Everyone", "Sales EMEA"])
    sign_in_at_provider(client)
    ada = User.objects.get(email="ada@example.com")
    assert (ada.role, ada.team.name) == ("rep", "EMEA")

    client.logout()
    oidc_sso.control(groups=["Sales Leaders", "Sales EMEA"])
    sign_in_at_provider(client)

    ada.refresh_from_db()
    assert (ada.role, ada.team) == ("leader", None)
    entry = LogEntry.objects.get_for_object(ada).latest("timestamp")
    assert entry.changes_dict["role"] == ["rep", "leader"]
    assert ExternalIdentity.objects.count() == 1


def test_a_provider_that_is_down_gives_a_readable_page(oidc_sso, client):
    SingleSignOn.objects.filter(pk=1).update(oidc_issuer=f"http://127.0.0.1:{DOWN_PORT}/o")

    response = client.get("/accounts/sso/oidc/login/")

    assert response.status_code == 502
    body = response.content.decode()
    assert "Test IdP does not answer right now" in body
    assert 'href="/accounts/login/"' in body


def test_sso_off_means_no_sso_urls(db, client):
    assert client.get("/accounts/sso/oidc/login/").status_code == 404
    assert client.get("/accounts/sso/oidc/callback/?code=x&state=y").status_code == 404


def test_logout_ends_the_provider_session_too(oidc_sso, client):
    sign_in_at_provider(client)

    response = client.post("/accounts/logout/")

    assert response.status_code == 200
    location = response.context["logout_url"]
    assert f'content="0; url={location.replace("&", "&amp;")}"' in response.content.decode()
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{oidc_sso.issuer}/logout/")
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert query["id_token_hint"][0].count(".") == 2
    assert client.get("/").status_code == 302
    # The provider accepts the request (a real RP-initiated logout) and sends the person back.
    answer = requests.get(location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("http://testserver/accounts/login/")
