"""Records that arrive in bulk (deals, activities, people): a row struct paired with its model.

Each app declares its rows once, as msgspec structs (deals.schema, accounts.user_rows), and pairs
each struct with the Django model its rows are stored in (`RecordSchema`): the model owns the
stored columns, their lengths, decimals and choices; the struct owns what a row may carry and
which fields it needs. `converted` turns a decoded row into its struct in C and, on failure,
names the bad field from the struct's declared types, never from msgspec's English message.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, TypeVar

import msgspec
from django.core.exceptions import FieldDoesNotExist
from django.db import models

DATETIME_MESSAGE: Final = "Must be an ISO 8601 date-time, e.g. 2024-05-01T09:30:00Z."
# What a field of each declared type must look like, for the row's error.
TYPE_MESSAGES: Final[dict[frozenset[Any], str]] = {
    frozenset({Decimal}): "Must be a number of at most 2 decimals, e.g. 1200.50.",
    frozenset({dt.datetime}): DATETIME_MESSAGE,
    frozenset({dt.date}): "Must be a date, YYYY-MM-DD.",
    frozenset({bool}): "Must be true, false or null.",
    frozenset({int}): "Must be a whole number.",
    frozenset({str, int}): "Must be a string or an integer.",
}
Struct = TypeVar("Struct", bound=msgspec.Struct)


class RowInvalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def value_types(annotation: Any) -> frozenset[Any]:
    """The types a field's annotation accepts, without None: `str | int | None` -> {str, int}."""
    members = getattr(annotation, "__args__", (annotation,))
    return frozenset(a for a in members if a is not type(None))


def converted(raw: Any, struct: type[Struct], messages: dict[str, str] | None = None) -> Struct:
    """`raw` as the struct (msgspec, in C), or RowInvalid naming the first bad field.

    On failure the field is found by converting field by field against the struct's declared
    types (msgspec's error names the field only in its English text, which we do not parse).
    The message says what the field's type must look like; `messages` overrides it per field.
    """
    try:
        return msgspec.convert(raw, struct, strict=False)
    except msgspec.ValidationError:
        pass
    if not isinstance(raw, dict):
        raise RowInvalid("", "Each row must be a JSON object.")
    fields = msgspec.structs.fields(struct)
    by_name = {f.encode_name: f for f in fields}
    # msgspec checks the keys in the order they came, then reports a missing field: so do we.
    for key, value in raw.items():
        info = by_name.get(key)
        if info is None:
            continue
        try:
            msgspec.convert(value, info.type, strict=False)
        except msgspec.ValidationError:
            default = TYPE_MESSAGES.get(value_types(info.type), "Must be a string.")
            raise RowInvalid(info.name, (messages or {}).get(info.name, default)) from None
    for info in fields:
        if info.required and info.encode_name not in raw:
            raise RowInvalid(info.name, "This field is required.")
    raise RowInvalid("", "Each row must be a JSON object.")  # not reached: msgspec said why


@dataclass(frozen=True)
class RecordSchema:
    """A row struct and the model its rows are stored in."""

    struct: type[msgspec.Struct]
    model: type[models.Model]
    # Row fields stored in a column of another name (the CRM's owner id is not our owner_id),
    # or of a related model ("team.name": the name of the row's team).
    stored_as: dict[str, str] = field(default_factory=dict)

    def fields(self) -> tuple[msgspec.structs.FieldInfo, ...]:
        return msgspec.structs.fields(self.struct)

    def stored_field(self, row_field: str) -> str:
        return self.stored_as.get(row_field, row_field)

    def model_field(self, row_field: str) -> "models.Field[Any, Any] | None":
        """The model field a row field is stored in, or None (owner_email resolves the owner)."""
        model: Any = self.model
        *path, name = self.stored_field(row_field).split(".")
        try:
            for step in path:
                model = model._meta.get_field(step).related_model
            found = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        return found if isinstance(found, models.Field) else None

    def max_length(self, row_field: str) -> int:
        """The stored column's length (the model's max_length)."""
        found = self.model_field(row_field)
        if found is None or found.max_length is None:
            raise LookupError(f"{self.model.__name__} has no length for {row_field}")
        return int(found.max_length)

    def decimal_shape(self, row_field: str) -> tuple[int, int]:
        """(max_digits, decimal_places) of a decimal column."""
        found = self.model_field(row_field)
        if not isinstance(found, models.DecimalField):
            raise LookupError(f"{self.model.__name__}.{row_field} is not a decimal")
        return int(found.max_digits), int(found.decimal_places)

    def fields_of_type(self, *types: type) -> frozenset[str]:
        """The struct's fields that hold exactly one of `types` (or null)."""
        wanted = {frozenset({t}) for t in types}
        return frozenset(f.name for f in self.fields() if value_types(f.type) in wanted)
