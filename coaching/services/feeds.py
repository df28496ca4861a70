"""Private calendar feed addresses: created, rotated and revoked by their owner."""

import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from coaching.access import feed_token_hash
from coaching.models import CalendarFeed


def calendar_feed_rotate(*, user: User) -> str:
    """Revoke the user's live feed (if any) and make a new one. Returns the raw token: shown
    once, stored only as a hash."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        calendar_feed_revoke(user=user)
        CalendarFeed.objects.create(
            user=user, token_hash=feed_token_hash(token), token_prefix=token[:8]
        )
    return token


def calendar_feed_revoke(*, user: User) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def calendar_feed_touch(*, feed: CalendarFeed) -> None:
    """Record that a calendar fetched the feed (at most once a minute: calendars poll)."""
    now = timezone.now()
    if feed.last_used_at is None or (now - feed.last_used_at).total_seconds() > 60:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        feed.last_used_at = now
