import datetime as dt
from decimal import Decimal
from typing import Any, Final

import msgspec
from rest_framework import serializers

from deals.models import MAX_ACTIVITY_SECONDS, Deal, DealChange, IngestJob
from deals.schema import ACTIVITY, COLUMNS, DEAL, RecordSchema, value_types


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


def _bulk_row_doc_field(
    schema: RecordSchema, info: msgspec.structs.FieldInfo, options: dict[str, Any]
) -> serializers.Field[Any, Any, Any, Any]:
    """A documentation field for one declared row field: its type from the struct, its length,
    decimals and choices from the model."""
    types = value_types(info.type)
    if not info.required:
        options = {"required": False, "allow_null": True, **options}
    stored = schema.model_field(info.name)
    if types == {Decimal}:
        digits, places = schema.decimal_shape(info.name)
        return serializers.DecimalField(max_digits=digits, decimal_places=places, **options)
    if types == {int}:
        return serializers.IntegerField(**options)
    if types == {dt.datetime}:
        return serializers.DateTimeField(**options)
    if types == {dt.date}:
        return serializers.DateField(**options)
    if types == {bool}:
        return serializers.BooleanField(**options)
    if stored is not None and stored.choices:
        return serializers.ChoiceField(choices=stored.choices, **options)
    if stored is not None and stored.max_length:
        options["max_length"] = schema.max_length(info.name)
    if info.name.endswith("_email"):
        return serializers.EmailField(**options)
    if not info.required:
        options["allow_blank"] = True
    return serializers.CharField(**options)


def _bulk_row_doc_serializer(
    name: str, schema: RecordSchema, options: dict[str, dict[str, Any]]
) -> type[serializers.Serializer[Any]]:
    """Documentation only: the bulk endpoints validate rows themselves, row by row (msgspec,
    deals.schema). `options` adds help texts and bounds per field."""
    fields = {
        info.name: _bulk_row_doc_field(schema, info, dict(options.get(info.name, {})))
        for info in schema.fields()
    }
    doc = "Documentation only: the bulk endpoint validates rows itself, row by row (msgspec)."
    return type(name, (serializers.Serializer,), {"__doc__": doc, "__module__": __name__, **fields})


DealBulkRowSerializer: Final = _bulk_row_doc_serializer(
    "DealBulkRowSerializer",
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
ActivityBulkRowSerializer: Final = _bulk_row_doc_serializer(
    "ActivityBulkRowSerializer",
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
