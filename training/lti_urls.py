"""LTI 1.3 tool URLs (docs/content-standards.md): what a platform calls, and the admin's
registrations page."""

from django.urls import path

from training.views import lti

app_name = "lti"

urlpatterns = [
    path("login/", lti.lti_login, name="login"),
    path("launch/", lti.lti_launch, name="launch"),
    path("jwks/", lti.lti_jwks, name="jwks"),
    path("deep-link/<str:launch_id>/", lti.lti_deep_link, name="deep_link"),
    path("platforms/", lti.lti_platforms, name="platforms"),
    path("platforms/new/", lti.lti_platform_edit, name="platform_new"),
    path("platforms/<int:pk>/", lti.lti_platform_edit, name="platform"),
]
