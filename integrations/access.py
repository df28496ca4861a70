"""Only admins configure integrations. Everyone else gets 404, as for anything they may not see."""

from typing import Any

from django.http import Http404

from accounts.access import admin_required, is_admin
from events.models import WebhookDelivery, WebhookSubscription
from integrations.models import ConnectionSource

__all__ = ["admin_required"]


def source_get_for_admin(*, user: Any, source: str) -> ConnectionSource:
    if not is_admin(user) or source not in ConnectionSource.values:
        raise Http404("No such CRM")
    return ConnectionSource(source)


def subscription_get_for_admin(*, user: Any, subscription_id: int) -> WebhookSubscription:
    if not is_admin(user):
        raise Http404("No such subscription")
    try:
        return WebhookSubscription.objects.get(pk=subscription_id)
    except WebhookSubscription.DoesNotExist:
        raise Http404("No such subscription") from None


def delivery_get_for_admin(*, user: Any, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    if not is_admin(user):
        raise Http404("No such delivery")
    try:
        return WebhookDelivery.objects.get(subscription_id=subscription_id, pk=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise Http404("No such delivery") from None
