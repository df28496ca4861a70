import datetime as dt
import email.utils
import json
import time
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from events.models import DeliveryStatus, EventType, WebhookDelivery
from events.services import (
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    event_emit,
    retry_delay,
    webhook_delivery_attempt,
    webhook_delivery_redeliver,
)
from events.signing import signature_verify
from events.tasks import send_due_deliveries
from tests.events.factories import WebhookSubscriptionFactory
from tests.fakes.server import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the block's on-commit callbacks as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def make_due(delivery: WebhookDelivery) -> None:
    """The retry time has come (instead of sleeping until it does)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_emit_without_subscribers_costs_one_query_and_writes_nothing(
    django_assert_num_queries,
):
    # Queries: the active subscriptions.
    with django_assert_num_queries(1):
        event_emit(event_type=EventType.COURSE_COMPLETED, payload={"course_id": 1})

    assert WebhookDelivery.objects.count() == 0


def test_emit_queues_one_delivery_per_interested_active_subscriber(subscriber, committed):
    wants = WebhookSubscriptionFactory(
        url=subscriber.url + "/a", event_types=["course.completed", "program.completed"]
    )
    WebhookSubscriptionFactory(url=subscriber.url + "/b", event_types=["program.completed"])
    WebhookSubscriptionFactory(
        url=subscriber.url + "/c", event_types=["course.completed"], is_active=False
    )

    with committed():
        event_emit(event_type="course.completed", payload={"course_id": 7})

    delivery = WebhookDelivery.objects.get()
    assert delivery.subscription == wants
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert [r.path for r in subscriber.requests] == ["/a"]


def test_deliveries_are_sent_only_after_the_callers_transaction_commits(
    subscriber, django_capture_on_commit_callbacks
):
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event_emit(event_type="course.completed", payload={"course_id": 7})

    assert len(callbacks) == 1
    assert subscriber.requests == []
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_a_rolled_back_write_emits_nothing(subscriber):
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])

    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit(event_type="course.completed", payload={"course_id": 7})
        raise RuntimeError("the caller's write failed")

    assert WebhookDelivery.objects.count() == 0
    assert subscriber.requests == []


def test_unknown_event_type_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown event type 'course.started'"):
        event_emit(event_type="course.started", payload={})


def test_delivery_is_signed_and_carries_the_envelope(subscriber, committed):
    sub = WebhookSubscriptionFactory(
        url=subscriber.url + "/hook", event_types=["coaching.session_completed"]
    )

    with committed():
        event_emit(
            event_type="coaching.session_completed",
            payload={
                "session_id": 3,
                "ended_at": dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC),
                "score": Decimal("4.5"),
            },
        )

    (request,) = subscriber.requests
    delivery = WebhookDelivery.objects.get()
    envelope = json.loads(request.body)
    assert envelope["id"] == str(delivery.event_id)
    assert envelope["type"] == "coaching.session_completed"
    assert envelope["data"] == {"session_id": 3, "ended_at": "2025-03-04T10:00:00Z", "score": "4.5"}
    assert request.headers["x-coachline-event"] == "coaching.session_completed"
    assert request.headers["x-coachline-event-id"] == str(delivery.event_id)
    assert request.headers["content-type"] == "application/json"
    assert signature_verify(
        secret=sub.secret,
        header=request.headers["x-coachline-signature"],
        body=request.body,
        now=time.time(),
    )
    assert not signature_verify(
        secret="whsec_wrong",
        header=request.headers["x-coachline-signature"],
        body=request.body,
        now=time.time(),
    )


def test_a_delivery_costs_two_queries_and_a_second_attempt_one(
    subscriber, django_capture_on_commit_callbacks, django_assert_num_queries
):
    sub = WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    with django_capture_on_commit_callbacks(execute=False):
        event_emit(event_type="course.completed", payload={"course_id": 7})
    delivery = WebhookDelivery.objects.get()

    # Queries: claim the delivery and load it with its subscription (one UPDATE … RETURNING);
    # record the outcome.
    with django_assert_num_queries(2):
        outcome = webhook_delivery_attempt(delivery_id=delivery.pk)
    # Queries: the claim, which matches nothing: the delivery is no longer pending.
    with django_assert_num_queries(1):
        again = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert outcome is not None and outcome.status == DeliveryStatus.SUCCEEDED
    assert again is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_until) == ("succeeded", 1, None)
    (request,) = subscriber.requests
    # Signed with the subscription's secret as loaded by the claim (decrypted).
    assert signature_verify(
        secret=sub.secret,
        header=request.headers["x-coachline-signature"],
        body=request.body,
        now=time.time(),
    )
    assert request.headers["x-coachline-delivery"] == str(delivery.pk)


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(subscriber):
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    event_emit(event_type="course.completed", payload={"course_id": 7})
    delivery = WebhookDelivery.objects.get()
    held = timezone.now() + dt.timedelta(minutes=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_until=held)

    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_until) == ("pending", 0, held)
    assert subscriber.requests == []


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408])
def test_transient_failure_is_retried_later_with_the_same_bytes(
    subscriber, status, committed, monkeypatch
):
    monkeypatch.setattr("core.retry.random.random", lambda: 0.9)  # the jitter: 54 s of 60
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    subscriber.fail_next(Reply(status, {"error": "busy"}))

    with committed():
        event_emit(event_type="course.completed", payload={"course_id": 7})

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.response_code == status
    assert delivery.last_error == f"HTTP {status}"
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)

    # Not due yet: a second task for the same delivery does nothing.
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    make_due(delivery)
    outcome = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert outcome is not None and outcome.status == DeliveryStatus.SUCCEEDED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 2, 200)
    assert delivery.delivered_at is not None
    assert subscriber.requests[0].body == subscriber.requests[1].body


def test_retry_after_from_the_subscriber_is_respected(subscriber, committed):
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    subscriber.fail_next(Reply(429, {}, headers={"Retry-After": "900"}))

    with committed():
        event_emit(event_type="course.completed", payload={})

    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at >= timezone.now() + dt.timedelta(seconds=890)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_permanent_failure_is_not_retried(subscriber, status, committed):
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    subscriber.fail_next(Reply(status, {"error": "no"}))

    with committed():
        event_emit(event_type="course.completed", payload={})

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, status)
    assert delivery.next_attempt_at is None
    make_due(delivery)
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert len(subscriber.requests) == 1


def test_unreachable_subscriber_is_a_transient_failure(committed):
    # Port 9 on loopback: nothing listens there, the connection is refused at once.
    WebhookSubscriptionFactory(url="http://127.0.0.1:9/hook", event_types=["course.completed"])

    with committed():
        event_emit(event_type="course.completed", payload={})

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.response_code is None
    assert delivery.last_error.startswith("ConnectError")


def test_gives_up_after_the_last_attempt(subscriber, committed):
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    subscriber.fail_next(Reply(503, {}), times=MAX_ATTEMPTS)
    with committed():
        event_emit(event_type="course.completed", payload={})
    delivery = WebhookDelivery.objects.get()

    for _ in range(MAX_ATTEMPTS - 1):
        make_due(delivery)
        webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(subscriber.requests) == MAX_ATTEMPTS


def test_a_paused_subscription_fails_its_pending_deliveries_without_sending(subscriber, committed):
    sub = WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    subscriber.fail_next(Reply(503, {}))
    with committed():
        event_emit(event_type="course.completed", payload={})
    sub.is_active = False
    sub.save()
    delivery = WebhookDelivery.objects.get()
    make_due(delivery)

    webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "The subscription is paused."
    assert len(subscriber.requests) == 1


def test_redeliver_sends_a_failed_delivery_again(subscriber, committed):
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    subscriber.fail_next(Reply(400, {}))
    with committed():
        event_emit(event_type="course.completed", payload={})
    delivery = WebhookDelivery.objects.get()

    with committed():
        webhook_delivery_redeliver(delivery=delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 200)
    assert len(subscriber.requests) == 2


def test_sweeper_requeues_deliveries_whose_task_was_lost(subscriber):
    sub = WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    lost = WebhookDelivery.objects.create(
        subscription=sub, event_id=uuid.uuid4(), event_type="course.completed", body="{}"
    )
    WebhookDelivery.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=10)
    )
    WebhookDelivery.objects.create(  # just queued, its task is still on its way
        subscription=sub, event_id=uuid.uuid4(), event_type="course.completed", body="{}"
    )

    sent = send_due_deliveries()

    assert sent == 1
    lost.refresh_from_db()
    assert lost.status == DeliveryStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("attempts", "high"),
    [(1, 60), (2, 120), (5, 960), (9, 15360), (10, 21600), (30, 21600)],
)
def test_retry_delay_is_fully_jittered_below_an_exponential_ceiling_and_capped(attempts, high):
    delays = [retry_delay(attempts=attempts).total_seconds() for _ in range(200)]

    assert all(0 <= delay <= high for delay in delays)
    assert max(delays) > high / 2  # jitter over the whole range, not a fixed delay
    assert max(delays) <= BACKOFF_CAP.total_seconds()


def test_retry_delay_honours_retry_after_up_to_the_cap():
    assert retry_delay(attempts=1, retry_after=900).total_seconds() == 900
    assert retry_delay(attempts=1, retry_after=10**9) == BACKOFF_CAP


def test_retry_after_as_an_http_date_is_respected(subscriber, committed):
    WebhookSubscriptionFactory(url=subscriber.url, event_types=["course.completed"])
    later = email.utils.format_datetime(timezone.now() + dt.timedelta(hours=1), usegmt=True)
    subscriber.fail_next(Reply(503, {}, headers={"Retry-After": later}))

    with committed():
        event_emit(event_type="course.completed", payload={})

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at >= timezone.now() + dt.timedelta(minutes=59)


@pytest.mark.parametrize("model", ["webhooksubscription", "webhookdelivery"])
def test_django_admin_lists_render(client, django_user_model, model):
    sub = WebhookSubscriptionFactory()
    WebhookDelivery.objects.create(
        subscription=sub, event_id=uuid.uuid4(), event_type="course.completed", body="{}"
    )
    superuser = django_user_model.objects.create_superuser("root@example.com", "pw", full_name="R")
    client.force_login(superuser)

    response = client.get(f"/admin/events/{model}/")

    assert response.status_code == 200


def test_the_sweeper_forgets_finished_deliveries_after_a_month():
    sub = WebhookSubscriptionFactory()

    def delivery(status, age_days):
        row = WebhookDelivery.objects.create(
            subscription=sub,
            event_id=uuid.uuid4(),
            event_type="course.completed",
            body="{}",
            status=status,
        )
        WebhookDelivery.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - dt.timedelta(days=age_days)
        )
        return row.pk

    old_done, old_failed = delivery("succeeded", 31), delivery("failed", 31)
    recent, old_pending = delivery("succeeded", 29), delivery("pending", 31)
    WebhookDelivery.objects.filter(pk=old_pending).update(
        next_attempt_at=timezone.now() + dt.timedelta(hours=1)
    )

    send_due_deliveries()

    remaining = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert remaining == {recent, old_pending}
    assert not remaining & {old_done, old_failed}
