"""Reads for the notification centre, the bell and the settings page."""

import datetime as dt
from dataclasses import dataclass

from accounts.models import User
from notifications.kinds import Channel, Kind, Text, channel_default, notification_text
from notifications.models import Notification, NotificationAddress, NotificationPreference

CENTRE_SIZE = 50


def unread_count(*, user: User) -> int:
    """One query (a partial index covers it)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True, is_shown=True).count()


@dataclass(frozen=True)
class NotificationItem:
    notification: Notification
    text: Text

    @property
    def is_unread(self) -> bool:
        return self.notification.read_at is None


def notification_list(*, user: User, limit: int = CENTRE_SIZE) -> list[NotificationItem]:
    """The newest notifications shown in the app, with their text. One query."""
    rows = Notification.objects.filter(recipient=user, is_shown=True).order_by(
        "-created_at", "-pk"
    )[:limit]
    return [NotificationItem(n, notification_text(kind=n.kind, params=n.params)) for n in rows]


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    cells: list[tuple[str, str, bool]]  # (channel, field name, is on)


def preference_matrix(*, user: User) -> list[PreferenceRow]:
    """Every kind × channel with the person's choice or the default. One query."""
    stored = {
        (kind, channel): enabled
        for kind, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
            "kind", "channel", "is_enabled"
        )
    }
    return [
        PreferenceRow(
            kind=kind.value,
            label=str(kind.label),
            cells=[
                (
                    channel.value,
                    f"{kind.value}:{channel.value}",
                    stored.get(
                        (kind.value, channel.value),
                        channel_default(kind=kind.value, channel=channel.value),
                    ),
                )
                for channel in Channel
            ],
        )
        for kind in Kind
    ]


def teams_webhook_for(*, user: User) -> str:
    address = NotificationAddress.objects.filter(user=user).first()
    return address.teams_webhook_url if address else ""


def channel_wanted(*, user: User, kind: str, channel: str) -> bool:
    """Does this person want `kind` on `channel` (their choice, else the default)? One query."""
    stored = (
        NotificationPreference.objects.filter(user=user, kind=kind, channel=channel)
        .values_list("is_enabled", flat=True)
        .first()
    )
    return channel_default(kind=kind, channel=channel) if stored is None else stored


def notification_sent_since(*, recipient: User, kind: str, url: str, since: dt.datetime) -> bool:
    """Was `recipient` told about `url` with this kind since then? One query."""
    return Notification.objects.filter(
        recipient=recipient, kind=kind, url=url, created_at__gte=since
    ).exists()
