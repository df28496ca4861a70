"""Transactional outbox: tasks queued by a write are stored in the write's own transaction and
published to the broker after it commits.

Why: `transaction.on_commit(lambda: task.delay(...))` loses the task when the broker is down at
that moment (the request answers 500 although its data committed, and nothing ever sends the
invite or runs the job), or when the process dies between the commit and the publish.

The contract:
- `outbox_enqueue` writes an `OutboxMessage` row; it commits or rolls back with the caller's data.
- After commit the row is published at once (`outbox_relay`); a broker error is logged, never
  raised, and the row stays pending. Connecting to a dead Redis takes seconds (the client
  retries with backoff), so after a failure this process stops trying after commit for
  BROKER_PAUSE and leaves new rows to the sweep: one slow request per process per outage.
- Beat runs `core.tasks.relay_outbox` every minute: it publishes every pending row whose claim
  has expired, so a message is sent at least once as soon as the broker is back.
- A relay claims a row with a conditional UPDATE (a short lease), publishes, then marks it
  published. A relay that dies between publish and mark lets the lease expire and the row is sent
  again: delivery is at least once, so every task sent through the outbox must be idempotent
  (they all are: they take ids and re-read state).
"""

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, Final

from celery import current_app
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# A relay publishes one message in well under a second; the lease only has to outlast that.
CLAIM_LEASE: Final = dt.timedelta(seconds=30)
# Published rows are kept this long for inspection, then deleted by the sweep.
KEEP_PUBLISHED: Final = dt.timedelta(days=2)
SWEEP_BATCH: Final = 500
BROKER_PAUSE: Final = 30.0  # seconds

# Until when (time.monotonic) this process leaves after-commit publishing to the sweep.
_broker_paused_until = 0.0


def outbox_enqueue(*, task: str, args: Sequence[Any] = ()) -> OutboxMessage:
    """Queue `task(*args)` to be sent after the current transaction commits (at least once).
    Call it inside the transaction that makes the change the task acts on."""
    message = OutboxMessage.objects.create(task=task, args=list(args))
    message_id = message.pk
    transaction.on_commit(lambda: _relay_after_commit(message_id))
    return message


def _relay_after_commit(message_id: int) -> None:
    if time.monotonic() < _broker_paused_until:
        return  # the broker failed moments ago; the sweep sends this once it is back
    outbox_relay(message_ids=[message_id])


def outbox_relay(*, message_ids: Iterable[int]) -> int:
    """Publish these messages if still pending and not claimed by another relay; returns how
    many were published. Never raises for a broker outage: the sweep retries."""
    global _broker_paused_until
    published = 0
    for message_id in message_ids:
        now = timezone.now()
        claimed = (
            OutboxMessage.objects.filter(pk=message_id, published_at__isnull=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(claimed_until=now + CLAIM_LEASE)
        )
        if not claimed:
            continue  # already published, or another relay is at it
        message = OutboxMessage.objects.get(pk=message_id)
        try:
            _publish(message)
        except BrokerError as exc:
            logger.warning("outbox: broker unavailable, %s stays queued: %s", message, exc)
            _broker_paused_until = time.monotonic() + BROKER_PAUSE
            OutboxMessage.objects.filter(pk=message_id).update(
                claimed_until=None, attempts=message.attempts + 1, last_error=str(exc)[:2000]
            )
            # The broker is down: the rest would fail the same way; the sweep sends them later.
            break
        OutboxMessage.objects.filter(pk=message_id).update(
            published_at=timezone.now(), claimed_until=None, attempts=message.attempts + 1
        )
        published += 1
        _broker_paused_until = 0.0
    return published


def _publish(message: OutboxMessage) -> None:
    if message.task not in current_app.tasks:
        # The web process has not imported the apps' tasks modules yet (workers do at start).
        current_app.loader.import_default_modules()
    task = current_app.tasks[message.task]
    # retry=False: fail at once when the broker is down rather than hold the request; the row
    # is kept and the sweep publishes it later. With eager Celery (development, tests) the task
    # runs here, as `.delay` did.
    task.apply_async(args=message.args, retry=False)


def outbox_pending_ids(*, limit: int = SWEEP_BATCH) -> list[int]:
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(published_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep() -> int:
    """Beat: publish what the after-commit relay could not (broker down, process died), and
    forget messages published long ago. Returns how many were published."""
    published = outbox_relay(message_ids=outbox_pending_ids())
    OutboxMessage.objects.filter(published_at__lt=timezone.now() - KEEP_PUBLISHED).delete()
    return published
