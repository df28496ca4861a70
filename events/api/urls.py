from django.urls import path

from events.api import views

urlpatterns = [
    path("events/schemas/", views.EventSchemaListApi.as_view(), name="event-schema-list"),
    path(
        "events/schemas/<str:event_type>.json",
        views.EventSchemaApi.as_view(),
        name="event-schema",
    ),
]
