from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from accounts.models import ApiKey
from core.audit import audit_actor_api_key


class BearerKeyParser(KeyParser):
    keyword = "Bearer"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`. request.user stays anonymous; request.auth is the key."""

    parser = BearerKeyParser()

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = self.parser.get(request._request)
        if raw is None:
            return None
        try:
            key: ApiKey = ApiKey.objects.get_from_key(raw)  # type: ignore[assignment]
        except ApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.") from None
        if not key.is_valid(raw) or key.revoked or key.has_expired:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        # One UPDATE, and only when the minute changed, so busy integrations do not hammer the row.
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        audit_actor_api_key(key_id=key.pk, name=key.name)
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
