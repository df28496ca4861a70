"""Does a bulk row struct agree with the model it is stored in (core.records.RecordSchema)?
Shared by the deal, activity and people row tests."""

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

import msgspec
from django.db import models

from core.records import RecordSchema, value_types

# The model field class each declared value type is stored in (an EmailField is a CharField).
STORED_TYPES = {
    frozenset({str}): (models.CharField,),
    frozenset({str, int}): (models.CharField,),
    frozenset({Decimal}): (models.DecimalField,),
    frozenset({dt.datetime}): (models.DateTimeField,),
    frozenset({dt.date}): (models.DateField,),
    frozenset({bool}): (models.BooleanField,),
    frozenset({int}): (models.IntegerField,),
}


def disagreements(
    schema: RecordSchema,
    *,
    not_stored: Collection[str] = (),
    defaulted: Collection[str] = (),
    references: Collection[str] = (),
) -> list[str]:
    """Where the struct and the model disagree: type, a default that is not a choice, and
    whether the field is required. `not_stored`: fields with no column of their own;
    `defaulted`: filled in when the row omits them; `references`: fields naming another record
    (checked for type only)."""
    problems = []
    for info in schema.fields():
        if info.name in not_stored:
            continue
        field = schema.model_field(info.name)
        if field is None:
            stored = schema.stored_field(info.name)
            problems.append(f"{info.name}: no field {schema.model.__name__}.{stored}")
            continue
        expected = STORED_TYPES.get(value_types(info.type))
        if expected is None or not isinstance(field, expected):
            problems.append(f"{info.name}: {info.type} is stored in {type(field).__name__}")
        choices = {value for value, _label in field.choices or ()}
        if choices and info.default not in (msgspec.NODEFAULT, None, *choices):
            problems.append(f"{info.name}: default {info.default!r} is not a choice")
        row_default = None if info.default is msgspec.NODEFAULT else info.default
        if row_default is not None and field.has_default() and row_default != field.get_default():
            problems.append(f"{info.name}: default {info.default!r}, the model's differs")
        if info.name in references:
            continue
        optional_in_model = field.null or field.blank
        if not info.required and not optional_in_model and info.name not in defaulted:
            problems.append(f"{info.name}: optional in rows, required in the model")
        if info.required and optional_in_model:
            problems.append(f"{info.name}: required in rows, optional in the model")
    return problems
