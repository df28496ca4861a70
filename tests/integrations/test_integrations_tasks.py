import datetime as dt

import pytest
from django.utils import timezone

from deals.models import Deal
from integrations import tasks
from integrations.models import WebhookEvent
from tests.integrations.factories import (
    WebhookEventFactory,
    hubspot_connection,
    salesforce_connection,
)

pytestmark = pytest.mark.django_db


def test_sync_all_connections_pulls_every_enabled_connection(fake_hubspot, fake_salesforce):
    fake_hubspot.add_deal()
    fake_salesforce.add_opportunity()
    hubspot_connection(fake_hubspot)
    salesforce_connection(fake_salesforce, is_enabled=False)

    started = tasks.sync_all_connections()

    assert started == 1
    assert list(Deal.objects.values_list("source", flat=True)) == ["hubspot"]


def test_the_beat_entry_names_this_task():
    from config.celery import app

    assert app.conf.beat_schedule["crm-pull-sync"]["task"] == tasks.sync_all_connections.name


def test_housekeeping_expires_stuck_events_and_forgets_old_ones(fake_hubspot):
    hubspot_connection(fake_hubspot, is_enabled=False)  # so pending events stay pending
    stuck = WebhookEventFactory()
    old = WebhookEventFactory(status="processed")
    recent = WebhookEventFactory(status="processed")
    WebhookEvent.objects.filter(pk=stuck.pk).update(
        received_at=timezone.now() - dt.timedelta(days=4)
    )
    WebhookEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=8))

    tasks.sync_all_connections()

    stuck.refresh_from_db()
    assert (stuck.status, stuck.note) == ("failed", "Expired before it could be processed.")
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {stuck.pk, recent.pk}


def test_pending_events_are_processed_in_batches_until_none_remain(fake_hubspot):
    hubspot_connection(fake_hubspot)
    ids = [fake_hubspot.add_deal() for _ in range(150)]
    for n, deal_id in enumerate(ids):
        WebhookEventFactory(event_id=str(n), object_id=deal_id, event_type="deal.creation")

    tasks.sync_all_connections()  # the sweeper finds them (their own task was lost)

    assert Deal.objects.count() == 150
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_old_runs_are_forgotten_unless_they_hold_open_row_errors(fake_hubspot):
    from integrations.models import SyncRun
    from tests.integrations.factories import SyncRowErrorFactory, SyncRunFactory

    connection = hubspot_connection(fake_hubspot, is_enabled=False)
    old, old_with_error, recent = (SyncRunFactory(connection=connection) for _ in range(3))
    SyncRowErrorFactory(run=old_with_error, connection=connection)
    SyncRun.objects.filter(pk__in=[old.pk, old_with_error.pk]).update(
        started_at=timezone.now() - dt.timedelta(days=91)
    )

    tasks.sync_all_connections()

    assert set(SyncRun.objects.values_list("pk", flat=True)) == {old_with_error.pk, recent.pk}
