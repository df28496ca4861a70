from collections.abc import Callable
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.access import Actor, Principal, admins_only, principal_of
from accounts.models import ApiKey

PersonRule = Callable[[Principal], bool]


def request_principal(request: Request) -> Any:
    """The request's key, or its person (the actor the apps' access helpers take)."""
    return request.auth if isinstance(request.auth, ApiKey) else request.user


def principal_of_request(request: Request) -> Principal:
    actor: Actor = request_principal(request)
    return principal_of(actor)


class IsAuthenticatedOrApiKey(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiKey) or bool(
            request.user and request.user.is_authenticated
        )


class ScopeOrRule(BasePermission):
    """The view names `required_scope` (for keys) and `person_rule` (for people: one of the
    rules in accounts.access, default admins only).

    Admins always pass. Views without `required_scope` accept any authenticated principal.
    Reads that only need visibility leave `required_scope` to the read scope of the resource.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = getattr(view, "required_scope", None)
        if scope is None:
            return IsAuthenticatedOrApiKey().has_permission(request, view)
        rule: PersonRule = getattr(view, "person_rule", admins_only)
        principal = principal_of_request(request)
        return principal.has_scope_or(scope=scope, person_rule=rule(principal))
