"""Build the adapter client and mapper a connection describes."""

import json

import httpx
from django.core.exceptions import ImproperlyConfigured

from core.models import Organization
from integrations.adapters.base import DEFAULT_POLICY, CrmAuthError, RetryPolicy, Sleep
from integrations.adapters.hubspot import HubSpotClient, HubSpotMapper
from integrations.adapters.salesforce import (
    DEFAULT_API_VERSION,
    DEFAULT_LOGIN_URL,
    AuthFlow,
    SalesforceClient,
    SalesforceMapper,
    SalesforceSession,
)
from integrations.models import ConnectionSource, CrmConnection

CrmApi = HubSpotClient | SalesforceClient
Mapper = HubSpotMapper | SalesforceMapper


def connection_credentials(connection: CrmConnection) -> dict[str, str]:
    """The connection's secrets. Raises CrmAuthError when they cannot be decrypted (no key in
    production, or a changed key), so the connection shows why instead of the page failing."""
    try:
        stored = connection.credentials
    except ImproperlyConfigured as exc:
        raise CrmAuthError(str(exc)) from None
    if not stored:
        return {}
    try:
        data = json.loads(stored)
    except ValueError:
        return {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _saved_session(connection: CrmConnection) -> SalesforceSession | None:
    try:
        data = json.loads(connection.session) if connection.session else None
    except (ValueError, ImproperlyConfigured):
        return None  # no usable token: sign in afresh
    if isinstance(data, dict) and data.get("access_token") and data.get("instance_url"):
        return SalesforceSession(data["access_token"], data["instance_url"])
    return None


def connection_session_save(*, connection: CrmConnection, client: CrmApi) -> None:
    """Keep a Salesforce token the client obtained, for the next run (encrypted).

    Called by the thread that owns the database connection once the client is done, never
    from inside the client: pages may be fetched on a prefetch thread.
    """
    if not isinstance(client, SalesforceClient) or connection.pk is None:
        return
    session = client.session
    if session is None or session == client.initial_session:
        return
    CrmConnection.objects.filter(pk=connection.pk).update(
        session=json.dumps(
            {"access_token": session.access_token, "instance_url": session.instance_url}
        )
    )


def connection_client(
    connection: CrmConnection,
    *,
    http: httpx.Client | None = None,
    sleep: Sleep | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> CrmApi:
    """Raises CrmAuthError when the connection lacks what its CRM needs to sign in."""
    secrets = connection_credentials(connection)
    if connection.source == ConnectionSource.HUBSPOT:
        return HubSpotClient(
            access_token=secrets.get("access_token", ""),
            api_base=connection.setting("api_base"),
            http=http,
            sleep=sleep,
            policy=policy,
        )
    if connection.source == ConnectionSource.SALESFORCE:
        return SalesforceClient(
            client_id=connection.setting("client_id"),
            auth_flow=connection.setting("auth_flow", AuthFlow.CLIENT_CREDENTIALS),
            client_secret=secrets.get("client_secret", ""),
            username=connection.setting("username"),
            private_key=secrets.get("private_key", ""),
            login_url=connection.setting("login_url") or DEFAULT_LOGIN_URL,
            api_version=connection.setting("api_version") or DEFAULT_API_VERSION,
            session=_saved_session(connection),
            http=http,
            sleep=sleep,
            policy=policy,
        )
    raise CrmAuthError(f"Unknown CRM {connection.source!r}.")


def connection_mapper(connection: CrmConnection) -> Mapper:
    currency = Organization.current().home_currency
    if connection.source == ConnectionSource.HUBSPOT:
        return HubSpotMapper(
            stage_map=connection.stage_map,
            field_map=connection.field_map,
            default_currency=currency,
        )
    return SalesforceMapper(
        stage_map=connection.stage_map,
        field_map=connection.field_map,
        default_currency=currency,
        multi_currency=bool(connection.setting("multi_currency", True)),
    )
