"""Deals as the CRM reports them, their dated history, and the bookkeeping of their ingestion.

A deal is identified by (source, external_id), never by our primary key, so that any CRM can
re-send it safely. `source_updated_at` is the CRM's own last-modified time: ingestion only ever
moves a deal forward in that time (older rows are "stale").
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Deal(models.Model):
    source = models.CharField(_("source"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=128)
    # No index of its own: the (owner, …) indexes below serve every lookup by owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        db_index=False,
    )
    # The CRM's owner id (or email) as sent: kept so that mapping the owner later attaches the deal.
    owner_external_id = models.CharField(_("CRM owner"), max_length=254, blank=True)
    name = models.CharField(_("name"), max_length=255)
    account_name = models.CharField(_("account"), max_length=255, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    stage = models.CharField(_("stage"), max_length=100)
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    created_at = models.DateTimeField(_("created"))  # the CRM's creation time
    expected_close_date = models.DateField(_("expected close"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    loss_reason = models.CharField(_("loss reason"), max_length=255, blank=True)
    has_compelling_deadline = models.BooleanField(_("compelling deadline"), null=True)
    has_economic_buyer = models.BooleanField(_("economic buyer reached"), null=True)
    has_champion = models.BooleanField(_("champion"), null=True)
    has_decision_process = models.BooleanField(_("decision process known"), null=True)
    has_metrics = models.BooleanField(_("metrics agreed"), null=True)
    source_updated_at = models.DateTimeField(_("CRM last modified"))
    ingested_at = models.DateTimeField(_("ingested"), default=timezone.now)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="deals_deal_source_external_id_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deals_deal_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(status__in=DealStatus.values), name="deals_deal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=DealStatus.OPEN) | Q(closed_at__isnull=False),
                name="deals_deal_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("created_at")),
                name="deals_deal_closed_after_created",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="deals_deal_owner_status_idx"),
            models.Index(fields=["owner", "closed_at"], name="deals_deal_owner_closed_idx"),
            models.Index(fields=["owner", "created_at"], name="deals_deal_owner_created_idx"),
            # The unmatched-owners page and the attach step look deals up by CRM owner.
            models.Index(
                fields=["source", "owner_external_id"],
                condition=Q(owner__isnull=True),
                name="deals_deal_unmatched_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == DealStatus.OPEN


class DealField(models.TextChoices):
    STAGE = "stage", _("Stage")
    STATUS = "status", _("Status")
    AMOUNT = "amount", _("Amount")
    EXPECTED_CLOSE_DATE = "expected_close_date", _("Expected close date")


class DealChange(models.Model):
    """One dated change of a tracked field.

    Ingestion records no row for a deal's first values: a field's value at creation is the old
    value of its first change, or the deal's current value when it never changed (readers use
    deals.selectors.deal_history). Rows with an empty old value are a field first recorded: the
    CRM's own field history, or deals ingested before that rule (both are still read correctly).

    Values are text: ISO dates, plain decimals, choice values. `changed_at` is the CRM's time (the
    `source_updated_at` of the row that brought the change, or the CRM's own field-history time).
    """

    # No index of its own: the unique event key below starts with deal_id.
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="changes", db_index=False)
    field = models.CharField(_("field"), max_length=32, choices=DealField.choices)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    changed_at = models.DateTimeField(_("changed"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("deal change")
        verbose_name_plural = _("deal changes")
        ordering = ["changed_at", "id"]
        constraints = [
            # Makes replays of the same CRM field history harmless.
            models.UniqueConstraint(
                fields=["deal", "field", "changed_at", "new_value"],
                name="deals_change_unique_event",
            ),
        ]
        indexes = [
            models.Index(fields=["field", "changed_at"], name="deals_change_field_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class ExchangeRate(models.Model):
    """Home-currency units per one unit of `currency`, valid from a date until the next rate."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=10)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "valid_from"], name="deals_rate_currency_date_unique"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="deals_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.valid_from})"


class ActivityKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")


# The longest activity a CRM may report (a multi-day on-site workshop); longer is a typo.
MAX_ACTIVITY_SECONDS = 7 * 24 * 3600


class Activity(models.Model):
    """A meeting, call or email the CRM logged, identified like a deal by (source, external_id).

    The owner and the deal are resolved when the row arrives; when either is not known yet the
    CRM's ids are kept (`owner_external_id`, `deal_external_id`) and the activity is attached
    later, when the owner is mapped or the deal is ingested, the same way ownerless deals are.
    """

    source = models.CharField(_("source"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=128)
    kind = models.CharField(_("kind"), max_length=8, choices=ActivityKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        db_index=False,  # served by the (owner, occurred_at) index
    )
    owner_external_id = models.CharField(_("CRM owner"), max_length=254, blank=True)
    deal = models.ForeignKey(
        Deal,
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        db_index=False,  # served by the (deal, occurred_at) index
    )
    deal_external_id = models.CharField(_("CRM deal"), max_length=128, blank=True)
    occurred_at = models.DateTimeField(_("occurred"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=100, blank=True)
    source_updated_at = models.DateTimeField(_("CRM last modified"))
    ingested_at = models.DateTimeField(_("ingested"), default=timezone.now)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="deals_activity_source_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values), name="deals_activity_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__isnull=True)
                | Q(duration_seconds__lte=MAX_ACTIVITY_SECONDS),
                name="deals_activity_duration_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "occurred_at"], name="deals_activity_owner_time_idx"),
            models.Index(fields=["deal", "occurred_at"], name="deals_activity_deal_time_idx"),
            # Attaching activities when their deal or owner arrives looks them up by CRM id.
            models.Index(
                fields=["source", "deal_external_id"],
                condition=Q(deal__isnull=True) & ~Q(deal_external_id=""),
                name="deals_activity_dealless_idx",
            ),
            models.Index(
                fields=["source", "owner_external_id"],
                condition=Q(owner__isnull=True),
                name="deals_activity_unmatched_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"


class IngestJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class IngestJobKind(models.TextChoices):
    API = "api", _("Bulk API")
    CSV = "csv", _("CSV import")


class IngestEntity(models.TextChoices):
    DEALS = "deals", _("Deals")
    ACTIVITIES = "activities", _("Activities")


class IngestJob(TimeStampedModel):
    """A large ingestion processed by Celery in chunks; the counts grow as chunks finish."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=IngestJobKind.choices, default=IngestJobKind.API)
    # What the rows are: deals, or CRM activities (both go through the same chunked job).
    entity = models.CharField(
        max_length=10, choices=IngestEntity.choices, default=IngestEntity.DEALS
    )
    status = models.CharField(
        max_length=8, choices=IngestJobStatus.choices, default=IngestJobStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_by_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL
    )
    default_source = models.CharField(max_length=32, blank=True)
    received = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    stale = models.PositiveIntegerField(default=0)
    # [{index, external_id, field, message}], index counted over the whole body.
    errors = models.JSONField(default=list, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ingest job")
        verbose_name_plural = _("ingest jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"


class IngestChunk(models.Model):
    """Rows of a job not yet processed (JSON text). Deleted in the transaction that ingests them,
    so a retried task never ingests a chunk twice."""

    job = models.ForeignKey(IngestJob, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    first_index = models.PositiveIntegerField()
    payload = models.TextField()

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["job", "seq"], name="deals_chunk_job_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} #{self.seq}"


class CsvColumnMapping(TimeStampedModel):
    """The CSV column chosen for each deal field, remembered per source for the next upload."""

    source = models.CharField(_("source"), max_length=32, unique=True)
    columns = models.JSONField(_("columns"), default=dict)  # {deal field: CSV header}

    class Meta:
        verbose_name = _("CSV column mapping")
        verbose_name_plural = _("CSV column mappings")

    def __str__(self) -> str:
        return self.source


class CsvUpload(TimeStampedModel):
    """An uploaded CSV between upload, mapping and import (decoded text, checked on upload)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.CharField(_("source"), max_length=32)
    filename = models.CharField(max_length=255)
    content = models.TextField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.OneToOneField(
        IngestJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="csv_upload"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename
