"""Celery entry points: thin, take ids, safe to run twice (see the services they call)."""

from celery import shared_task

from integrations.models import SyncStatus
from integrations.services.sync import connection_sync, connections_due_ids, sync_runs_prune
from integrations.services.webhooks import (
    hubspot_events_pending,
    hubspot_events_process,
    webhook_events_housekeeping,
)


@shared_task(name="integrations.tasks.sync_all_connections")
def sync_all_connections() -> int:
    """Beat, every 10 minutes: one pull per enabled connection, and webhook housekeeping."""
    due = connections_due_ids()
    for connection_id in due:
        sync_connection.delay(connection_id)
    webhook_events_housekeeping()
    sync_runs_prune()
    if hubspot_events_pending():  # events whose task was lost, or that waited for a fix
        process_hubspot_events.delay()
    return len(due)


@shared_task(name="integrations.tasks.sync_connection", acks_late=True)
def sync_connection(connection_id: int) -> None:
    connection_sync(connection_id=connection_id)


@shared_task(name="integrations.tasks.process_hubspot_events", acks_late=True)
def process_hubspot_events() -> None:
    run = hubspot_events_process()
    # A burst larger than one batch: keep going while batches succeed.
    if run is not None and run.status == SyncStatus.SUCCEEDED and hubspot_events_pending():
        process_hubspot_events.delay()
