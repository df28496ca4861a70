import json
from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import get_application_model

from tests.identity.oidc_provider.validator import CONTROL


@csrf_exempt
def control(request: HttpRequest) -> JsonResponse:
    """Test hook (this provider only): set the tamper mode and claims, register redirect URIs."""
    data: dict[str, Any] = json.loads(request.body or b"{}")
    for key in ("tamper", "email", "name", "groups", "verified"):
        if key in data:
            CONTROL[key] = data[key]
    if "redirect_uris" in data:
        app = get_application_model().objects.get(client_id="coachline")
        app.redirect_uris = " ".join(data["redirect_uris"])
        app.post_logout_redirect_uris = " ".join(data.get("post_logout_redirect_uris", []))
        app.save()
    return JsonResponse(CONTROL)


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="provider_login.html")),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("test/control", control),
]
