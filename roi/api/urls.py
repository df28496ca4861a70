from django.urls import path

from roi.api import views

urlpatterns = [
    path(
        "roi/programs/<slug:slug>/impact",
        views.ProgramImpactApi.as_view(),
        name="roi-program-impact",
    ),
    path(
        "roi/coaching/<slug:kind>/impact",
        views.CoachingImpactApi.as_view(),
        name="roi-coaching-impact",
    ),
    path("roi/settings", views.RoiSettingsApi.as_view(), name="roi-settings"),
]
