"""Read-only views for operators. Connections are configured on the Integrations pages, which
keep secrets encrypted and never show them; the admin shows neither."""

from django.contrib import admin
from django.http import HttpRequest

from integrations.models import CrmConnection, SyncRowError, SyncRun, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CrmConnection)
class CrmConnectionAdmin(ReadOnlyAdmin):
    list_display = ["source", "is_enabled", "watermark", "last_success_at", "rows_synced"]
    exclude = ["credentials", "session"]

    def get_queryset(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).defer("credentials", "session")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "connection", "kind", "status", "received", "created", "errors"]
    list_filter = ["connection", "kind", "status"]
    list_select_related = ["connection"]


@admin.register(SyncRowError)
class SyncRowErrorAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "connection", "external_id", "field", "message"]
    list_filter = ["connection", "field"]
    search_fields = ["external_id", "message"]
    list_select_related = ["connection"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "event_type", "event_id", "object_id", "status", "note"]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "object_id"]
