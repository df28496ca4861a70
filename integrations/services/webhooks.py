"""HubSpot webhooks in: record the events (once per event id) fast, process them in Celery.

The request handler only checks the signature (api/views.py) and stores the new events; a task
then fetches each affected deal as it is *now* and ingests it, because a propertyChange event
carries one property, not a whole deal. Replays and HubSpot's own retries carry event ids we
already stored, so they change nothing.

Deletions are recorded and skipped: deals has no notion of a deleted deal yet (see
docs/integrations.md), and the pull sync never sees deleted deals, so nothing re-creates them.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
from django.db import transaction
from django.utils import timezone

from core.outbox import outbox_enqueue
from core.validation import InputInvalid, datetime_checked
from integrations.adapters.base import CrmError, CrmRateLimited, Sleep
from integrations.adapters.hubspot import HubSpotClient, HubSpotMapper
from integrations.models import (
    ConnectionSource,
    CrmConnection,
    SyncKind,
    SyncRun,
    SyncStatus,
    WebhookEvent,
    WebhookEventStatus,
)
from integrations.services.clients import connection_client, connection_mapper
from integrations.services.sync import sync_page_commit, sync_run_finish

DEAL_EVENTS = frozenset({"deal.creation", "deal.propertyChange", "deal.deletion", "deal.restore"})
DELETION = "deal.deletion"
BATCH = 100
# HubSpot retries a failed delivery for up to three days; ids are kept longer than that.
KEEP_EVENTS = dt.timedelta(days=7)
# Events a task never got to (the worker died, HubSpot was down for days) are given up on;
# the pull sync brings the same deals anyway.
EXPIRE_PENDING = dt.timedelta(days=3)
DELETION_NOTE = "Deleted in HubSpot; Coachline keeps the deal (deals has no deletion yet)."


class WebhookPayloadInvalid(ValueError):
    pass


@dataclass(frozen=True)
class WebhookReceipt:
    received: int
    accepted: int
    duplicates: int
    ignored: int


def _event_from(item: Any) -> WebhookEvent | None:
    if not isinstance(item, dict) or item.get("subscriptionType") not in DEAL_EVENTS:
        return None
    event_id, object_id = str(item.get("eventId") or ""), str(item.get("objectId") or "")
    if not event_id or not object_id.isdecimal():
        return None
    occurred = item.get("occurredAt")
    return WebhookEvent(
        source=ConnectionSource.HUBSPOT,
        event_id=event_id[:64],
        event_type=item["subscriptionType"],
        object_id=object_id[:128],
        property_name=str(item.get("propertyName") or "")[:128],
        occurred_at=_occurred_at(occurred),
    )


def _occurred_at(value: Any) -> dt.datetime | None:
    """HubSpot's epoch milliseconds; an absurd value (a huge number, a year past 2100) is
    dropped rather than failing the batch: it is only informational."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime_checked(dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC))
    except (InputInvalid, OverflowError, OSError, ValueError):
        return None


def hubspot_webhook_receive(*, events: Any) -> WebhookReceipt:
    """Store the deal events of one (already verified) HubSpot delivery; queue their processing.

    Events of other object types, or malformed ones, are ignored rather than failing the
    batch: HubSpot would otherwise retry the good events with them for days.
    """
    if not isinstance(events, list):
        raise WebhookPayloadInvalid("Send a JSON array of HubSpot events.")
    parsed = {e.event_id: e for e in map(_event_from, events) if e is not None}
    seen = set(
        WebhookEvent.objects.filter(
            source=ConnectionSource.HUBSPOT, event_id__in=list(parsed)
        ).values_list("event_id", flat=True)
    )
    new = [event for event_id, event in parsed.items() if event_id not in seen]
    if new:
        with transaction.atomic():
            # ignore_conflicts: a concurrent retry of the same delivery may have stored them.
            WebhookEvent.objects.bulk_create(new, ignore_conflicts=True)
            outbox_enqueue(task="integrations.tasks.process_hubspot_events")
    return WebhookReceipt(
        received=len(events),
        accepted=len(new),
        duplicates=len(parsed) - len(new),
        ignored=len(events) - len(parsed),
    )


def hubspot_events_process(
    *, http: httpx.Client | None = None, sleep: Sleep | None = None
) -> SyncRun | None:
    """Process up to BATCH pending events: fetch each affected deal once and ingest it.

    Safe to run twice at once: both would fetch and ingest the same deals (an idempotent
    upsert) and mark the same events processed. On a CRM failure the events stay pending for
    the next attempt.
    """
    connection = (
        CrmConnection.objects.filter(source=ConnectionSource.HUBSPOT, is_enabled=True)
        .defer("credentials", "session")
        .first()
    )
    if connection is None:
        return None
    events = list(
        WebhookEvent.objects.filter(
            source=ConnectionSource.HUBSPOT, status=WebhookEventStatus.PENDING
        ).order_by("pk")[:BATCH]
    )
    if not events:
        return None
    run = SyncRun.objects.create(connection=connection, kind=SyncKind.WEBHOOK)
    error, status = "", SyncStatus.SUCCEEDED
    client = None
    try:
        client = connection_client(connection, http=http, sleep=sleep)
        mapper = connection_mapper(connection)
        if not isinstance(client, HubSpotClient) or not isinstance(mapper, HubSpotMapper):
            raise CrmError("The HubSpot connection built a client of another CRM.")
        wanted = list(dict.fromkeys(e.object_id for e in events if e.event_type != DELETION))
        records, missing = [], set()
        for object_id in wanted:
            record = client.get_deal(object_id, properties=mapper.properties)
            if record is None:
                missing.add(object_id)
            else:
                records.append(record)
        sync_page_commit(
            connection=connection, run=run, page=mapper.page(records), move_watermark=False
        )
        _mark_done(events, missing)
    except CrmRateLimited as exc:
        error, status = str(exc), SyncStatus.RATE_LIMITED
    except CrmError as exc:
        error, status = str(exc), SyncStatus.FAILED
    finally:
        if client is not None:
            client.close()
    sync_run_finish(connection=connection, run=run, status=status, error=error)
    return run


def _mark_done(events: list[WebhookEvent], missing: set[str]) -> None:
    now = timezone.now()
    by_outcome: dict[tuple[str, str], list[int]] = {}
    for event in events:
        if event.event_type == DELETION:
            key = (WebhookEventStatus.SKIPPED, DELETION_NOTE)
        elif event.object_id in missing:
            key = (WebhookEventStatus.SKIPPED, "The deal no longer exists in HubSpot.")
        else:
            key = (WebhookEventStatus.PROCESSED, "")
        by_outcome.setdefault(key, []).append(event.pk)
    for (status, note), ids in by_outcome.items():
        WebhookEvent.objects.filter(pk__in=ids).update(status=status, note=note, processed_at=now)


def hubspot_events_pending() -> bool:
    return WebhookEvent.objects.filter(
        source=ConnectionSource.HUBSPOT, status=WebhookEventStatus.PENDING
    ).exists()


def webhook_events_housekeeping() -> None:
    """Expire events never processed, and forget old ones (their ids can no longer replay:
    HubSpot stops retrying after three days and signatures go stale after five minutes)."""
    now = timezone.now()
    WebhookEvent.objects.filter(
        status=WebhookEventStatus.PENDING, received_at__lt=now - EXPIRE_PENDING
    ).update(status=WebhookEventStatus.FAILED, note="Expired before it could be processed.")
    WebhookEvent.objects.filter(received_at__lt=now - KEEP_EVENTS).delete()
