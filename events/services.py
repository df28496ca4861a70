"""Events out: record one delivery per interested subscriber, then send them, signed, after commit.

Other apps call `event_emit` inside their own write transaction; if that transaction rolls back,
no delivery exists and nothing is sent. Sending happens in Celery (`events.tasks`), never in the
caller's request.
"""

import datetime as dt
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.encryption import secret_decrypt
from core.http_client import http_client_shared
from core.outbox import outbox_enqueue
from core.retry import Backoff, retry_after_seconds
from events.destinations import (
    DestinationRefused,
    destination_address,
    destination_pinned,
    private_networks_allowed,
)
from events.models import DeliveryStatus, EventType, WebhookDelivery, WebhookSubscription
from events.schemas import event_example
from events.signing import SIGNATURE_HEADER, signature_header

# Attempt n (1-based) failed transiently: wait a random time up to BACKOFF_BASE * 2**(n-1), at
# most BACKOFF_CAP (core.retry: full jitter). With 10 attempts the last one comes on average
# about 4 hours (at most 8.5) after the first, which rides out an ordinary outage of a
# subscriber without retrying forever.
MAX_ATTEMPTS = 10
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)
BACKOFF = Backoff(base=BACKOFF_BASE.total_seconds(), cap=BACKOFF_CAP.total_seconds())
# Longer than the request timeout: a worker that dies mid-request loses its claim after this.
CLAIM_FOR = dt.timedelta(minutes=2)
REQUEST_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Statuses worth retrying: the subscriber is overloaded, down or timing out, not refusing us.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_DEFAULT_PORTS = {"https": 443, "http": 80}


def event_emit(*, event_type: str, payload: dict[str, Any]) -> None:
    """Queue `event_type` for every active subscriber that wants it.

    Call it inside the write that caused the event: deliveries are rows in the same transaction
    and are sent only after it commits. Costs one query when nobody subscribes, two otherwise.
    `payload` must be JSON-serialisable (dates, decimals and UUIDs are converted).
    """
    if event_type not in EventType.values:
        raise ValueError(f"Unknown event type {event_type!r}")
    subscribers = [
        sub
        for sub in WebhookSubscription.objects.filter(is_active=True).only("pk", "event_types")
        if event_type in sub.event_types
    ]
    if not subscribers:
        return
    event_id = uuid.uuid4()
    body = json.dumps(
        {
            "id": str(event_id),
            "type": event_type,
            "created_at": timezone.now().isoformat(),
            "data": payload,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(subscription=sub, event_id=event_id, event_type=event_type, body=body)
            for sub in subscribers
        )
        for delivery in deliveries:
            outbox_enqueue(task="events.tasks.deliver_webhook", args=[delivery.pk])


def retry_delay(*, attempts: int, retry_after: float | None = None) -> dt.timedelta:
    """Wait before the next attempt, after `attempts` failed ones: exponential, jittered, capped,
    and not before the subscriber's Retry-After."""
    return dt.timedelta(seconds=BACKOFF.wait(attempts, retry_after=retry_after))


@dataclass(frozen=True)
class AttemptOutcome:
    status: DeliveryStatus
    next_attempt_at: dt.datetime | None


def webhook_delivery_attempt(
    *, delivery_id: int, client: httpx.Client | None = None
) -> AttemptOutcome | None:
    """Send one delivery once, if it is due and nobody else holds it. Safe to call twice.

    Returns None when there was nothing to do (already sent, given up, not due, or claimed by
    another worker); otherwise what happened and, for a transient failure, when to try again.
    """
    delivery = _delivery_claim(delivery_id=delivery_id, now=timezone.now())
    if delivery is None:
        return None
    subscription = delivery.subscription
    if not subscription.is_active:
        return _finish(delivery, DeliveryStatus.FAILED, error=_("The subscription is paused."))

    body = delivery.body.encode()
    headers = _delivery_headers(delivery, body=body)
    try:
        url, extensions = destination_pinned(httpx.URL(subscription.url), headers)
    except DestinationRefused as exc:
        return _finish(delivery, DeliveryStatus.FAILED, error=str(exc))
    except OSError as exc:  # DNS is down or the name is gone: worth another try
        return _finish_transient(delivery, code=None, error=_short_error(exc))
    # Pooled, keep-alive between deliveries; one pool per subscriber host, so that a connection
    # whose certificate was checked for one host never carries another host's delivery (two
    # hosts may share the address connected to above).
    http = client or http_client_shared(key=httpx.URL(subscription.url).host)
    try:
        response = http.post(
            url, content=body, headers=headers, extensions=extensions, timeout=REQUEST_TIMEOUT
        )
    except httpx.HTTPError as exc:
        return _finish_transient(delivery, code=None, error=_short_error(exc))

    if 200 <= response.status_code < 300:
        return _finish(delivery, DeliveryStatus.SUCCEEDED, code=response.status_code)
    error = f"HTTP {response.status_code}"
    if response.status_code in TRANSIENT_STATUSES:
        return _finish_transient(
            delivery,
            code=response.status_code,
            error=error,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    # Anything else (a 3xx, 400, 401, 404, 410…) will not change by sending the same bytes again.
    return _finish(delivery, DeliveryStatus.FAILED, code=response.status_code, error=error)


# Claim and load in one statement (one database round trip instead of two): the conditional
# UPDATE decides who sends (of two workers handed the same id, only one matches the WHERE), and
# its RETURNING hands back the row as claimed with the subscription's three columns the send
# needs. PostgreSQL and SQLite (3.35+) both take UPDATE … RETURNING with scalar subqueries.
_CLAIM_SQL = """
UPDATE events_webhookdelivery SET claimed_until = %s, attempts = attempts + 1
WHERE id = %s AND status = %s
  AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
  AND (claimed_until IS NULL OR claimed_until < %s)
RETURNING id, subscription_id, event_id, event_type, body, status, attempts,
  (SELECT s.url FROM events_webhooksubscription s
    WHERE s.id = events_webhookdelivery.subscription_id) AS sub_url,
  (SELECT s.secret FROM events_webhooksubscription s
    WHERE s.id = events_webhookdelivery.subscription_id) AS sub_secret,
  (SELECT s.is_active FROM events_webhooksubscription s
    WHERE s.id = events_webhookdelivery.subscription_id) AS sub_is_active
"""


def _delivery_claim(*, delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    """The delivery, claimed for CLAIM_FOR with its attempt counted, and its subscription; None
    if it is not pending, not due, or held by another worker."""
    # Raw SQL gets its datetimes as the ORM would pass them (SQLite stores naive UTC text).
    at = connection.ops.adapt_datetimefield_value
    claimed = list(
        WebhookDelivery.objects.raw(
            _CLAIM_SQL,
            [at(now + CLAIM_FOR), delivery_id, DeliveryStatus.PENDING.value, at(now), at(now)],
        )
    )
    if not claimed:
        return None
    delivery = claimed[0]
    delivery.subscription = WebhookSubscription(
        pk=delivery.subscription_id,
        url=delivery.sub_url,  # type: ignore[attr-defined]  # RETURNING columns
        secret=secret_decrypt(delivery.sub_secret),  # type: ignore[attr-defined]
        is_active=bool(delivery.sub_is_active),  # type: ignore[attr-defined]  # SQLite: 0 or 1
    )
    return delivery


def _delivery_headers(delivery: WebhookDelivery, *, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Coachline-Webhooks/1",
        "X-Coachline-Event": delivery.event_type,
        "X-Coachline-Delivery": str(delivery.pk),
        "X-Coachline-Event-Id": str(delivery.event_id),
        SIGNATURE_HEADER: signature_header(
            secret=delivery.subscription.secret, timestamp=int(time.time()), body=body
        ),
    }


def _finish_transient(
    delivery: WebhookDelivery, *, code: int | None, error: str, retry_after: float | None = None
) -> AttemptOutcome:
    if delivery.attempts >= MAX_ATTEMPTS:
        return _finish(delivery, DeliveryStatus.FAILED, code=code, error=error)
    next_at = timezone.now() + retry_delay(attempts=delivery.attempts, retry_after=retry_after)
    return _finish(delivery, DeliveryStatus.PENDING, code=code, error=error, next_at=next_at)


def _finish(
    delivery: WebhookDelivery,
    status: DeliveryStatus,
    *,
    code: int | None = None,
    error: str = "",
    next_at: dt.datetime | None = None,
) -> AttemptOutcome:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        response_code=code,
        last_error=error[:500],
        next_attempt_at=next_at,
        claimed_until=None,
        delivered_at=timezone.now() if status == DeliveryStatus.SUCCEEDED else None,
    )
    return AttemptOutcome(status=status, next_attempt_at=next_at)


def _short_error(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:500]


def deliveries_overdue_ids(
    *, overdue_by: dt.timedelta = dt.timedelta(minutes=5), limit: int = 500
) -> list[int]:
    """Pending deliveries whose queued task should have run a while ago (lost with a worker)."""
    now = timezone.now()
    cutoff = now - overdue_by
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(
            Q(next_attempt_at__isnull=True, created_at__lte=cutoff) | Q(next_attempt_at__lte=cutoff)
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# The delivery log keeps a month: long enough to investigate, short enough to stay small.
KEEP_DELIVERIES = dt.timedelta(days=30)


def deliveries_prune() -> int:
    """Forget finished deliveries older than KEEP_DELIVERIES; pending ones stay."""
    cutoff = timezone.now() - KEEP_DELIVERIES
    deleted, _by_model = (
        WebhookDelivery.objects.filter(created_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .delete()
    )
    return deleted


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> None:
    """An admin asks to send a failed delivery again: a fresh round of attempts, same bytes."""
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.FAILED
        ).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=None,
            claimed_until=None,
            last_error="",
        )
        if updated:
            outbox_enqueue(task="events.tasks.deliver_webhook", args=[delivery.pk])


def _validate_subscription(*, url: str, event_types: list[str]) -> None:
    errors: dict[str, str] = {}
    parsed = httpx.URL(url) if url else None
    allowed_schemes = ("https", "http") if settings.DEBUG else ("https",)
    if parsed is None or parsed.scheme not in allowed_schemes or not parsed.host:
        errors["url"] = (
            _("Enter an http(s) URL.") if settings.DEBUG else _("Enter an https:// URL.")
        )
    elif not private_networks_allowed():
        try:
            destination_address(host=parsed.host, port=parsed.port or _DEFAULT_PORTS[parsed.scheme])
        except DestinationRefused as exc:
            errors["url"] = str(exc)
        except OSError:
            # Not resolvable today (a receiver being set up): every delivery checks again.
            pass
    unknown = sorted(set(event_types) - set(EventType.values))
    if not event_types:
        errors["event_types"] = _("Choose at least one event type.")
    elif unknown:
        errors["event_types"] = _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}
    if errors:
        raise ValidationError(errors)


def webhook_subscription_create(
    *, name: str, url: str, event_types: list[str], created_by_id: int | None = None
) -> WebhookSubscription:
    """A new subscriber with a fresh random signing secret (shown to the admin to copy)."""
    _validate_subscription(url=url, event_types=event_types)
    return WebhookSubscription.objects.create(
        name=name,
        url=url,
        event_types=sorted(set(event_types)),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by_id=created_by_id,
    )


def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    name: str,
    url: str,
    event_types: list[str],
    is_active: bool,
) -> WebhookSubscription:
    _validate_subscription(url=url, event_types=event_types)
    subscription.name = name
    subscription.url = url
    subscription.event_types = sorted(set(event_types))
    subscription.is_active = is_active
    subscription.save(update_fields=["name", "url", "event_types", "is_active", "updated_at"])
    return subscription


def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    subscription.secret = "whsec_" + secrets.token_urlsafe(32)
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription.secret


def webhook_test_event_send(
    *, subscription: WebhookSubscription, event_type: str
) -> WebhookDelivery:
    """An admin's "Send test event": the example of `event_type` (events.schemas), marked
    `"test": true`, to this one subscriber; signed, logged and retried like any delivery."""
    if event_type not in EventType.values:
        raise ValidationError({"event_type": _("Unknown event type.")})
    event_id = uuid.uuid4()
    envelope = {
        **event_example(event_type),
        "id": str(event_id),
        "created_at": timezone.now().isoformat(),
        "test": True,
    }
    body = json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"))
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event_id=event_id, event_type=event_type, body=body
        )
        outbox_enqueue(task="events.tasks.deliver_webhook", args=[delivery.pk])
    return delivery
