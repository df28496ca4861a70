from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedTextField
from core.models import TimeStampedModel


class EventType(models.TextChoices):
    COURSE_COMPLETED = "course.completed", _("Course completed")
    PROGRAM_COMPLETED = "program.completed", _("Program completed")
    COACHING_SESSION_COMPLETED = "coaching.session_completed", _("Coaching session completed")
    COACHING_COMMITMENT_CHECKED = "coaching.commitment_checked", _("Commitment checked")


class WebhookSubscription(TimeStampedModel):
    """A subscriber URL that receives the chosen event types, signed with its own secret."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list)
    # Encrypted at rest: we must read it back to sign each delivery, so it cannot be hashed.
    secret = EncryptedTextField(_("signing secret"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return self.is_active and event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event to one subscriber: the exact body we sign and send, and how sending went."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event id"))
    event_type = models.CharField(_("event type"), max_length=64, choices=EventType.choices)
    # Stored as sent so that every retry carries the same bytes (and the same signature input).
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # A worker holds a delivery until this time; a crashed worker's claim simply expires.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="events_delivery_once_per_subscriber"
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="events_delivery_log"),
            models.Index(fields=["status", "next_attempt_at"], name="events_delivery_due"),
            models.Index(fields=["created_at"], name="events_delivery_age"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id}"
