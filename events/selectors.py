from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from events.models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def webhook_subscription_list() -> QuerySet[WebhookSubscription]:
    """Subscribers with their delivery counts, in one query; the secret is not loaded."""
    return (
        WebhookSubscription.objects.defer("secret")
        .annotate(
            delivered_count=Count(
                "deliveries", filter=Q(deliveries__status=DeliveryStatus.SUCCEEDED)
            ),
            pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            last_delivery_at=Max("deliveries__created_at"),
        )
        .order_by("name", "pk")
    )


def webhook_subscription_get(*, subscription_id: int) -> WebhookSubscription | None:
    return WebhookSubscription.objects.filter(pk=subscription_id).first()


@dataclass(frozen=True)
class DeliveryLogPage:
    deliveries: list[WebhookDelivery]
    has_more: bool


def webhook_delivery_log(
    *, subscription: WebhookSubscription, status: str | None = None, limit: int = 50
) -> DeliveryLogPage:
    """The newest deliveries to one subscriber, in one query (one extra row tells "more")."""
    qs = WebhookDelivery.objects.filter(subscription=subscription).defer("body")
    if status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    rows = list(qs.order_by("-created_at", "-pk")[: limit + 1])
    return DeliveryLogPage(deliveries=rows[:limit], has_more=len(rows) > limit)
