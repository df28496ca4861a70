import json
import time

import pytest

from deals.models import Deal
from integrations.models import WebhookEvent
from integrations.signatures import hubspot_signature_v3
from tests.integrations.factories import HUBSPOT_CLIENT_SECRET, hubspot_connection

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/hubspot/webhook"


def signed_post(client, events, *, secret=HUBSPOT_CLIENT_SECRET, age_ms=0, uri=None, headers=None):
    body = json.dumps(events).encode()
    timestamp = str(int(time.time() * 1000) - age_ms)
    signature = hubspot_signature_v3(
        client_secret=secret,
        method="POST",
        uri=uri or f"http://testserver{URL}",
        body=body,
        timestamp=timestamp,
    )
    sent = {
        "HTTP_X_HUBSPOT_SIGNATURE_V3": signature,
        "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": timestamp,
        **(headers or {}),
    }
    return client.post(URL, data=body, content_type="application/json", **sent)


def event(event_id, object_id, kind="deal.propertyChange", **extra):
    return {
        "eventId": event_id,
        "subscriptionId": 4001,
        "portalId": 62515,
        "appId": 54321,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": kind,
        "attemptNumber": 0,
        "objectId": int(object_id),
        "changeSource": "CRM",
        **extra,
    }


def test_signed_batch_is_accepted_and_the_deals_are_fetched_and_ingested(
    client, fake_hubspot, django_capture_on_commit_callbacks
):
    hubspot_connection(fake_hubspot)
    created = fake_hubspot.add_deal(dealname="New deal")
    changed = fake_hubspot.add_deal(dealname="Changed deal", dealstage="contractsent")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(
            client,
            [
                event(1, created, "deal.creation"),
                event(2, changed, propertyName="dealstage", propertyValue="contractsent"),
                event(3, changed, propertyName="amount", propertyValue="1000"),
            ],
        )

    assert response.status_code == 200
    assert response.json() == {"received": 3, "accepted": 3, "duplicates": 0, "ignored": 0}
    assert set(Deal.objects.values_list("external_id", "stage")) == {
        (created, "Appointment Scheduled"),
        (changed, "Contract Sent"),
    }
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    fetched = [r.path for r in fake_hubspot.requests]
    assert sorted(fetched) == sorted(
        [f"/crm/v3/objects/deals/{created}", f"/crm/v3/objects/deals/{changed}"]
    )


def test_replayed_delivery_changes_nothing(
    client, fake_hubspot, django_capture_on_commit_callbacks
):
    hubspot_connection(fake_hubspot)
    deal = fake_hubspot.add_deal()
    events = [event(11, deal, "deal.creation")]
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, events)
    fake_hubspot.requests.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signed_post(client, events)  # fresh timestamp, same event id

    assert response.status_code == 200
    assert response.json() == {"received": 1, "accepted": 0, "duplicates": 1, "ignored": 0}
    assert callbacks == []
    assert fake_hubspot.requests == []
    assert WebhookEvent.objects.count() == 1


def test_receipt_costs_a_fixed_number_of_queries(client, fake_hubspot, django_assert_num_queries):
    hubspot_connection(fake_hubspot)
    events = [event(100 + n, 9000001 + n) for n in range(50)]

    # Queries: the HubSpot connection; its secrets (loaded apart, see selectors); event ids
    # already seen; savepoint, insert, the outbox message that queues processing, release.
    with django_assert_num_queries(7):
        response = signed_post(client, events)

    assert response.json()["accepted"] == 50


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("wrong secret", {"secret": "not-the-secret"}),
        ("stale timestamp", {"age_ms": 5 * 60 * 1000 + 1000}),
        # Far enough ahead that a slow test run cannot bring it back into the window.
        ("timestamp from the future", {"age_ms": -10 * 60 * 1000}),
        ("another URL signed", {"uri": "http://testserver/api/v1/other"}),
        ("missing signature", {"headers": {"HTTP_X_HUBSPOT_SIGNATURE_V3": ""}}),
        ("missing timestamp", {"headers": {"HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": ""}}),
        ("timestamp tampered", {"headers": {"HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": "1"}}),
    ],
)
def test_bad_signature_is_401_and_nothing_is_processed(
    client, fake_hubspot, django_capture_on_commit_callbacks, case, kwargs
):
    hubspot_connection(fake_hubspot)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signed_post(client, [event(1, 9000001, "deal.creation")], **kwargs)

    assert response.status_code == 401, case
    assert response.json() == {
        "code": "invalid_signature",
        "detail": "Missing, wrong or expired request signature.",
        "errors": [],
    }
    assert WebhookEvent.objects.count() == 0
    assert callbacks == []
    assert fake_hubspot.requests == []


def test_a_tampered_body_fails_the_signature(client, fake_hubspot):
    hubspot_connection(fake_hubspot)
    body = json.dumps([event(1, 9000001)]).encode()
    timestamp = str(int(time.time() * 1000))
    signature = hubspot_signature_v3(
        client_secret=HUBSPOT_CLIENT_SECRET,
        method="POST",
        uri=f"http://testserver{URL}",
        body=body,
        timestamp=timestamp,
    )

    response = client.post(
        URL,
        data=body.replace(b"9000001", b"9000002"),
        content_type="application/json",
        HTTP_X_HUBSPOT_SIGNATURE_V3=signature,
        HTTP_X_HUBSPOT_REQUEST_TIMESTAMP=timestamp,
    )

    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0


def test_without_a_hubspot_connection_every_request_is_401(client):
    response = signed_post(client, [event(1, 9000001)])

    assert response.status_code == 401


def test_the_url_behind_a_proxy_is_accepted_through_site_url(client, fake_hubspot, settings):
    settings.SITE_URL = "https://coachline.example.com"
    hubspot_connection(fake_hubspot)

    response = signed_post(client, [event(1, 9000001)], uri=f"https://coachline.example.com{URL}")

    assert response.status_code == 200


def test_a_signed_body_that_is_not_an_array_is_400(client, fake_hubspot):
    hubspot_connection(fake_hubspot)

    response = signed_post(client, {"eventId": 1})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "", "message": "Send a JSON array of HubSpot events."}
    ]
    assert WebhookEvent.objects.count() == 0


def test_other_objects_and_malformed_events_are_ignored(client, fake_hubspot):
    hubspot_connection(fake_hubspot)

    response = signed_post(
        client,
        [event(1, 9000001, "contact.creation"), {"eventId": 2}, "junk", event(3, 9000001)],
    )

    assert response.json() == {"received": 4, "accepted": 1, "duplicates": 0, "ignored": 3}


def test_a_paused_connection_acknowledges_and_keeps_nothing(client, fake_hubspot):
    hubspot_connection(fake_hubspot, is_enabled=False)

    response = signed_post(client, [event(1, 9000001)])

    assert response.status_code == 200
    assert response.json()["accepted"] == 0
    assert WebhookEvent.objects.count() == 0


def test_deletions_are_recorded_and_skipped(
    client, fake_hubspot, django_capture_on_commit_callbacks
):
    hubspot_connection(fake_hubspot)
    deal = fake_hubspot.add_deal()

    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, [event(1, deal, "deal.deletion")])

    stored = WebhookEvent.objects.get()
    assert stored.status == "skipped"
    assert stored.note.startswith("Deleted in HubSpot")
    assert fake_hubspot.requests == []


def test_a_deal_gone_before_processing_is_skipped(
    client, fake_hubspot, django_capture_on_commit_callbacks
):
    hubspot_connection(fake_hubspot)

    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, [event(1, 9999999, "deal.creation")])

    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.note) == ("skipped", "The deal no longer exists in HubSpot.")
    assert Deal.objects.count() == 0


def test_hubspot_trouble_leaves_events_pending_for_the_next_attempt(
    client, fake_hubspot, django_capture_on_commit_callbacks
):
    connection = hubspot_connection(fake_hubspot)
    deal = fake_hubspot.add_deal()
    fake_hubspot.token = "rotated"

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, [event(1, deal)])

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "pending"
    connection.refresh_from_db()
    assert "refused the credentials" in connection.last_error
    assert connection.runs.get().kind == "webhook"


def test_webhook_runs_do_not_move_the_watermark(
    client, fake_hubspot, django_capture_on_commit_callbacks
):
    connection = hubspot_connection(fake_hubspot)
    deal = fake_hubspot.add_deal()

    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, [event(1, deal)])

    connection.refresh_from_db()
    assert connection.watermark is None
    assert Deal.objects.filter(external_id=deal).exists()


@pytest.mark.parametrize("who", [None, "rep", "manager", "leader", "admin", "key"])
def test_sessions_and_api_keys_do_not_replace_the_signature(
    client_for, key_client, fake_hubspot, who
):
    hubspot_connection(fake_hubspot)
    api = key_client("deals:write") if who == "key" else client_for(who)

    response = api.post(URL, [event(1, 9000001)], format="json")

    assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0
