from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from accounts.models import ApiKey
from core.audit import audit_actor_api_key


class BearerKeyParser(KeyParser):
    keyword = "Bearer"


class InvalidApiKey(Exception):
    pass


def api_key_from_request(request: HttpRequest) -> ApiKey | None:
    """The key of `Authorization: Bearer <key>` (None without the header); InvalidApiKey for an
    unknown, revoked or expired one. Marks the key used and the audit log's actor."""
    raw = BearerKeyParser().get(request)
    if raw is None:
        return None
    try:
        key: ApiKey = ApiKey.objects.get_from_key(raw)  # type: ignore[assignment]
    except ApiKey.DoesNotExist:
        raise InvalidApiKey from None
    if not key.is_valid(raw) or key.revoked or key.has_expired:
        raise InvalidApiKey
    # One UPDATE, and only when the minute changed, so busy integrations do not hammer the row.
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    audit_actor_api_key(key_id=key.pk, name=key.name)
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`. request.user stays anonymous; request.auth is the key."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        try:
            key = api_key_from_request(request._request)
        except InvalidApiKey:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.") from None
        return None if key is None else (AnonymousUser(), key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
