from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    path("webhooks/new/", views.subscription_new, name="subscription_new"),
    path("webhooks/<int:subscription_id>/", views.subscription_detail, name="subscription"),
    path(
        "webhooks/<int:subscription_id>/rotate-secret",
        views.subscription_rotate_secret,
        name="subscription_rotate_secret",
    ),
    path(
        "webhooks/<int:subscription_id>/send-test",
        views.subscription_send_test,
        name="subscription_send_test",
    ),
    path(
        "webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver",
        views.delivery_redeliver,
        name="delivery_redeliver",
    ),
    path("<str:source>/", views.connection_page, name="connection"),
    path("<str:source>/settings", views.connection_settings, name="connection_settings"),
    path("<str:source>/maps", views.connection_maps, name="connection_maps"),
    path("<str:source>/test", views.connection_test_view, name="connection_test"),
    path(
        "<str:source>/import-stages",
        views.connection_import_stages_view,
        name="connection_import_stages",
    ),
    path("<str:source>/sync", views.connection_sync_now, name="connection_sync"),
]
