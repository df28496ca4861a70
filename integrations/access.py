"""Only admins configure integrations. Everyone else gets 404, as for anything they may not see."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from accounts.http import AuthenticatedRequest
from events.models import WebhookDelivery, WebhookSubscription
from integrations.models import ConnectionSource

View = Callable[..., HttpResponse]


def admin_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_admin_role:
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapped


def source_get_for_admin(*, user: Any, source: str) -> ConnectionSource:
    if not getattr(user, "is_admin_role", False) or source not in ConnectionSource.values:
        raise Http404("No such CRM")
    return ConnectionSource(source)


def subscription_get_for_admin(*, user: Any, subscription_id: int) -> WebhookSubscription:
    if not getattr(user, "is_admin_role", False):
        raise Http404("No such subscription")
    try:
        return WebhookSubscription.objects.get(pk=subscription_id)
    except WebhookSubscription.DoesNotExist:
        raise Http404("No such subscription") from None


def delivery_get_for_admin(*, user: Any, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    if not getattr(user, "is_admin_role", False):
        raise Http404("No such delivery")
    try:
        return WebhookDelivery.objects.get(subscription_id=subscription_id, pk=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise Http404("No such delivery") from None
