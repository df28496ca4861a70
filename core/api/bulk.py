from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
from rest_framework.request import Request

from core.api.errors import PayloadTooLarge


class RowErrorSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()
    key = serializers.CharField(help_text="the row's natural key (email, external id), if any")


class BulkResultSerializer(serializers.Serializer[Any]):
    """What core.bulk.BulkResult answers."""

    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]


def bulk_rows(request: Request, *, max_rows: int | None = None) -> list[Any]:
    """The body of a bulk endpoint: a JSON array (or {"rows": [...]}) of objects.

    More than `max_rows` rows are refused as a whole with 413, as deals bulk refuses a body
    over its byte limit: the caller splits the list.
    """
    data = request.data
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list):
        raise ValidationError({"": ["Send a JSON array of rows."]})
    if max_rows is not None and len(data) > max_rows:
        raise PayloadTooLarge(f"At most {max_rows} rows per request; split the list.")
    return data


def json_content_type_required(request: Request) -> None:
    """415 for a body declared as anything but JSON, in views that read the raw body themselves
    (no parser runs there to refuse it). A body without a Content-Type is read as JSON."""
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(media_type)
