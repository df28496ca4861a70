from django.urls import path

from roi.api import views
from roi.api.efficiency import EfficiencyApi

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
    path("roi/efficiency", EfficiencyApi.as_view(), name="roi-efficiency"),
    path("roi/settings", views.RoiSettingsApi.as_view(), name="roi-settings"),
]
