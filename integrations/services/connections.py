"""An admin configures a connection: settings and secrets, stage and field maps, a test."""

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.outbox import outbox_enqueue
from integrations.adapters.base import TEST_POLICY, CrmError
from integrations.adapters.hubspot import HubSpotClient
from integrations.adapters.salesforce import FIELD_NAME, AuthFlow, SalesforceClient
from integrations.mapping import stage_map_clean
from integrations.models import MAPPABLE_FIELDS, ConnectionSource, CrmConnection
from integrations.services.clients import (
    connection_client,
    connection_credentials,
    connection_session_save,
)

# What each CRM keeps as plain settings, and what as encrypted secrets.
SETTINGS_FIELDS = {
    ConnectionSource.HUBSPOT: ("api_base", "activity_history_days"),
    ConnectionSource.SALESFORCE: (
        "login_url",
        "api_version",
        "auth_flow",
        "client_id",
        "username",
        "multi_currency",
        "activity_history_days",
    ),
}
SECRET_FIELDS = {
    ConnectionSource.HUBSPOT: ("access_token", "client_secret"),
    ConnectionSource.SALESFORCE: ("client_secret", "private_key"),
}
HUBSPOT_PROPERTY = re.compile(r"^[A-Za-z0-9_]+$")


def _check_url(value: str, field: str) -> None:
    if value:
        url = httpx.URL(value)
        if url.scheme not in ("https", "http") or not url.host:
            raise ValidationError({field: _("Enter a URL starting with https://.")})


def connection_save_settings(
    *,
    source: str,
    is_enabled: bool,
    settings: dict[str, Any],
    secrets: dict[str, str],
) -> CrmConnection:
    """Create or update the connection of `source`. A blank secret keeps the stored one, so the
    form never has to show secrets; changed credentials drop the cached CRM session."""
    if source not in ConnectionSource.values:
        raise ValidationError({"source": _("Unknown CRM.")})
    source = ConnectionSource(source)
    clean = {k: settings.get(k) for k in SETTINGS_FIELDS[source] if k in settings}
    for field in ("api_base", "login_url"):
        _check_url(str(clean.get(field) or ""), field)
    if source == ConnectionSource.SALESFORCE and clean.get("auth_flow") not in AuthFlow.ALL:
        raise ValidationError({"auth_flow": _("Choose how Coachline signs in to Salesforce.")})
    with transaction.atomic():
        # Created by the one save below (not get_or_create then save), so the audit log gets one
        # row for it; a concurrent first save of the same source fails on the unique source.
        connection = CrmConnection.objects.select_for_update().defer(
            "credentials", "session"
        ).filter(source=source).first() or CrmConnection(source=source)
        try:
            stored = connection_credentials(connection)
        except CrmError:
            stored = {}  # unreadable (the key changed): the admin is entering them again
        updated = {
            **stored,
            **{k: v for k, v in secrets.items() if v and k in SECRET_FIELDS[source]},
        }
        changed = updated != stored or clean != {k: connection.settings.get(k) for k in clean}
        connection.settings = {**connection.settings, **clean}
        connection.credentials = json.dumps(updated)
        connection.is_enabled = is_enabled
        if changed:
            connection.session = ""
            connection.last_test_ok = None
        try:
            with transaction.atomic():
                connection.save()
        except ImproperlyConfigured as exc:  # no FIELD_ENCRYPTION_KEY in production
            raise ValidationError({NON_FIELD_ERRORS: [str(exc)]}) from None
        except IntegrityError:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: [
                        _("Someone saved this connection at the same time: try again.")
                    ]
                }
            ) from None
    return connection


def connection_save_maps(
    *, connection: CrmConnection, stage_map: Any, field_map: dict[str, str]
) -> CrmConnection:
    """Replace the stage and field maps. Field names are checked, because they reach the CRM's
    query language."""
    try:
        stages = stage_map_clean(stage_map)
    except ValueError as exc:
        raise ValidationError({"stage_map": str(exc)}) from None
    pattern = FIELD_NAME if connection.source == ConnectionSource.SALESFORCE else HUBSPOT_PROPERTY
    fields: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, value in field_map.items():
        name = (value or "").strip()
        if key not in MAPPABLE_FIELDS:
            errors[key] = _("Not a mappable field.")
        elif name and not pattern.match(name):
            errors[key] = _("“%(name)s” is not a field name of this CRM.") % {"name": name}
        elif name:
            fields[key] = name
    if errors:
        raise ValidationError(errors)
    connection.stage_map = stages
    connection.field_map = fields
    connection.save(update_fields=["stage_map", "field_map", "updated_at"])
    return connection


@dataclass(frozen=True)
class TestOutcome:
    ok: bool
    message: str


def connection_test(*, connection: CrmConnection, http: httpx.Client | None = None) -> TestOutcome:
    """Sign in and read a little (stages, owners, a count); record and return what happened.
    No retries: the admin is waiting, and a second click is a retry."""
    client = None
    try:
        client = connection_client(connection, http=http, policy=TEST_POLICY)
        if isinstance(client, HubSpotClient):
            stages, owners = client.pipeline_stages(), client.owners()
            message = _("Connected to HubSpot: %(stages)d pipeline stages, %(owners)d owners.") % {
                "stages": len(stages),
                "owners": len(owners),
            }
        elif isinstance(client, SalesforceClient):
            count, stages = client.count_opportunities(), client.stages()
            message = _("Connected to Salesforce: %(count)d opportunities, %(stages)d stages.") % {
                "count": count,
                "stages": len(stages),
            }
        else:  # pragma: no cover - connection_client only builds the two
            raise CrmError("Unknown CRM.")
        unmapped = [s.id for s in stages if s.id not in connection.stage_map]
        if unmapped:
            message += " " + _("Stages not in the stage map yet: %(ids)s.") % {
                "ids": ", ".join(unmapped[:10])
            }
        outcome = TestOutcome(ok=True, message=message)
    except CrmError as exc:
        outcome = TestOutcome(ok=False, message=str(exc))
    finally:
        if client is not None:
            connection_session_save(connection=connection, client=client)
            client.close()
    if connection.pk:
        CrmConnection.objects.filter(pk=connection.pk).update(
            last_tested_at=timezone.now(),
            last_test_ok=outcome.ok,
            last_test_message=outcome.message[:2000],
        )
    return outcome


def connection_import_stages(*, connection: CrmConnection, http: httpx.Client | None = None) -> int:
    """Add the CRM's stages missing from the stage map, with the status their CRM flags
    suggest (closed+won → won, closed → lost). Mapped stages are left as the admin set them.
    Returns how many were added; raises CrmError when the CRM cannot be read."""
    client = connection_client(connection, http=http, policy=TEST_POLICY)
    try:
        stages = client.pipeline_stages() if isinstance(client, HubSpotClient) else client.stages()
    finally:
        client.close()
    added = {
        s.id: {"status": s.status, "order": s.order, "label": s.label}
        for s in stages
        if s.id not in connection.stage_map
    }
    if added:
        connection.stage_map = {**connection.stage_map, **added}
        connection.save(update_fields=["stage_map", "updated_at"])
    return len(added)


def connection_restart_sync(*, connection: CrmConnection) -> None:
    """Forget the watermark: the next pull reads every deal again (idempotent, just longer)."""
    CrmConnection.objects.filter(pk=connection.pk).update(watermark=None)


def connection_sync_request(*, connection: CrmConnection) -> None:
    """An admin asks for a pull now; queued through the outbox, so a broker outage delays it."""
    outbox_enqueue(task="integrations.tasks.sync_connection", args=[connection.pk])
