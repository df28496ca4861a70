import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection

from integrations.models import CrmConnection
from integrations.services.clients import connection_credentials
from integrations.services.connections import (
    connection_import_stages,
    connection_save_maps,
    connection_save_settings,
    connection_test,
)
from tests.fakes.server import Reply
from tests.integrations.factories import hubspot_connection, salesforce_connection

pytestmark = pytest.mark.django_db


def test_settings_create_the_connection_with_encrypted_secrets():
    connection = connection_save_settings(
        source="hubspot",
        is_enabled=True,
        settings={"api_base": "https://api.hubapi.com"},
        secrets={"access_token": "pat-1", "client_secret": "cs-1"},
    )

    assert connection_credentials(connection) == {"access_token": "pat-1", "client_secret": "cs-1"}
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM integrations_crmconnection WHERE id = %s", [connection.pk]
        )
        (raw,) = cursor.fetchone()
    assert raw.startswith("fernet:")
    assert "pat-1" not in raw


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_replaces_it():
    connection_save_settings(
        source="hubspot",
        is_enabled=True,
        settings={},
        secrets={"access_token": "pat-1", "client_secret": "cs-1"},
    )

    connection = connection_save_settings(
        source="hubspot",
        is_enabled=False,
        settings={},
        secrets={"access_token": "", "client_secret": "cs-2"},
    )

    assert connection_credentials(connection) == {"access_token": "pat-1", "client_secret": "cs-2"}
    assert connection.is_enabled is False


def test_changed_credentials_drop_the_cached_session(fake_salesforce):
    connection = salesforce_connection(fake_salesforce, session='{"access_token": "old"}')

    connection = connection_save_settings(
        source="salesforce",
        is_enabled=True,
        settings={**connection.settings},
        secrets={"client_secret": "new-secret"},
    )

    assert connection.session == ""


@pytest.mark.parametrize(
    ("source", "values", "field"),
    [
        ("hubspot", {"api_base": "ftp://x"}, "api_base"),
        ("salesforce", {"auth_flow": "password"}, "auth_flow"),
        ("pipedrive", {}, "source"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(source, values, field):
    with pytest.raises(ValidationError) as excinfo:
        connection_save_settings(source=source, is_enabled=True, settings=values, secrets={})

    assert field in excinfo.value.message_dict
    assert CrmConnection.objects.count() == 0


def test_maps_are_checked_before_saving(fake_salesforce):
    connection = salesforce_connection(fake_salesforce, field_map={})

    with pytest.raises(ValidationError) as excinfo:
        connection_save_maps(
            connection=connection,
            stage_map={"Prospecting": {"status": "open"}},
            field_map={
                "has_metrics": "Metrics__c FROM User --",
                "has_champion": "Champion__r.Name",
            },
        )

    assert list(excinfo.value.message_dict) == ["has_metrics"]
    connection.refresh_from_db()
    assert connection.field_map == {}


def test_maps_are_saved_clean(fake_hubspot):
    connection = hubspot_connection(fake_hubspot)

    connection_save_maps(
        connection=connection,
        stage_map={"new": {"status": "open", "order": "2", "label": "New"}},
        field_map={"has_metrics": " metrics_agreed ", "has_champion": ""},
    )

    connection.refresh_from_db()
    assert connection.stage_map == {"new": {"status": "open", "order": 2, "label": "New"}}
    assert connection.field_map == {"has_metrics": "metrics_agreed"}


def test_hubspot_test_reads_stages_and_owners_and_names_unmapped_stages(fake_hubspot):
    fake_hubspot.add_owner("101", "sam@example.com")
    connection = hubspot_connection(fake_hubspot, stage_map={})

    outcome = connection_test(connection=connection)

    assert outcome.ok
    assert outcome.message.startswith("Connected to HubSpot: 5 pipeline stages, 1 owners.")
    assert "appointmentscheduled" in outcome.message
    connection.refresh_from_db()
    assert (connection.last_test_ok, connection.last_test_message) == (True, outcome.message)


def test_salesforce_test_signs_in_and_counts(fake_salesforce):
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(fake_salesforce)

    outcome = connection_test(connection=connection)

    assert outcome.message == "Connected to Salesforce: 1 opportunities, 6 stages."


def test_a_failing_test_is_recorded_without_retrying(fake_hubspot):
    connection = hubspot_connection(fake_hubspot)
    fake_hubspot.fail_next(Reply(503, {"message": "down"}))

    outcome = connection_test(connection=connection)

    assert not outcome.ok
    assert outcome.message == "HubSpot kept failing (HTTP 503 after 1 attempts)."
    assert len(fake_hubspot.requests) == 1
    connection.refresh_from_db()
    assert connection.last_test_ok is False


def test_missing_credentials_are_named_by_the_test(fake_hubspot):
    connection = hubspot_connection(fake_hubspot, credentials=json.dumps({}))

    outcome = connection_test(connection=connection)

    assert outcome == type(outcome)(ok=False, message="Enter the HubSpot private app access token.")
    assert fake_hubspot.requests == []


def test_import_stages_adds_only_missing_ones(fake_salesforce):
    connection = salesforce_connection(
        fake_salesforce, stage_map={"Prospecting": {"status": "won", "order": 0, "label": "P"}}
    )

    added = connection_import_stages(connection=connection)

    connection.refresh_from_db()
    assert added == 5
    assert connection.stage_map["Prospecting"] == {"status": "won", "order": 0, "label": "P"}
    assert connection.stage_map["Closed Lost"] == {
        "status": "lost",
        "order": 6,
        "label": "Closed Lost",
    }
    assert connection.stage_map["Closed Won"]["status"] == "won"


def test_import_hubspot_stages_reads_probability_for_won_and_lost(fake_hubspot):
    connection = hubspot_connection(fake_hubspot, stage_map={})

    connection_import_stages(connection=connection)

    connection.refresh_from_db()
    assert {k: v["status"] for k, v in connection.stage_map.items()} == {
        "appointmentscheduled": "open",
        "qualifiedtobuy": "open",
        "contractsent": "open",
        "closedwon": "won",
        "closedlost": "lost",
    }
