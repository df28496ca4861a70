"""SSO required, end to end: password login, sessions begun with a password (pages and the
API's session login), password reset and invitation links are refused for everyone but the
break-glass admin; sessions a provider vouched for, and API keys, keep working."""

import re

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import SignInRecord, SingleSignOn, User
from accounts.people import invitation_link, user_invite
from accounts.roles import Role
from tests.factories import PASSWORD, UserFactory
from tests.identity.conftest import saml_sign_in, sign_in_at_provider

pytestmark = pytest.mark.django_db

API = "/api/v1/users/"


def sso_required(glass: User) -> None:
    SingleSignOn.objects.filter(pk=1).update(sso_required=True, break_glass_user=glass)


def password_login(client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": email, "password": PASSWORD})


@pytest.mark.parametrize("who", ["rep", "manager", "leader", "second_admin"])
def test_password_login_is_refused_for_all_but_the_break_glass_admin(cast, client, oidc_sso, who):
    UserFactory(role=Role.ADMIN, email="second_admin@example.com", is_staff=True)
    sso_required(cast.admin)
    email = f"{who}@example.com"

    answer = password_login(client, email)

    assert answer.status_code == 200
    assert "signs in with single sign-on" in answer.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    assert list(SignInRecord.objects.values_list("email", "succeeded", "reason")) == [
        (email, False, "single sign-on required")
    ]


def test_a_password_session_from_before_ends_on_pages_and_the_api(cast, client, oidc_sso):
    assert password_login(client, "manager@example.com").status_code == 302
    assert client.get(API).status_code == 200

    sso_required(cast.admin)

    page = client.get("/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert client.get(API).status_code in (401, 403)


def test_the_break_glass_admins_password_session_stays_until_glass_moves(cast, client, oidc_sso):
    other = UserFactory(role=Role.ADMIN, email="second_admin@example.com", is_staff=True)
    assert password_login(client, "admin@example.com").status_code == 302
    sso_required(cast.admin)

    assert client.get("/").status_code == 200
    assert client.get(API).status_code == 200

    SingleSignOn.objects.filter(pk=1).update(break_glass_user=other)
    assert client.get("/").status_code == 302
    assert client.get(API).status_code in (401, 403)


def test_sessions_begun_at_the_provider_keep_working(cast, client, oidc_sso):
    sso_required(cast.admin)

    assert sign_in_at_provider(client).status_code == 302
    ada = User.objects.get(email="ada@example.com")
    assert client.get("/").status_code == 200
    assert client.get(API).status_code == 200
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_a_saml_session_keeps_working_under_sso_required(cast, client, saml_sso):
    sso_required(cast.admin)

    assert saml_sign_in(client).status_code == 302
    assert client.get("/").status_code == 200
    assert client.get(API).status_code == 200


def test_api_keys_are_not_sign_ins_and_keep_working(cast, client, oidc_sso, api_key):
    sso_required(cast.admin)
    _key, raw = api_key

    assert client.get(API, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_password_reset_sends_a_link_only_to_the_break_glass_admin(cast, client, oidc_sso):
    sso_required(cast.admin)

    page = client.get("/accounts/password-reset/")
    refused = client.post("/accounts/password-reset/", {"email": "rep@example.com"})
    glass = client.post("/accounts/password-reset/", {"email": "admin@example.com"})

    assert 'data-testid="sso-required"' in page.content.decode()
    # The same answer either way, so the page tells nobody who exists or may reset.
    assert refused.status_code == glass.status_code == 302
    assert refused["Location"] == glass["Location"] == "/accounts/password-reset/sent/"
    assert [message.to for message in mail.outbox] == [["admin@example.com"]]


def test_a_reset_link_sent_before_sso_required_no_longer_sets_a_password(cast, client, oidc_sso):
    client.post("/accounts/password-reset/", {"email": "rep@example.com"})
    link = re.search(r"http://\S+/reset/\S+/", mail.outbox[0].body)
    assert link is not None
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    sso_required(cast.admin)

    page = client.get(f"/{path}")
    posted = client.post(
        f"/{path}", {"new_password1": "a-new-Passw0rd!", "new_password2": "a-new-Passw0rd!"}
    )

    assert 'data-testid="sso-required"' in page.content.decode()
    assert posted.status_code == 200
    cast.rep.refresh_from_db()
    assert cast.rep.check_password(PASSWORD)


def test_the_break_glass_admins_reset_link_still_works(cast, client, oidc_sso):
    sso_required(cast.admin)
    client.post("/accounts/password-reset/", {"email": "admin@example.com"})
    link = re.search(r"http://\S+/reset/\S+/", mail.outbox[0].body)
    assert link is not None
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]

    page = client.get(path, follow=True)
    posted = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a-new-Passw0rd!", "new_password2": "a-new-Passw0rd!"},
    )

    assert posted.status_code == 302
    cast.admin.refresh_from_db()
    assert cast.admin.check_password("a-new-Passw0rd!")


def test_an_invitation_under_sso_required_carries_no_password_link(
    cast, client, oidc_sso, django_capture_on_commit_callbacks
):
    sso_required(cast.admin)

    with django_capture_on_commit_callbacks(execute=True):
        person = user_invite(
            actor=cast.admin, email="new@example.com", full_name="New Person", role=Role.REP
        )

    (message,) = mail.outbox
    assert message.to == ["new@example.com"]
    assert f"{settings.SITE_URL}/accounts/login/" in message.body
    assert "/reset/" not in message.body
    # A link made for them (as sent before the switch) does not set a password either.
    path = invitation_link(user=person).removeprefix(settings.SITE_URL)
    client.post(path, {"new_password1": "a-new-Passw0rd!", "new_password2": "a-new-Passw0rd!"})
    person.refresh_from_db()
    assert not person.has_usable_password()
