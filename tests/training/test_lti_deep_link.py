"""LTI deep linking against the simulated platform (tests/training/lti_platform.py): an
instructor's deep-linking request opens Coachline's course picker, and the chosen course goes
back as a resource link in a response signed by PyLTI1p3 with the key Coachline publishes, which
the test verifies as a platform does. Learners, replays, an answered or unknown request and a
course that is not published are refused."""

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

from tests.training.factories import CourseFactory
from tests.training.lti_platform import (
    CLAIM,
    CLIENT_ID,
    DEPLOYMENT_ID,
    FakePlatform,
    lti_launch,
    lti_login,
)
from training.models import LtiLaunch, LtiPlatform, PublishStatus

pytestmark = pytest.mark.django_db


def _deep_link_request(client: Client, server: FakePlatform, **claims: Any) -> Any:
    return lti_launch(client, server, **{**server.deep_linking_claims(), **claims})


def _picker_url(client: Client, server: FakePlatform) -> str:
    response = _deep_link_request(client, server)
    assert response.status_code == 302
    assert response["Location"].startswith("/lti/deep-link/")
    return str(response["Location"])


def _form(html: str) -> tuple[str, str]:
    action = re.search(r'<form method="post" action="([^"]+)"', html)
    token = re.search(r'name="JWT" value="([^"]+)"', html)
    assert action and token
    return unescape(action.group(1)), token.group(1)


def test_an_instructor_picks_a_course_and_the_platform_gets_a_signed_link(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    course = CourseFactory(title="Discovery calls", summary="Ask before you pitch.")
    CourseFactory(title="Unfinished draft", status=PublishStatus.DRAFT)
    url = _picker_url(client, platform_server)

    picker = client.get(url)
    body = picker.content.decode()
    assert picker.status_code == 200
    assert "Discovery calls" in body and "Ask before you pitch." in body
    assert "Unfinished draft" not in body
    policy = picker["Content-Security-Policy"]
    assert f"frame-ancestors {platform_server.url}" in policy
    assert f"form-action 'self' {platform_server.url}" in policy
    assert "X-Frame-Options" not in picker

    answer = client.post(url, {"course": course.slug})
    assert answer.status_code == 200
    action, response_jwt = _form(answer.content.decode())
    assert action == platform_server.deep_link_return_url
    platform_server.tool_jwks = client.get("/lti/jwks/").json()
    claims = platform_server.deep_linking_response_claims(response_jwt)
    assert claims["aud"] == [platform_server.issuer]
    assert claims["iss"] == CLIENT_ID
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "deployment_id"] == DEPLOYMENT_ID
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "platform-opaque-data"
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] == [
        {
            "type": "ltiResourceLink",
            "title": "Discovery calls",
            "url": "http://testserver/lti/launch/",
            "custom": {"course": course.slug},
            "lineItem": {
                "scoreMaximum": 100,
                "label": "Discovery calls",
                "resourceId": course.slug,
            },
        }
    ]
    assert not LtiLaunch.objects.exists()  # picking signs nobody in
    assert "_auth_user_id" not in client.session


def test_the_picker_answers_once(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    course = CourseFactory()
    url = _picker_url(client, platform_server)
    assert client.post(url, {"course": course.slug}).status_code == 200
    again = client.post(url, {"course": course.slug})
    assert again.status_code == 404
    assert "expired or was answered already" in again.content.decode()


def test_a_course_that_is_not_published_is_refused_and_the_choice_stays_open(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    draft = CourseFactory(status=PublishStatus.DRAFT)
    url = _picker_url(client, platform_server)
    for choice in ({"course": draft.slug}, {}):
        refused = client.post(url, choice)
        assert refused.status_code == 400
        assert "Choose one of the published courses." in refused.content.decode()
        assert 'name="JWT"' not in refused.content.decode()
    course = CourseFactory()
    assert client.post(url, {"course": course.slug}).status_code == 200


def test_a_learner_cannot_pick_courses(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    response = _deep_link_request(
        client,
        platform_server,
        **{CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]},
    )
    assert response.status_code == 403
    assert "Only teachers and course designers" in response.content.decode()


def test_a_replayed_deep_linking_request_is_refused(
    client: Client, platform_server: FakePlatform, registered: LtiPlatform
) -> None:
    params = lti_login(client, platform_server)
    id_token = platform_server.id_token(
        nonce=params["nonce"], **platform_server.deep_linking_claims()
    )
    form = {"id_token": id_token, "state": params["state"]}
    assert client.post("/lti/launch/", form).status_code == 302
    replay = client.post("/lti/launch/", form)
    assert replay.status_code == 403
    assert "This launch was used already" in replay.content.decode()


def test_an_unknown_picker_is_not_found(client: Client) -> None:
    response = client.get("/lti/deep-link/lti1p3-launch-made-up/")
    assert response.status_code == 404
    assert "expired or was answered already" in response.content.decode()


@pytest.mark.parametrize("courses", [2, 12])
def test_the_picker_reads_the_registration_and_the_courses_in_two_queries(
    client: Client,
    platform_server: FakePlatform,
    registered: LtiPlatform,
    courses: int,
    django_assert_num_queries: Any,
) -> None:
    CourseFactory.create_batch(courses)
    url = _picker_url(client, platform_server)
    with django_assert_num_queries(2):
        page = client.get(url)
    assert page.content.decode().count('name="course"') == courses
