from typing import Self

from django.db import models

from core.encryption import EncryptedTextField


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SingletonModel(models.Model):
    """A table of one row, pk=1: an installation's settings. `current()` reads it, creating it
    with its defaults the first time."""

    class Meta:
        abstract = True

    @classmethod
    def current(cls) -> Self:
        row, _created = cls._default_manager.get_or_create(pk=1)
        return row


class Organization(SingletonModel):
    """The one organisation this installation serves (a singleton row, pk=1)."""

    name = models.CharField(max_length=120, default="Coachline")
    home_currency = models.CharField(
        max_length=3,
        default="USD",
        help_text="ISO 4217 code; reports convert deal amounts into it.",
    )

    class Meta:
        verbose_name = "organization"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="core_organization_singleton"),
        ]

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` on a create, claimed before the create runs.

    One row per (principal, key): the unique constraint is what stops two simultaneous requests
    with the same key from both running. `status_code` stays null while the first request runs;
    the answer is stored in the same transaction as the write it describes. Kept 24 hours.
    """

    principal = models.CharField(max_length=160, help_text="user:<id> or apikey:<id>")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    claimed_at = models.DateTimeField(help_text="when the running request took it (its lease)")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Encrypted: an answer can carry a secret shown once (a calendar feed address).
    response_body = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="core_idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"


class OutboxMessage(models.Model):
    """A Celery task to send once the transaction that wrote this row commits (transactional
    outbox, see core/outbox.py and docs/decisions/0009-transactional-outbox-for-celery.md)."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A relay that claimed the row publishes it before then; after it, any relay may try again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "outbox message"
        indexes = [
            models.Index(
                fields=["created_at"],
                name="core_outbox_pending",
                condition=models.Q(published_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task}{self.args}"
