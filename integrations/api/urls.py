from django.urls import path

from integrations.api import views

urlpatterns = [
    path(
        "integrations/hubspot/webhook",
        views.HubSpotWebhookApi.as_view(),
        name="integrations-hubspot-webhook",
    ),
]
