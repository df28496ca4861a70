from typing import Any

from rest_framework import serializers

from deals.models import (
    MAX_ACTIVITY_SECONDS,
    ActivityKind,
    Deal,
    DealChange,
    DealStatus,
    IngestJob,
)


class DealOutputSerializer(serializers.ModelSerializer[Deal]):
    owner_email = serializers.EmailField(
        source="owner.email",
        default=None,
        allow_null=True,
        help_text="null until the owner is known",
    )

    class Meta:
        model = Deal
        fields = [
            "id",
            "source",
            "external_id",
            "owner_id",
            "owner_email",
            "owner_external_id",
            "name",
            "account_name",
            "amount",
            "currency",
            "stage",
            "status",
            "created_at",
            "expected_close_date",
            "closed_at",
            "loss_reason",
            "has_compelling_deadline",
            "has_economic_buyer",
            "has_champion",
            "has_decision_process",
            "has_metrics",
            "source_updated_at",
            "ingested_at",
        ]


class DealChangeOutputSerializer(serializers.ModelSerializer[DealChange]):
    class Meta:
        model = DealChange
        fields = ["field", "old_value", "new_value", "changed_at", "recorded_at"]


class DealDetailOutputSerializer(DealOutputSerializer):
    history = DealChangeOutputSerializer(source="changes", many=True)

    class Meta(DealOutputSerializer.Meta):
        fields = [*DealOutputSerializer.Meta.fields, "history"]


class DealBulkRowSerializer(serializers.Serializer[Any]):
    """Documentation only: the bulk endpoint validates rows itself, row by row (msgspec)."""

    source = serializers.CharField(help_text="e.g. salesforce, hubspot, csv")  # type: ignore[assignment]
    external_id = serializers.CharField()
    owner_id = serializers.CharField(required=False, help_text="the CRM owner id")
    owner_email = serializers.EmailField(required=False, help_text="when there is no owner id")
    name = serializers.CharField()
    account_name = serializers.CharField(required=False)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=0)
    currency = serializers.CharField(help_text="ISO 4217")
    stage = serializers.CharField()
    status = serializers.ChoiceField(choices=DealStatus.choices)
    created_at = serializers.DateTimeField()
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    closed_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="required for won and lost"
    )
    loss_reason = serializers.CharField(required=False, allow_blank=True)
    has_compelling_deadline = serializers.BooleanField(required=False, allow_null=True)
    has_economic_buyer = serializers.BooleanField(required=False, allow_null=True)
    has_champion = serializers.BooleanField(required=False, allow_null=True)
    has_decision_process = serializers.BooleanField(required=False, allow_null=True)
    has_metrics = serializers.BooleanField(required=False, allow_null=True)
    source_updated_at = serializers.DateTimeField(help_text="the CRM's last-modified time")


class ActivityBulkRowSerializer(serializers.Serializer[Any]):
    """Documentation only: the bulk endpoint validates rows itself, row by row (msgspec)."""

    source = serializers.CharField(help_text="e.g. salesforce, hubspot")  # type: ignore[assignment]
    external_id = serializers.CharField(help_text="the CRM's id of the activity")
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    owner_id = serializers.CharField(required=False, help_text="the CRM owner id")
    owner_email = serializers.EmailField(required=False, help_text="when there is no owner id")
    deal_external_id = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="the CRM id of the deal; kept and attached when the deal arrives later",
    )
    occurred_at = serializers.DateTimeField()
    duration_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_ACTIVITY_SECONDS
    )
    outcome = serializers.CharField(
        required=False, allow_blank=True, help_text="the CRM's outcome, e.g. COMPLETED"
    )
    source_updated_at = serializers.DateTimeField(help_text="the CRM's last-modified time")


class DealRowErrorSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    external_id = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class DealBulkResultSerializer(serializers.Serializer[Any]):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    stale = serializers.IntegerField()
    errors = DealRowErrorSerializer(many=True)  # type: ignore[assignment]


class DealBulkAcceptedSerializer(serializers.Serializer[Any]):
    job = serializers.UUIDField()
    status_url = serializers.URLField()


class IngestJobOutputSerializer(serializers.ModelSerializer[IngestJob]):
    class Meta:
        model = IngestJob
        fields = [
            "id",
            "kind",
            "entity",
            "status",
            "received",
            "created",
            "updated",
            "unchanged",
            "stale",
            "errors",
            "chunks_total",
            "chunks_done",
            "failure",
            "created_at",
            "started_at",
            "finished_at",
        ]
