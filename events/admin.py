from django.contrib import admin
from django.http import HttpRequest

from events.models import WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    """Read-mostly: subscribers are managed on the Integrations page, which shows the secret."""

    list_display = ["name", "url", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    """The delivery log, filterable per subscriber. Read only: deliveries are facts."""

    list_display = [
        "created_at",
        "subscription",
        "event_type",
        "status",
        "attempts",
        "response_code",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type", "subscription"]
    list_select_related = ["subscription"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
