import json
import uuid

import pytest

from events.models import WebhookDelivery, WebhookSubscription
from integrations.models import CrmConnection
from integrations.services.clients import connection_credentials
from tests.events.factories import WebhookSubscriptionFactory
from tests.integrations.factories import (
    HubSpotConnectionFactory,
    SyncRowErrorFactory,
    SyncRunFactory,
    hubspot_connection,
    salesforce_connection,
)

pytestmark = pytest.mark.django_db

CAST = ["rep", "coach", "manager", "other_rep", "other_manager", "leader", "admin"]


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize(
    "url",
    [
        "/integrations/",
        "/integrations/hubspot/",
        "/integrations/salesforce/",
        "/integrations/webhooks/new/",
        "/integrations/webhooks/{sub}/",
    ],
)
def test_only_admins_see_the_integration_pages(cast, client, who, url):
    sub = WebhookSubscriptionFactory()
    client.force_login(cast[who])

    response = client.get(url.format(sub=sub.pk))

    assert response.status_code == (200 if who == "admin" else 404)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/integrations/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_unknown_crm_is_404(cast, client):
    client.force_login(cast.admin)

    assert client.get("/integrations/pipedrive/").status_code == 404


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader"])
@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/integrations/hubspot/settings", {"access_token": "stolen", "api_base": "https://x.io"}),
        ("/integrations/hubspot/maps", {"stages-TOTAL_FORMS": "0", "stages-INITIAL_FORMS": "0"}),
        ("/integrations/hubspot/sync", {"restart": "1"}),
        (
            "/integrations/webhooks/new/",
            {"name": "x", "url": "https://x.io", "event_types": ["course.completed"]},
        ),
        ("/integrations/webhooks/{sub}/rotate-secret", {}),
    ],
)
def test_refused_writes_change_nothing(cast, client, who, url, data):
    connection = HubSpotConnectionFactory(watermark="2025-01-01T00:00:00Z")
    sub = WebhookSubscriptionFactory(secret="whsec_keep")
    before = connection_credentials(connection)
    client.force_login(cast[who])

    response = client.post(url.format(sub=sub.pk), data)

    assert response.status_code == 404
    connection.refresh_from_db()
    assert connection_credentials(connection) == before
    assert connection.watermark is not None
    assert WebhookSubscription.objects.get().secret == "whsec_keep"


def test_index_queries_are_constant(cast, client, django_assert_num_queries):
    client.force_login(cast.admin)
    HubSpotConnectionFactory()
    for _ in range(5):
        sub = WebhookSubscriptionFactory(event_types=["course.completed", "program.completed"])
        WebhookDelivery.objects.create(
            subscription=sub, event_id=uuid.uuid4(), event_type="course.completed", body="{}"
        )

    # Queries: session, user; connections with error counts; subscribers with delivery counts.
    with django_assert_num_queries(4):
        response = client.get("/integrations/")

    assert response.status_code == 200
    assert response.content.decode().count("Subscriber ") == 5


def test_connection_page_queries_are_constant(
    cast, client, django_assert_num_queries, fake_hubspot
):
    client.force_login(cast.admin)
    connection = hubspot_connection(fake_hubspot)
    for _ in range(12):
        run = SyncRunFactory(connection=connection)
        SyncRowErrorFactory.create_batch(3, run=run, connection=connection)

    # Queries: session, user; the connection; runs; row errors; their count; webhook events by
    # status.
    with django_assert_num_queries(7):
        response = client.get("/integrations/hubspot/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "36 deals could not be synced" in body
    assert "/api/v1/integrations/hubspot/webhook" in body
    assert "pat-na1-test-token" not in body  # secrets never go back to the page


def test_subscription_page_queries_are_constant(cast, client, django_assert_num_queries):
    client.force_login(cast.admin)
    sub = WebhookSubscriptionFactory()
    for _ in range(60):
        WebhookDelivery.objects.create(
            subscription=sub,
            event_id=uuid.uuid4(),
            event_type="course.completed",
            body="{}",
            status="failed",
            last_error="HTTP 410",
        )

    # Queries: session, user; the subscription; one page (+1 row) of its deliveries.
    with django_assert_num_queries(4):
        response = client.get(f"/integrations/webhooks/{sub.pk}/")

    body = response.content.decode()
    assert body.count("Send again") == 50
    assert "Showing the newest 50 deliveries." in body


def test_admin_saves_hubspot_settings(cast, client):
    client.force_login(cast.admin)

    response = client.post(
        "/integrations/hubspot/settings",
        {
            "is_enabled": "on",
            "access_token": "pat-9",
            "client_secret": "cs-9",
            "api_base": "https://api.hubapi.com",
        },
    )

    assert response.status_code == 302
    connection = CrmConnection.objects.get(source="hubspot")
    assert connection.is_enabled
    assert connection_credentials(connection) == {"access_token": "pat-9", "client_secret": "cs-9"}


def test_admin_saves_salesforce_settings_and_bad_ones_are_400(cast, client):
    client.force_login(cast.admin)
    good = {
        "is_enabled": "on",
        "login_url": "https://acme.my.salesforce.com",
        "auth_flow": "client_credentials",
        "client_id": "3MVG9abc",
        "client_secret": "s",
        "api_version": "v61.0",
        "multi_currency": "on",
    }

    bad = client.post("/integrations/salesforce/settings", {**good, "api_version": "61"})
    assert bad.status_code == 400
    assert "Write it like v61.0." in bad.content.decode()
    assert not CrmConnection.objects.exists()

    response = client.post("/integrations/salesforce/settings", good)

    assert response.status_code == 302
    connection = CrmConnection.objects.get(source="salesforce")
    assert connection.settings == {
        "login_url": "https://acme.my.salesforce.com",
        "api_version": "v61.0",
        "auth_flow": "client_credentials",
        "client_id": "3MVG9abc",
        "username": "",
        "multi_currency": True,
        "activity_history_days": None,  # not pulling activities
    }


def maps_post(rows, **fields):
    data = {"stages-TOTAL_FORMS": str(len(rows)), "stages-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"stages-{index}-{key}"] = value
    return {**data, **fields}


def test_admin_saves_stage_and_field_maps(cast, client, fake_hubspot):
    client.force_login(cast.admin)
    connection = hubspot_connection(fake_hubspot, stage_map={"old": {"status": "open"}})

    response = client.post(
        "/integrations/hubspot/maps",
        maps_post(
            [
                {"stage_id": "won1", "label": "Won", "status": "won", "order": "5"},
                {"stage_id": "old", "label": "", "status": "open", "order": "", "DELETE": "on"},
                {"stage_id": "", "label": "", "status": "open", "order": ""},
            ],
            has_economic_buyer="eb_identified",
        ),
    )

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.stage_map == {"won1": {"status": "won", "order": 5, "label": "Won"}}
    assert connection.field_map == {"has_economic_buyer": "eb_identified"}


def test_a_bad_field_name_is_400_and_nothing_saved(cast, client, fake_hubspot):
    client.force_login(cast.admin)
    connection = hubspot_connection(fake_hubspot)
    before = connection.stage_map

    response = client.post(
        "/integrations/hubspot/maps",
        maps_post([{"stage_id": "x", "status": "won"}], has_metrics="metrics; drop"),
    )

    assert response.status_code == 400
    assert "is not a field name of this CRM" in response.content.decode()
    connection.refresh_from_db()
    assert connection.stage_map == before


def test_test_button_answers_htmx_with_the_result(cast, client, fake_hubspot):
    client.force_login(cast.admin)
    hubspot_connection(fake_hubspot)

    response = client.post("/integrations/hubspot/test", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="test-result"' in body
    assert "Connected to HubSpot: 5 pipeline stages, 0 owners." in body


def test_test_button_without_htmx_redirects_with_a_message(cast, client, fake_hubspot):
    client.force_login(cast.admin)
    fake_hubspot.token = "changed"
    hubspot_connection(fake_hubspot)

    response = client.post("/integrations/hubspot/test", follow=True)

    assert "HubSpot refused the credentials (HTTP 401)." in response.content.decode()


def test_sync_now_runs_a_sync(cast, client, fake_salesforce, django_capture_on_commit_callbacks):
    client.force_login(cast.admin)
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(fake_salesforce)

    # The sync is queued through the outbox, sent once the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/integrations/salesforce/sync")

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.runs.get().status == "succeeded"
    assert connection.watermark is not None


def test_import_stages_button(cast, client, fake_hubspot):
    client.force_login(cast.admin)
    connection = hubspot_connection(fake_hubspot, stage_map={})

    response = client.post("/integrations/hubspot/import-stages", follow=True)

    assert "5 new stages added to the stage map." in response.content.decode()
    connection.refresh_from_db()
    assert len(connection.stage_map) == 5


def test_admin_adds_a_subscriber_and_sees_its_secret(cast, client):
    client.force_login(cast.admin)

    response = client.post(
        "/integrations/webhooks/new/",
        {
            "name": "Data warehouse",
            "url": "https://dw.example.com/hook",
            "event_types": ["course.completed", "coaching.session_completed"],
            "is_active": "on",
        },
        follow=True,
    )

    sub = WebhookSubscription.objects.get()
    assert sub.event_types == ["coaching.session_completed", "course.completed"]
    assert sub.created_by == cast.admin
    assert sub.secret.startswith("whsec_")
    assert sub.secret in response.content.decode()


def test_a_subscriber_without_events_is_400(cast, client):
    client.force_login(cast.admin)

    response = client.post("/integrations/webhooks/new/", {"name": "x", "url": "https://x.io/h"})

    assert response.status_code == 400
    assert not WebhookSubscription.objects.exists()


def test_admin_edits_rotates_and_redelivers(cast, client):
    client.force_login(cast.admin)
    sub = WebhookSubscriptionFactory(secret="whsec_old")
    failed = WebhookDelivery.objects.create(
        subscription=sub,
        event_id=uuid.uuid4(),
        event_type="course.completed",
        body=json.dumps({}),
        status="failed",
    )

    client.post(
        f"/integrations/webhooks/{sub.pk}/",
        {
            "name": "Renamed",
            "url": "https://hooks.example.com/v2",
            "event_types": ["program.completed"],
        },
    )
    client.post(f"/integrations/webhooks/{sub.pk}/rotate-secret")
    client.post(f"/integrations/webhooks/{sub.pk}/deliveries/{failed.pk}/redeliver")

    sub.refresh_from_db()
    assert (sub.name, sub.url, sub.event_types, sub.is_active) == (
        "Renamed",
        "https://hooks.example.com/v2",
        ["program.completed"],
        False,
    )
    assert sub.secret != "whsec_old"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)  # queued for a fresh round


def test_without_an_encryption_key_in_production_the_pages_explain_instead_of_failing(
    cast, client, fake_hubspot, settings
):
    client.force_login(cast.admin)
    connection = hubspot_connection(fake_hubspot)
    settings.FIELD_ENCRYPTION_KEY = ""  # and DEBUG is off, as in production

    page = client.get("/integrations/hubspot/")
    saved = client.post(
        "/integrations/hubspot/settings", {"access_token": "pat-2", "api_base": fake_hubspot.url}
    )
    tested = client.post("/integrations/hubspot/test", HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert saved.status_code == 400
    assert "FIELD_ENCRYPTION_KEY must be set when DEBUG is false" in saved.content.decode()
    assert "FIELD_ENCRYPTION_KEY must be set when DEBUG is false" in tested.content.decode()
    connection.refresh_from_db(fields=["last_test_ok"])
    assert connection.last_test_ok is False


@pytest.mark.parametrize("model", ["crmconnection", "syncrun", "syncrowerror", "webhookevent"])
def test_django_admin_lists_render_without_secrets(client, django_user_model, model):
    connection = HubSpotConnectionFactory()
    SyncRowErrorFactory(run=SyncRunFactory(connection=connection), connection=connection)
    superuser = django_user_model.objects.create_superuser("root@example.com", "pw", full_name="R")
    client.force_login(superuser)

    response = client.get(f"/admin/integrations/{model}/")

    assert response.status_code == 200
    assert "pat-na1-test-token" not in response.content.decode()
