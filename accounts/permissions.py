from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.access import principal_has_scope_or_role
from accounts.models import ApiKey


def request_principal(request: Request) -> Any:
    return request.auth if isinstance(request.auth, ApiKey) else request.user


class IsAuthenticatedOrApiKey(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiKey) or bool(
            request.user and request.user.is_authenticated
        )


class ScopeOrRole(BasePermission):
    """The view names `required_scope` (for keys) and `allowed_roles` (for people).

    Admins always pass. Views without `required_scope` accept any authenticated principal.
    Reads that only need visibility leave `required_scope` to the read scope of the resource.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = getattr(view, "required_scope", None)
        if scope is None:
            return IsAuthenticatedOrApiKey().has_permission(request, view)
        roles = tuple(getattr(view, "allowed_roles", ()))
        return principal_has_scope_or_role(request_principal(request), scope=scope, roles=roles)
