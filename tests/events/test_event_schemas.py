"""Every event sent to subscribers has a JSON Schema, published at a stable URL and in the
OpenAPI document's `webhooks`; every payload the code emits validates against it (with
undocumented members refused), and so do the examples and the "send test event" deliveries."""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from coaching.models import SessionStatus
from coaching.services.post_mortems import commitment_check
from coaching.services.sessions import session_complete
from events.models import EventType, WebhookDelivery
from events.schemas import event_example, event_schema, event_schema_strict
from tests.coaching.factories import CommitmentFactory, SessionFactory
from tests.events.factories import WebhookSubscriptionFactory
from tests.training.factories import CompletionFactory, CourseFactory, program_with
from training.services.learning import completion_events_emit

pytestmark = pytest.mark.django_db

ALL_TYPES = list(EventType.values)


def _valid(event_type: str, body: dict[str, Any]) -> None:
    validator = Draft202012Validator(
        event_schema_strict(event_type), format_checker=FormatChecker()
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def _emitted(event_type: str) -> dict[str, Any]:
    (delivery,) = WebhookDelivery.objects.filter(event_type=event_type)
    return json.loads(delivery.body)


@pytest.fixture(autouse=True)
def _everyone_subscribes() -> None:
    WebhookSubscriptionFactory(event_types=ALL_TYPES)


@pytest.mark.parametrize("score", [Decimal("87.50"), None])
def test_course_and_program_completed_payloads_match_their_schemas(cast, score):
    course = CourseFactory()
    program_with(course)

    completion_events_emit(completion=CompletionFactory(user=cast.rep, course=course, score=score))

    _valid("course.completed", _emitted("course.completed"))
    _valid("program.completed", _emitted("program.completed"))


@pytest.mark.parametrize("with_deal", [True, False])
def test_session_completed_payload_matches_its_schema(cast, with_deal):
    from tests.deals.factories import DealFactory

    start = timezone.now() - dt.timedelta(hours=2)
    session = SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        start=start,
        end=start + dt.timedelta(hours=1),
        deal=DealFactory(owner=cast.rep) if with_deal else None,
    )

    session_complete(session=session, by=cast.coach, status=SessionStatus.COMPLETED, notes="")

    _valid("coaching.session_completed", _emitted("coaching.session_completed"))


def test_commitment_checked_payload_matches_its_schema(cast):
    commitment = CommitmentFactory(
        post_mortem__session__coach=cast.coach, post_mortem__session__rep=cast.rep
    )

    assert commitment_check(commitment_id=commitment.pk, today=dt.date(2025, 4, 1))

    payload = _emitted("coaching.commitment_checked")
    assert payload["data"]["status"] == "no_data"
    _valid("coaching.commitment_checked", payload)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_each_schema_is_valid_json_schema_and_its_example_validates(event_type):
    schema = event_schema(event_type)

    Draft202012Validator.check_schema(schema)
    assert schema["examples"] == [event_example(event_type)]
    _valid(event_type, event_example(event_type))


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_each_schema_is_published_at_a_stable_url(event_type, client):
    response = client.get(f"/api/v1/events/schemas/{event_type}.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    body = json.loads(response.content)
    assert body["$id"] == f"http://testserver/api/v1/events/schemas/{event_type}.json"
    assert {k: v for k, v in body.items() if k != "$id"} == json.loads(
        json.dumps(event_schema(event_type))
    )


def test_the_schema_index_lists_every_event(client):
    response = client.get("/api/v1/events/schemas/")

    assert response.json() == {
        t: f"http://testserver/api/v1/events/schemas/{t}.json" for t in ALL_TYPES
    }
    assert client.get("/api/v1/events/schemas/course.started.json").status_code == 404


def test_the_openapi_document_describes_every_event_as_a_webhook(client):
    document = client.get("/api/schema/?format=json").json()

    assert document["openapi"] == "3.1.0"
    assert sorted(document["webhooks"]) == sorted(ALL_TYPES)
    body = document["webhooks"]["course.completed"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["properties"]["type"] == {
        "const": "course.completed"
    }


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_send_test_event_queues_the_example_marked_as_a_test(event_type, cast, client):
    sub = WebhookSubscriptionFactory(event_types=["course.completed"])
    client.force_login(cast.admin)

    response = client.post(f"/integrations/webhooks/{sub.pk}/send-test", {"event_type": event_type})

    assert response.status_code == 302
    (delivery,) = WebhookDelivery.objects.filter(subscription=sub)
    body = json.loads(delivery.body)
    assert (delivery.event_type, body["test"], body["data"]) == (
        event_type,
        True,
        event_example(event_type)["data"],
    )
    _valid(event_type, body)


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader"])
def test_only_admins_send_test_events(who, cast, client):
    sub = WebhookSubscriptionFactory()
    client.force_login(cast[who])

    response = client.post(
        f"/integrations/webhooks/{sub.pk}/send-test", {"event_type": "course.completed"}
    )

    assert response.status_code == 404
    assert not WebhookDelivery.objects.filter(subscription=sub).exists()


def test_an_unknown_test_event_type_sends_nothing(cast, client):
    sub = WebhookSubscriptionFactory()
    client.force_login(cast.admin)

    client.post(f"/integrations/webhooks/{sub.pk}/send-test", {"event_type": "nope"})

    assert not WebhookDelivery.objects.filter(subscription=sub).exists()
