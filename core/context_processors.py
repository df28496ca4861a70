from typing import Any

from django.http import HttpRequest

from core.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu the apps declared (core.navigation), as the signed-in person sees it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": menu_for(user=user, path=request.path)}
