from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import scim_views
from accounts import views as accounts_views
from core import csp_reports, health
from home import views as home_views

handler404 = "core.api.errors.page_not_found"

admin.site.site_header = _("Coachline administration")
admin.site.site_title = _("Coachline")

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("training.api.urls")),
    path("", include("deals.api.urls")),
    path("", include("tools.api.urls")),
    path("", include("coaching.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("roi.api.urls")),
    path("", include("events.api.urls")),
]

urlpatterns = [
    path("", home_views.home, name="home"),
    path("search/", home_views.search, name="search"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("csp-report/", csp_reports.csp_report, name="csp-report"),
    path("accounts/", include("accounts.urls")),
    path("learn/", include("training.urls")),
    path("lti/", include("training.lti_urls")),
    path("notifications/", include("notifications.urls")),
    path("deals/", include("deals.urls")),
    path("tools/", include("tools.urls")),
    path("coaching/", include("coaching.urls")),
    path("practice/", include("practice.urls")),
    path("impact/", include("roi.urls")),
    path("integrations/", include("integrations.urls")),
    # Django's set_language, also saving a signed-in person's choice to their profile.
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    # Every login goes through the site's form: lockout, then the two-factor code if enrolled.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # SCIM 2.0 provisioning (accounts.scim): the root, then every resource path under it.
    path("scim/v2", scim_views.scim, name="scim_root"),
    path("scim/v2/<path:path>", scim_views.scim, name="scim"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP forbids inline scripts.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]
