from decimal import Decimal
from typing import Any, Final

from rest_framework import serializers

from core.api.row_docs import row_doc_serializer
from deals.models import MAX_ACTIVITY_SECONDS, Deal, DealChange, IngestJob
from deals.schema import ACTIVITY, COLUMNS, DEAL


class DealOutputSerializer(serializers.ModelSerializer[Deal]):
    owner_email = serializers.EmailField(
        source="owner.email",
        default=None,
        allow_null=True,
        help_text="null until the owner is known",
    )

    class Meta:
        model = Deal
        # The deal's columns (deals.schema), with the owner's email beside the owner's id.
        fields = [
            "id",
            *(n for c in COLUMNS for n in ((c, "owner_email") if c == "owner_id" else (c,))),
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


DealBulkRowSerializer: Final = row_doc_serializer(
    "DealBulkRowSerializer",
    __name__,
    DEAL,
    {
        "source": {"help_text": "e.g. salesforce, hubspot, csv; else the request's ?source="},
        "owner_id": {"help_text": "the CRM owner id"},
        "owner_email": {"help_text": "when there is no owner id"},
        "amount": {"min_value": Decimal(0)},
        "currency": {"help_text": "ISO 4217"},
        "closed_at": {"help_text": "required for won and lost"},
        "source_updated_at": {"help_text": "the CRM's last-modified time"},
    },
)
ActivityBulkRowSerializer: Final = row_doc_serializer(
    "ActivityBulkRowSerializer",
    __name__,
    ACTIVITY,
    {
        "source": {"help_text": "e.g. salesforce, hubspot; else the request's ?source="},
        "external_id": {"help_text": "the CRM's id of the activity"},
        "owner_id": {"help_text": "the CRM owner id"},
        "owner_email": {"help_text": "when there is no owner id"},
        "deal_external_id": {
            "help_text": "the CRM id of the deal; kept and attached when the deal arrives later"
        },
        "duration_seconds": {"min_value": 0, "max_value": MAX_ACTIVITY_SECONDS},
        "outcome": {"help_text": "the CRM's outcome, e.g. COMPLETED"},
        "source_updated_at": {"help_text": "the CRM's last-modified time"},
    },
)


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
