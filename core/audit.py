"""The audit log (django-auditlog): who changed a role, a team, a program's costs or plan, ROI
settings, an API key or a CRM connection, or deleted an assignment. Which fields are tracked is
declared once, in settings.AUDITLOG_INCLUDE_TRACKING_MODELS; rows are written by auditlog as the
models are saved or deleted, whatever path (page, API, admin, command) made the change.

The actor is the signed-in user, or the API key a request authenticated with (kept in the row's
`additional_data`, since auditlog's actor is a user); the address is the client's own
(core.proxies), never an X-Forwarded-For a client sent itself.
"""

import datetime as dt
from typing import Any

from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from core.proxies import client_ip


class AuditMiddleware(AuditlogMiddleware):
    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request) or None

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        return None


def audit_actor_api_key(*, key_id: str, name: str) -> None:
    """The request acts as this API key: rows it writes from here on name the key."""
    try:
        context: dict[str, Any] = auditlog_value.get()
    except LookupError:  # outside a request (a task, a command): nothing to mark
        return
    context["additional_data"] = {"api_key": {"id": key_id, "name": name}}


def mask_secret(value: str) -> str:
    """A secret's change is recorded, never its value (not even part of it). "None" is how the
    diff spells a secret that was not there: it is kept, so creation reads as such."""
    return value if value in ("", "None") else "(hidden)"


def audit_log_prune(*, now: dt.datetime | None = None) -> int:
    """Delete rows older than AUDITLOG_RETENTION_DAYS; returns how many went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.AUDITLOG_RETENTION_DAYS)
    deleted, _by_model = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
    return deleted
