"""Notifications: the in-app row each person sees, their channel choices, and one delivery row
per outside channel (email, Slack, Teams) that the outbox sends after commit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedTextField
from notifications.kinds import Channel, Kind


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Everything the text needs, as strings (dates in ISO form); rendered in the viewer's
    # language when shown (notifications.kinds.notification_text).
    params = models.JSONField(_("details"), default=dict)
    # A path on this site ("/learn/courses/x/"), never an outside address.
    url = models.CharField(_("link"), max_length=500, blank=True)
    # False when the person turned the in-app channel off for this kind: the row still anchors
    # the email/Slack/Teams deliveries, but the centre does not list it.
    is_shown = models.BooleanField(default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_recent"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True, is_shown=True),
                name="notif_recipient_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.kind}"


class NotificationPreference(models.Model):
    """One stored choice: this person wants (or not) this kind on this channel. Without a row the
    default in notifications.kinds.channel_default applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    is_enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="notif_preference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind} · {self.channel}: {self.is_enabled}"


class NotificationAddress(models.Model):
    """Where a person's Slack and Teams notices go. Slack finds the person by their email through
    the workspace's bot (the member id is remembered); Teams posts to the incoming webhook (or
    Workflows URL) the person set up for a chat or channel of their own."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_address"
    )
    teams_webhook_url = EncryptedTextField(_("Teams webhook URL"), blank=True, default="")
    slack_user_id = models.CharField(max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return str(self.user)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class NotificationDelivery(models.Model):
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # A sender holds the delivery until then; one that died lets it expire and the sweep resends.
    claimed_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="notif_delivery_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notif_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} · {self.channel}: {self.status}"
