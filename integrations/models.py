"""CRM connections, their pull-sync runs and row errors, and the webhook events already seen."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedTextField
from core.models import TimeStampedModel


class ConnectionSource(models.TextChoices):
    HUBSPOT = "hubspot", "HubSpot"
    SALESFORCE = "salesforce", "Salesforce"


# The qualification facts a CRM field can feed (deals.Deal's nullable booleans), plus the two
# free-text fields some CRMs keep in custom fields.
QUALIFICATION_FACTS = (
    "has_compelling_deadline",
    "has_economic_buyer",
    "has_champion",
    "has_decision_process",
    "has_metrics",
)
MAPPABLE_FIELDS = (*QUALIFICATION_FACTS, "account_name", "loss_reason")


class CrmConnection(TimeStampedModel):
    """How Coachline reaches one CRM (one connection per source).

    `credentials` holds the secrets as encrypted JSON (HubSpot: access_token, client_secret;
    Salesforce: client_secret or private_key). `settings` holds what is not secret (HubSpot:
    api_base; Salesforce: login_url, api_version, auth_flow, client_id, username,
    multi_currency). `stage_map` is {stage id: {"status": open|won|lost, "order": int,
    "label": str}}; `field_map` is {fact: CRM field name}.
    """

    source = models.CharField(
        _("CRM"), max_length=16, choices=ConnectionSource.choices, unique=True
    )
    is_enabled = models.BooleanField(_("sync enabled"), default=False)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    credentials = EncryptedTextField(_("credentials"), blank=True, default="")
    # An OAuth access token we obtained (Salesforce), reused until the CRM answers 401.
    session = EncryptedTextField(blank=True, default="")
    stage_map = models.JSONField(_("stage map"), default=dict, blank=True)
    field_map = models.JSONField(_("field map"), default=dict, blank=True)
    # The CRM last-modified time up to which every row is committed; the next pull starts here.
    watermark = models.DateTimeField(_("synced up to"), null=True, blank=True)
    # Activities (meetings, calls, emails) are pulled as separate streams (HubSpot meetings,
    # calls, emails; Salesforce Event, Task), each with its own watermark: {stream: ISO time}.
    activity_watermarks = models.JSONField(_("activities synced up to"), default=dict, blank=True)
    # One pull at a time per connection: a run holds this lease (longer than Celery's task time
    # limit), so an overlapping beat tick skips instead of pulling the same pages twice.
    sync_claimed_until = models.DateTimeField(null=True, blank=True)
    last_sync_started_at = models.DateTimeField(_("last sync started"), null=True, blank=True)
    last_sync_finished_at = models.DateTimeField(_("last sync finished"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful sync"), null=True, blank=True)
    rows_synced = models.PositiveBigIntegerField(_("rows synced"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_tested_at = models.DateTimeField(_("last tested"), null=True, blank=True)
    last_test_ok = models.BooleanField(_("last test passed"), null=True)
    last_test_message = models.TextField(_("last test result"), blank=True)

    class Meta:
        ordering = ["source"]
        verbose_name = _("CRM connection")
        verbose_name_plural = _("CRM connections")

    def __str__(self) -> str:
        return self.get_source_display()

    def setting(self, name: str, default: Any = "") -> Any:
        return self.settings.get(name, default) if isinstance(self.settings, dict) else default


class SyncKind(models.TextChoices):
    PULL = "pull", _("Pull")
    WEBHOOK = "webhook", _("Webhook")


class SyncStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    # Stopped by the CRM's rate limit; the next run resumes from the watermark.
    RATE_LIMITED = "rate_limited", _("Paused by rate limit")
    FAILED = "failed", _("Failed")


class SyncRun(models.Model):
    """One pull (or one batch of webhook events): what came in and how it ended."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=8, choices=SyncKind.choices, default=SyncKind.PULL)
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    watermark_from = models.DateTimeField(null=True, blank=True)
    watermark_to = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(_("received"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    stale = models.PositiveIntegerField(_("stale"), default=0)
    errors = models.PositiveIntegerField(_("row errors"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        indexes = [models.Index(fields=["connection", "-started_at"], name="integ_run_recent")]

    def __str__(self) -> str:
        return f"{self.connection} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class SyncRowError(models.Model):
    """A CRM row that could not be ingested; shown on the connection page so it can be fixed."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="row_errors")
    connection = models.ForeignKey(
        CrmConnection, on_delete=models.CASCADE, related_name="row_errors"
    )
    external_id = models.CharField(_("CRM id"), max_length=128, blank=True)
    field = models.CharField(_("field"), max_length=64, blank=True)
    message = models.CharField(_("message"), max_length=500)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("row error")
        verbose_name_plural = _("row errors")
        indexes = [
            models.Index(fields=["connection", "-created_at"], name="integ_rowerr_recent"),
            # A row that ingests cleanly clears its earlier errors (looked up by CRM id).
            models.Index(fields=["connection", "external_id"], name="integ_rowerr_by_id"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.message}"


class WebhookEventStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSED = "processed", _("Processed")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class WebhookEvent(models.Model):
    """A CRM webhook event we accepted. Its id makes a replayed or retried delivery a no-op."""

    source = models.CharField(max_length=16, choices=ConnectionSource.choices)
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=128)
    property_name = models.CharField(max_length=128, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=WebhookEventStatus.choices, default=WebhookEventStatus.PENDING
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("CRM webhook event")
        verbose_name_plural = _("CRM webhook events")
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="integ_webhook_event_once"),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="integ_event_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.event_id} {self.event_type}"
