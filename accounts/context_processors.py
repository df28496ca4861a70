from typing import Any

from django.http import HttpRequest

from accounts.access import principal_of


def principal(request: HttpRequest) -> dict[str, Any]:
    """`principal` in every template: what the page may show is asked of the policy
    (`{% if principal.sees_only_self %}`), never of the role field."""
    return {"principal": principal_of(getattr(request, "user", None))}
