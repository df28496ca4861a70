"""LTI 1.3 launches from a simulated platform (tests/training/lti_platform.py) with real RS256
signatures: the happy path signs the learner in to the course; a bad signature, a wrong
audience, a replayed nonce and an unknown deployment are refused with a clear page and leave
nothing behind."""

from typing import Any

import pytest
from django.test import Client
from pylti1p3.exception import LtiServiceException
from pylti1p3.service_connector import ServiceConnector

from accounts.models import ExternalIdentity, SignInRecord, User
from tests.factories import UserFactory
from tests.training.factories import CourseFactory
from tests.training.lti_platform import (
    CLIENT_ID,
    DEPLOYMENT_ID,
    SCORE_SCOPE,
    FakePlatform,
    lti_launch,
    lti_login,
    lti_register,
    rsa_private_pem,
)
from training.lti.tool import registration_of
from training.models import LtiLaunch, LtiPlatform

pytestmark = pytest.mark.django_db


def _nothing_written() -> None:
    assert not LtiLaunch.objects.exists()
    assert not ExternalIdentity.objects.exists()
    assert not SignInRecord.objects.exists()


def test_launch_signs_the_learner_in_to_the_course(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    course = CourseFactory()
    learner = UserFactory(email="learner@example.com")
    response = lti_launch(client, platform_server, course=course.slug)
    assert response.status_code == 302
    assert response["Location"] == f"/learn/courses/{course.slug}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.wsgi_request.user == learner
    launch = LtiLaunch.objects.get()
    assert (launch.user, launch.course, launch.deployment_id) == (learner, course, DEPLOYMENT_ID)
    assert launch.lineitem_url == platform_server.lineitem_url()
    assert ExternalIdentity.objects.get().subject == "user-42"
    assert SignInRecord.objects.get().method == "lti"
    assert [r.path for r in platform_server.requests] == ["/jwks"]


def test_a_linked_learner_is_found_by_sub_even_without_email(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    course = CourseFactory()
    learner = UserFactory()
    ExternalIdentity.objects.create(user=learner, issuer=registered.issuer, subject="user-42")
    response = lti_launch(client, platform_server, course=course.slug, email="")
    assert response.status_code == 302
    assert LtiLaunch.objects.get().user == learner


def test_a_pasted_pem_key_verifies_without_fetching_a_key_set(
    client: Client, platform_server: FakePlatform, field_encryption_key: str
) -> None:
    lti_register(platform_server, key_set_url="", public_key=platform_server.public_pem())
    course = CourseFactory()
    UserFactory(email="learner@example.com")
    assert lti_launch(client, platform_server, course=course.slug).status_code == 302
    assert platform_server.requests == []


def test_unknown_learner_is_refused_unless_just_in_time_creation_is_on(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform, settings: Any
) -> None:
    course = CourseFactory()
    response = lti_launch(client, platform_server, course=course.slug, email="new@example.com")
    assert response.status_code == 403
    assert "There is no Coachline account for new@example.com" in response.content.decode()
    _nothing_written()
    assert not User.objects.filter(email="new@example.com").exists()

    settings.LTI_JIT_USERS = True
    response = lti_launch(client, platform_server, course=course.slug, email="new@example.com")
    assert response.status_code == 302
    created = User.objects.get(email="new@example.com")
    assert (created.role, created.full_name, created.has_usable_password()) == (
        "rep",
        "Lee Learner",
        False,
    )


# What is wrong with the launch (the id token's claims, a callable made at run time), the answer
# and what the page says. Each leaves nobody signed in and nothing written.
BAD_LAUNCHES = [
    pytest.param({"key_pem": rsa_private_pem}, 400, "signature does not verify", id="signature"),
    pytest.param(
        {"aud": "someone-else"},
        400,
        "not addressed to a platform registered in Coachline",
        id="audience",
    ),
    pytest.param({"nonce": "made-up"}, 400, "nonce was not issued by Coachline", id="nonce"),
    pytest.param(
        {"deployment_id": "other"},
        400,
        "deployment this platform registration does not list",
        id="deployment",
    ),
    pytest.param(
        {"course": "no-such-course"}, 403, "names no published Coachline course", id="course"
    ),
]


@pytest.mark.parametrize(("claims", "status", "says"), BAD_LAUNCHES)
def test_a_bad_launch_is_refused_with_a_page_and_nothing_written(
    client: Client,
    platform_server: FakePlatform,
    registered: LtiPlatform,
    claims: dict[str, Any],
    status: int,
    says: str,
) -> None:
    course = CourseFactory()
    UserFactory(email="learner@example.com")
    token = {"course": course.slug, **{k: v() if callable(v) else v for k, v in claims.items()}}

    response = lti_launch(client, platform_server, **token)

    assert response.status_code == status
    assert says in response.content.decode()
    assert "_auth_user_id" not in client.session
    _nothing_written()


def test_replayed_id_token_is_refused(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    course = CourseFactory()
    UserFactory(email="learner@example.com")
    params = lti_login(client, platform_server)
    id_token = platform_server.id_token(nonce=params["nonce"], course=course.slug)
    form = {"id_token": id_token, "state": params["state"]}
    assert client.post("/lti/launch/", form).status_code == 302
    client.logout()
    replay = client.post("/lti/launch/", form)
    assert replay.status_code == 403
    assert "This launch was used already" in replay.content.decode()
    assert "_auth_user_id" not in client.session
    assert LtiLaunch.objects.count() == 1
    assert SignInRecord.objects.count() == 1


def test_login_from_an_unregistered_platform_is_refused(client: Client) -> None:
    response = client.post(
        "/lti/login/", {"iss": "https://lms.example", "login_hint": "x", "client_id": "y"}
    )
    assert response.status_code == 400
    assert "not registered in Coachline" in response.content.decode()


def test_jwks_serves_the_tool_key_of_each_active_platform(
    client: Client, registered: LtiPlatform
) -> None:
    keys = client.get("/lti/jwks/").json()["keys"]
    # The kid is the one PyLTI1p3 puts on what it signs with this registration.
    assert [(k["kid"], k["kty"], k["alg"]) for k in keys] == [
        (registration_of(registered).get_kid(), "RSA", "RS256")
    ]
    assert "d" not in keys[0]  # the public half only


def test_a_token_request_signed_by_the_library_verifies_against_our_key_set(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    """PyLTI1p3's own client assertion, checked by the platform with the key our JWKS URL
    publishes under the assertion's kid. Before migration 0009 the library signed without a kid
    (it had no public key) while the JWKS named a random one, and the platform refused it."""
    platform_server.tool_jwks = client.get("/lti/jwks/").json()
    connector = ServiceConnector(registration_of(registered))
    token = connector.get_access_token([SCORE_SCOPE])
    assert platform_server.access_tokens[token] == [SCORE_SCOPE]
    assert platform_server.refusals == []
    assertion = platform_server.token_requests[0]["client_assertion"][0]
    claims = platform_server.client_assertion_claims(assertion)
    assert (claims["iss"], claims["aud"]) == (CLIENT_ID, platform_server.token_url)


def test_the_platform_refuses_an_assertion_our_key_set_does_not_vouch_for(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    other = lti_register(platform_server, client_id="another-client")
    other.is_active = False  # its key leaves the published set
    other.save()
    platform_server.tool_jwks = client.get("/lti/jwks/").json()
    with pytest.raises(LtiServiceException):
        ServiceConnector(registration_of(other)).get_access_token([SCORE_SCOPE])
    assert platform_server.access_tokens == {}
    assert "KeyError" in platform_server.refusals[0]
