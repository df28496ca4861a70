"""The one write path for notifications.

`notify` is called by other apps' services inside their own transaction: it writes the in-app
rows and one delivery row per outside channel each person chose, and queues one task through the
outbox (core.outbox), so nothing goes out unless the change it reports committed, and nothing is
lost when the broker is down at that moment.

`delivery_send` sends one delivery. It is safe to run twice or in two workers at once: a sender
claims the row with a conditional UPDATE and a lease; transient failures come back with capped
backoff, permanent ones are recorded and given up.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.outbox import outbox_enqueue
from core.retry import Backoff
from notifications.channels import Message, PermanentError, TransientError
from notifications.channels.email import email_send
from notifications.channels.slack import slack_is_configured, slack_send, slack_user_id_lookup
from notifications.channels.teams import teams_send, teams_url_problem
from notifications.kinds import Channel, Kind, channel_default, notification_text
from notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationAddress,
    NotificationDelivery,
    NotificationPreference,
)

log = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 6
NOTE_MAX_LENGTH = 500


def _channels_for(
    *, users: Sequence[User], kind: str, addresses: dict[int, NotificationAddress]
) -> dict[int, set[str]]:
    """Each person's channels for `kind`: their stored choices over the defaults, minus channels
    that cannot reach them (Slack without a bot token, Teams without a webhook). One query."""
    stored = {
        (user_id, channel): enabled
        for user_id, channel, enabled in NotificationPreference.objects.filter(
            user__in=[u.pk for u in users], kind=kind
        ).values_list("user_id", "channel", "is_enabled")
    }
    out: dict[int, set[str]] = {}
    for user in users:
        chosen = {
            channel
            for channel in Channel.values
            if stored.get((user.pk, channel), channel_default(kind=kind, channel=channel))
        }
        if not slack_is_configured():
            chosen.discard(Channel.SLACK)
        address = addresses.get(user.pk)
        if address is None or not address.teams_webhook_url:
            chosen.discard(Channel.TEAMS)
        if not user.email:
            chosen.discard(Channel.EMAIL)
        out[user.pk] = chosen
    return out


def notify(
    *,
    recipients: Iterable[User],
    kind: Kind,
    params: dict[str, str],
    url: str = "",
    actor: User | None = None,
    own_email: bool = False,
) -> list[Notification]:
    """Tell each active recipient (never the actor themself) about something that just happened.

    Call it inside the transaction of the change it reports. `url` is a path on this site.
    `own_email`: the caller sends a richer email of its own (a calendar invite, a commitment's
    measurements) to those who want email for this kind (`channel_wanted`); no second one.
    Queries: preferences, addresses, the notification rows, the delivery rows, the outbox row.
    """
    if url and (not url.startswith("/") or url.startswith("//")):
        raise ValueError("a notification links to a path on this site")
    people = {u.pk: u for u in recipients if u.is_active and (actor is None or u.pk != actor.pk)}
    if not people:
        return []
    users = list(people.values())
    addresses = {a.user_id: a for a in NotificationAddress.objects.filter(user__in=list(people))}
    channels = _channels_for(users=users, kind=kind, addresses=addresses)
    if own_email:
        for chosen in channels.values():
            chosen.discard(Channel.EMAIL)
    clean = {k: str(v).replace("\x00", "")[:NOTE_MAX_LENGTH] for k, v in params.items()}
    now = timezone.now()
    with transaction.atomic():
        rows = Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    kind=kind,
                    actor=actor,
                    params=clean,
                    url=url,
                    is_shown=Channel.IN_APP in channels[user.pk],
                    created_at=now,
                )
                for user in users
            ]
        )
        deliveries = NotificationDelivery.objects.bulk_create(
            [
                NotificationDelivery(notification=row, channel=channel, next_attempt_at=now)
                for row in rows
                for channel in sorted(channels[row.recipient_id] - {Channel.IN_APP})
            ]
        )
        if deliveries:
            outbox_enqueue(
                task="notifications.tasks.send_deliveries", args=[[d.pk for d in deliveries]]
            )
    return rows


def _claim(*, delivery_id: int, now: dt.datetime) -> bool:
    return bool(
        NotificationDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)
        )
        .update(
            status=DeliveryStatus.SENDING,
            claimed_until=now + CLAIM_LEASE,
        )
    )


# core.retry's rule: full jitter under a ceiling of 1, 2, 4, 8, 16 minutes, never over an hour,
# and at least what the service asked for in Retry-After.
BACKOFF = Backoff(base=60.0, cap=3600.0)


# Full jitter can draw a wait near zero; a mail server or chat service that just failed gets at
# least this long before the next try.
MIN_RETRY_SECONDS = 30.0


def retry_delay(*, attempts: int, retry_after: float | None = None) -> dt.timedelta:
    wait = BACKOFF.wait(attempts, retry_after=retry_after)
    return dt.timedelta(seconds=max(MIN_RETRY_SECONDS, wait))


def message_for(*, notification: Notification) -> Message:
    """The notification as its recipient reads it, in their language."""
    with translation.override(notification.recipient.message_language):
        text = notification_text(kind=notification.kind, params=notification.params)
        label = _("Open in Coachline")
    url = f"{settings.SITE_URL}{notification.url}" if notification.url else ""
    return Message(title=text.title, body=text.body, url=url, link_label=label)


@dataclass(frozen=True)
class SendOutcome:
    status: str
    next_attempt_at: dt.datetime | None = None


def delivery_send(*, delivery_id: int) -> SendOutcome | None:
    """Send one delivery if it is due and nobody else is sending it. Returns None when there was
    nothing to do (already sent, failed for good, or claimed elsewhere)."""
    now = timezone.now()
    if not _claim(delivery_id=delivery_id, now=now):
        return None
    delivery = NotificationDelivery.objects.select_related(
        "notification", "notification__recipient"
    ).get(pk=delivery_id)
    recipient = delivery.notification.recipient
    message = message_for(notification=delivery.notification)
    attempts = delivery.attempts + 1
    try:
        if not recipient.is_active:
            raise PermanentError("recipient is no longer active")
        if delivery.channel == Channel.EMAIL:
            email_send(to=recipient.email, message=message)
        elif delivery.channel == Channel.SLACK:
            slack_send(slack_user_id=_slack_user_id(recipient), message=message)
        elif delivery.channel == Channel.TEAMS:
            address = NotificationAddress.objects.filter(user=recipient).first()
            if address is None or not address.teams_webhook_url:
                raise PermanentError("no Teams webhook set")
            teams_send(webhook_url=address.teams_webhook_url, message=message)
        else:
            raise PermanentError(f"unknown channel {delivery.channel}")
    except TransientError as exc:
        if attempts >= MAX_ATTEMPTS:
            return _finish(delivery, DeliveryStatus.FAILED, attempts, str(exc))
        next_at = now + retry_delay(attempts=attempts, retry_after=exc.retry_after)
        NotificationDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING,
            attempts=attempts,
            claimed_until=None,
            next_attempt_at=next_at,
            last_error=str(exc)[:300],
        )
        return SendOutcome(DeliveryStatus.PENDING, next_at)
    except PermanentError as exc:
        log.warning("notification delivery %s failed for good: %s", delivery.pk, exc)
        return _finish(delivery, DeliveryStatus.FAILED, attempts, str(exc))
    return _finish(delivery, DeliveryStatus.SENT, attempts, "")


def _finish(delivery: NotificationDelivery, status: str, attempts: int, error: str) -> SendOutcome:
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=attempts,
        claimed_until=None,
        next_attempt_at=None,
        sent_at=timezone.now() if status == DeliveryStatus.SENT else None,
        last_error=error[:300],
    )
    return SendOutcome(status)


def _slack_user_id(user: User) -> str:
    address, _created = NotificationAddress.objects.get_or_create(user=user)
    if not address.slack_user_id:
        address.slack_user_id = slack_user_id_lookup(email=user.email)
        NotificationAddress.objects.filter(pk=address.pk).update(
            slack_user_id=address.slack_user_id
        )
    return address.slack_user_id


def deliveries_due_ids(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose task was lost or whose retry time has come (the beat sweep)."""
    now = now or timezone.now()
    return list(
        NotificationDelivery.objects.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def notifications_mark_read(*, user: User, notification_ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when no ids are given)."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    return rows.update(read_at=timezone.now())


def preferences_set(*, user: User, enabled: set[tuple[str, str]]) -> None:
    """Store the person's whole choice: (kind, channel) pairs in `enabled` are on, all others off.
    Only rows that differ from the default are kept."""
    wanted = {
        (kind, channel): (kind, channel) in enabled
        for kind in Kind.values
        for channel in Channel.values
    }
    with transaction.atomic():
        NotificationPreference.objects.filter(user=user).delete()
        NotificationPreference.objects.bulk_create(
            [
                NotificationPreference(user=user, kind=kind, channel=channel, is_enabled=on)
                for (kind, channel), on in wanted.items()
                if on != channel_default(kind=kind, channel=channel)
            ]
        )


def teams_webhook_set(*, user: User, url: str) -> None:
    url = url.strip()
    if url and teams_url_problem(url) is not None:
        raise ValidationError(
            {
                "teams_webhook_url": [
                    _(
                        "Paste the incoming webhook or Workflows URL Teams gave you "
                        "(https://…webhook.office.com/… or …logic.azure.com/…)."
                    )
                ]
            }
        )
    address, _created = NotificationAddress.objects.get_or_create(user=user)
    address.teams_webhook_url = url
    address.save(update_fields=["teams_webhook_url"])
