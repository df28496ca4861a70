import json

import factory
from factory.django import DjangoModelFactory

from integrations.models import CrmConnection, SyncRowError, SyncRun, WebhookEvent
from tests.fakes import hubspot as fake_hs
from tests.fakes import salesforce as fake_sf

HUBSPOT_CLIENT_SECRET = "hubspot-app-client-secret"


class HubSpotConnectionFactory(DjangoModelFactory[CrmConnection]):
    class Meta:
        model = CrmConnection
        django_get_or_create = ("source",)

    source = "hubspot"
    is_enabled = True
    settings = factory.LazyFunction(lambda: {"api_base": "http://127.0.0.1:9"})
    credentials = json.dumps(
        {"access_token": "pat-na1-test-token", "client_secret": HUBSPOT_CLIENT_SECRET}
    )
    stage_map = factory.LazyFunction(lambda: dict(fake_hs.STAGE_MAP))
    field_map = factory.LazyFunction(dict)


class SalesforceConnectionFactory(DjangoModelFactory[CrmConnection]):
    class Meta:
        model = CrmConnection
        django_get_or_create = ("source",)

    source = "salesforce"
    is_enabled = True
    settings = factory.LazyFunction(
        lambda: {
            "login_url": "http://127.0.0.1:9",
            "api_version": fake_sf.API_VERSION,
            "auth_flow": "client_credentials",
            "client_id": "3MVG9fake.consumer.key",
            "multi_currency": True,
        }
    )
    credentials = json.dumps({"client_secret": "fake-consumer-secret"})
    stage_map = factory.LazyFunction(lambda: dict(fake_sf.STAGE_MAP))
    field_map = factory.LazyFunction(dict)


def hubspot_connection(fake: fake_hs.FakeHubSpot, **overrides: object) -> CrmConnection:
    return HubSpotConnectionFactory(settings={"api_base": fake.url}, **overrides)


def salesforce_connection(fake: fake_sf.FakeSalesforce, **overrides: object) -> CrmConnection:
    settings = {
        "login_url": fake.url,
        "api_version": fake_sf.API_VERSION,
        "auth_flow": "client_credentials",
        "client_id": fake.client_id,
        "multi_currency": True,
    }
    settings.update(overrides.pop("settings", {}))  # type: ignore[arg-type]
    return SalesforceConnectionFactory(settings=settings, **overrides)


class SyncRunFactory(DjangoModelFactory[SyncRun]):
    class Meta:
        model = SyncRun

    connection = factory.SubFactory(HubSpotConnectionFactory)


class SyncRowErrorFactory(DjangoModelFactory[SyncRowError]):
    class Meta:
        model = SyncRowError

    run = factory.SubFactory(SyncRunFactory)
    connection = factory.SelfAttribute("run.connection")
    external_id = factory.Sequence(lambda n: str(1000 + n))
    field = "stage"
    message = "Unknown stage id 'x'."


class WebhookEventFactory(DjangoModelFactory[WebhookEvent]):
    class Meta:
        model = WebhookEvent

    source = "hubspot"
    event_id = factory.Sequence(lambda n: str(5000 + n))
    event_type = "deal.propertyChange"
    object_id = "9000001"
