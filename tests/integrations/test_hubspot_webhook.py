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
