"""Both connectors pull activities (HubSpot meetings, calls, emails; Salesforce Event and Task)
into activities_ingest, each stream from its own watermark, the first time from the connection's
history window."""

import datetime as dt

import pytest

from accounts.models import CrmIdentity
from deals.models import Activity
from integrations.models import CrmConnection, SyncRowError
from integrations.services.sync import connection_sync
from tests.factories import UserFactory
from tests.integrations.factories import hubspot_connection, salesforce_connection

pytestmark = pytest.mark.django_db

OLD = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # outside a two-year window of today


def _with_activities(connection, days=730):
    connection.settings = {**connection.settings, "activity_history_days": days}
    connection.save(update_fields=["settings"])
    return connection


def test_hubspot_pulls_meetings_calls_and_emails_with_their_deals(fake_hubspot, sleeps):
    rep = UserFactory()
    CrmIdentity.objects.create(user=rep, source="hubspot", owner_id="101")
    deal = fake_hubspot.add_deal(dealname="Acme")
    meeting = fake_hubspot.add_engagement(
        "meetings",
        deal_id=deal,
        hs_meeting_start_time="2025-01-03T10:00:00.000Z",
        hs_meeting_end_time="2025-01-03T10:45:00.000Z",
        hs_meeting_outcome="COMPLETED",
    )
    call = fake_hubspot.add_engagement(
        "calls", deal_id=deal, hs_call_duration="90500", hs_call_status="COMPLETED"
    )
    email = fake_hubspot.add_engagement("emails", hs_email_status="SENT")
    fake_hubspot.add_engagement("meetings", modified=OLD)  # before the history window
    connection = _with_activities(hubspot_connection(fake_hubspot))

    run = connection_sync(connection_id=connection.pk, sleep=sleeps)

    assert run is not None and run.status == "succeeded", run.error
    stored = {
        a.external_id: (
            a.kind,
            a.deal.external_id if a.deal else None,
            a.duration_seconds,
            a.outcome,
        )
        for a in Activity.objects.select_related("deal")
    }
    assert stored == {
        meeting: ("meeting", deal, 2700, "COMPLETED"),
        call: ("call", deal, 90, "COMPLETED"),  # HubSpot sends milliseconds
        email: ("email", None, None, "SENT"),
    }
    assert set(Activity.objects.values_list("owner", flat=True)) == {rep.pk}
    connection.refresh_from_db()
    assert set(connection.activity_watermarks) == {
        "hubspot:meetings",
        "hubspot:calls",
        "hubspot:emails",
    }
    assert connection.activity_watermarks["hubspot:emails"] == (
        Activity.objects.get(external_id=email).source_updated_at.isoformat()
    )


def test_hubspot_second_pull_reads_from_each_stream_watermark(fake_hubspot, sleeps):
    fake_hubspot.add_engagement("meetings")
    connection = _with_activities(hubspot_connection(fake_hubspot))
    connection_sync(connection_id=connection.pk, sleep=sleeps)
    fake_hubspot.tick(3600)
    later = fake_hubspot.add_engagement("calls", hs_call_duration="1000")

    run = connection_sync(connection_id=connection.pk, sleep=sleeps)

    assert run is not None and run.status == "succeeded", run.error
    assert (run.created, run.updated) == (1, 0)  # the meeting is re-read at most (unchanged)
    assert Activity.objects.filter(external_id=later, kind="call").exists()


def test_without_a_history_window_no_activity_is_requested(fake_hubspot, sleeps):
    fake_hubspot.add_engagement("meetings")
    connection = hubspot_connection(fake_hubspot)

    connection_sync(connection_id=connection.pk, sleep=sleeps)

    assert not Activity.objects.exists()
    assert not [r for r in fake_hubspot.requests if "meetings" in r.path]


def test_hubspot_bad_engagements_are_row_errors_and_the_rest_lands(fake_hubspot, sleeps):
    good = fake_hubspot.add_engagement("calls", hs_call_duration="5000")
    bad = fake_hubspot.add_engagement("calls", hs_call_duration="-5000")
    huge = fake_hubspot.add_engagement("calls", hs_call_duration=str(10**15))
    connection = _with_activities(hubspot_connection(fake_hubspot))

    run = connection_sync(connection_id=connection.pk, sleep=sleeps)

    assert run is not None and run.status == "succeeded", run.error
    assert list(Activity.objects.values_list("external_id", flat=True)) == [good]
    assert sorted(SyncRowError.objects.values_list("external_id", "field")) == sorted(
        [(f"activity:{bad}", "duration_seconds"), (f"activity:{huge}", "duration_seconds")]
    )


def test_salesforce_pulls_events_and_call_and_email_tasks(fake_salesforce, sleeps):
    rep = UserFactory()
    CrmIdentity.objects.create(user=rep, source="salesforce", owner_id="005000000000001AAA")
    opp = fake_salesforce.add_opportunity(Name="Acme")
    event = fake_salesforce.add_activity(
        "Event", WhatId=opp, StartDateTime="2025-01-03T10:00:00.000+0000", DurationInMinutes=60
    )
    call = fake_salesforce.add_activity(
        "Task",
        WhatId=opp,
        TaskSubtype="Call",
        CompletedDateTime="2025-01-04T09:00:00.000+0000",
        CallDurationInSeconds=300,
        CallDisposition="Left voicemail",
    )
    email = fake_salesforce.add_activity(
        "Task",
        WhatId="001000000000001AAA",  # an account, not an opportunity
        TaskSubtype="Email",
        ActivityDate="2025-01-05",
        Status="Completed",
    )
    fake_salesforce.add_activity("Task", TaskSubtype="Task", ActivityDate="2025-01-05")
    fake_salesforce.add_activity("Event", StartDateTime="2019-12-01T10:00:00Z", modified=OLD)
    connection = _with_activities(salesforce_connection(fake_salesforce))

    run = connection_sync(connection_id=connection.pk, sleep=sleeps)

    assert run is not None and run.status == "succeeded", run.error
    stored = {
        a.external_id: (a.kind, a.deal_id is not None, a.occurred_at, a.duration_seconds, a.outcome)
        for a in Activity.objects.all()
    }
    assert stored == {
        event: ("meeting", True, dt.datetime(2025, 1, 3, 10, tzinfo=dt.UTC), 3600, ""),
        call: ("call", True, dt.datetime(2025, 1, 4, 9, tzinfo=dt.UTC), 300, "Left voicemail"),
        email: ("email", False, dt.datetime(2025, 1, 5, tzinfo=dt.UTC), None, "Completed"),
    }
    assert set(Activity.objects.values_list("owner", flat=True)) == {rep.pk}
    marks = CrmConnection.objects.get(pk=connection.pk).activity_watermarks
    assert set(marks) == {"salesforce:Event", "salesforce:Task"}


def test_the_history_window_is_a_connection_setting(cast, client, fake_salesforce):
    connection = salesforce_connection(fake_salesforce)
    client.force_login(cast.admin)

    response = client.post(
        "/integrations/salesforce/settings",
        {
            "login_url": fake_salesforce.url,
            "auth_flow": "client_credentials",
            "client_id": fake_salesforce.client_id,
            "api_version": "v61.0",
            "activity_history_days": "365",
        },
    )

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.settings["activity_history_days"] == 365
