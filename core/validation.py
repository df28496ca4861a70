"""Bounds every input path shares, so that bad input is a clear error, never a 500.

Bulk paths (deals, users, completions, CSV import, CRM webhooks) call these per row and turn
`InputInvalid` into a row error; filters (django-filter sets and hand-parsed query parameters)
turn it into a 400 naming the parameter. The limits are what the database and Python can hold
and display safely, with room for every time zone:

- dates and date-times from 1900-01-01 to 2100-12-31: a year-9999 date cannot be shown in a
  time zone east of UTC (Python's datetime ends at 9999-12-31), and nothing real in a sales
  team's records is older or newer;
- UTC offsets of at most ±14:00, the widest any real time zone uses;
- no NUL character in text (PostgreSQL text cannot hold it);
- numbers finite (no NaN or Infinity), integers within a 64-bit column.
"""

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from django.db import models
from django.utils.translation import gettext as _

MIN_DATE: Final = dt.date(1900, 1, 1)
MAX_DATE: Final = dt.date(2100, 12, 31)
MAX_UTC_OFFSET: Final = dt.timedelta(hours=14)
MAX_BIGINT: Final = 2**63 - 1


def max_length_of(model: type[models.Model], field: str) -> int:
    """The stored column's length: bulk row parsers read their limits from the model, never
    restate them."""
    found = model._meta.get_field(field)
    if not isinstance(found, models.Field) or found.max_length is None:
        raise LookupError(f"{model.__name__}.{field} has no max_length")
    return int(found.max_length)


class InputInvalid(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def date_checked(value: dt.date) -> dt.date:
    """`value` itself (a date, or the date of a date-time) if between 1900 and 2100."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        raise InputInvalid(_("Must be between 1900-01-01 and 2100-12-31."))
    return value


def datetime_checked(value: dt.datetime) -> dt.datetime:
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise InputInvalid(_("The UTC offset must be between -14:00 and +14:00."))
    date_checked(value)
    return value


def text_checked(value: str) -> str:
    if "\x00" in value:
        raise InputInvalid(_("Must not contain NUL characters."))
    return value


def number_checked(value: Decimal | float | int) -> Decimal | float | int:
    if isinstance(value, int):
        if abs(value) > MAX_BIGINT:
            raise InputInvalid(_("The number is too large."))
        return value
    if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
        raise InputInvalid(_("Must be a finite number (not NaN or Infinity)."))
    return value


def value_problem(value: Any) -> str | None:
    """Why a decoded JSON value (however nested) cannot be stored, or None: NUL characters in
    any string or key, non-finite numbers, integers beyond 64 bits."""
    stack = [value]
    while stack:
        item = stack.pop()
        try:
            if isinstance(item, str):
                text_checked(item)
            elif isinstance(item, bool) or item is None:
                continue
            elif isinstance(item, int | float | Decimal):
                number_checked(item)
            elif isinstance(item, Mapping):
                stack.extend(str(k) for k in item)
                stack.extend(item.values())
            elif isinstance(item, list | tuple):
                stack.extend(item)
        except InputInvalid as exc:
            return exc.reason
    return None


def row_problem(raw: Any) -> tuple[str, str] | None:
    """(field, reason) for the first field of a bulk row that fails `value_problem`."""
    if not isinstance(raw, Mapping):
        return None
    for key, value in raw.items():
        reason = value_problem(key) or value_problem(value)
        if reason is not None:
            return str(key).replace("\x00", "\\x00"), reason
    return None


def parse_query_datetime(raw: str) -> dt.datetime:
    """An ISO 8601 date-time from a query string (naive means UTC), within the bounds."""
    text_checked(raw)
    try:
        value = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputInvalid(_("Use an ISO 8601 date-time, e.g. 2025-01-31T00:00:00Z.")) from None
    datetime_checked(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def parse_query_id(raw: str) -> int:
    """A positive whole number from a query string that fits a 64-bit key."""
    text = text_checked(raw).strip()
    if not text.isdecimal():
        raise InputInvalid(_("A whole number is required."))
    value = int(text)
    if value > MAX_BIGINT:
        raise InputInvalid(_("The number is too large."))
    return value
