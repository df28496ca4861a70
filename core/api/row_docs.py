"""OpenAPI documentation of bulk rows, generated from their declaration (core.records).

The bulk endpoints validate rows themselves, row by row (msgspec); these serializers only
describe a row to drf-spectacular. Each field's type comes from the row struct, its length,
decimals, choices and email-ness from the model column it is stored in, so the documented
row cannot drift from the parsed one.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
from django.db import models
from rest_framework import serializers

from core.records import RecordSchema, value_types

DOC = "Documentation only: the bulk endpoint validates rows itself, row by row (msgspec)."


def _field(
    schema: RecordSchema, info: msgspec.structs.FieldInfo, options: dict[str, Any], as_text: bool
) -> serializers.Field[Any, Any, Any, Any]:
    types = value_types(info.type)
    nullable = type(None) in getattr(info.type, "__args__", ())
    if not info.required:
        options = {"required": False, **options}
    if nullable:
        options = {"allow_null": True, **options}
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
    if len(types) == 1 and getattr(next(iter(types)), "__origin__", None) is dict:
        return serializers.DictField(child=serializers.CharField(), **options)
    if stored is not None and stored.choices and not as_text:
        return serializers.ChoiceField(choices=stored.choices, **options)
    if stored is not None and stored.max_length:
        options["max_length"] = schema.max_length(info.name)
    if isinstance(stored, models.SlugField):
        return serializers.SlugField(**options)
    if isinstance(stored, models.EmailField) or info.name.endswith("_email"):
        return serializers.EmailField(**options)
    if not info.required:
        options["allow_blank"] = True
    return serializers.CharField(**options)


def row_doc_serializer(
    name: str,
    module: str,
    schema: RecordSchema,
    options: dict[str, dict[str, Any]],
    *,
    as_text: frozenset[str] = frozenset(),
) -> type[serializers.Serializer[Any]]:
    """A serializer class documenting one bulk row; `options` adds help texts and bounds.
    Fields in `as_text` are documented as strings although their column has choices (a time
    zone: an enum of ~600 names chokes client generators and changes with each tz release)."""
    fields = {
        info.name: _field(schema, info, dict(options.get(info.name, {})), info.name in as_text)
        for info in schema.fields()
    }
    return type(name, (serializers.Serializer,), {"__doc__": DOC, "__module__": module, **fields})
