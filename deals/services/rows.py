"""Validation of incoming deal rows: the one schema (deals.schema) shared by the bulk API, CSV
and connectors.

msgspec converts each row to a typed struct in C; the few rules a schema cannot say (choices,
currencies, dates in order, lengths after trimming) are plain Python, with the lengths read
from the model. No DRF serializer per row: this runs 10,000 times per request.
"""

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from babel.numbers import list_currencies

from core.bulk import RowError
from core.records import TYPE_MESSAGES, RecordSchema, RowInvalid, converted
from core.validation import InputInvalid, date_checked, datetime_checked, row_problem
from deals.models import DealField, DealStatus
from deals.schema import (
    COLUMNS,
    CONTENT_COLUMNS,
    DEAL,
    HISTORY,
    STATUSES,
    DealIn,
    HistoryIn,
)

__all__ = [  # re-exported for the writers and the tests
    "COLUMNS",
    "CONTENT_COLUMNS",
    "DealIn",
    "HistoryIn",
    "RowInvalid",
    "converted",
]

CURRENCIES: Final = frozenset(list_currencies())
_DIGITS, _PLACES = DEAL.decimal_shape("amount")
CENT: Final = Decimal(1).scaleb(-_PLACES)
MAX_AMOUNT: Final = Decimal(10) ** (_DIGITS - _PLACES) - CENT  # Decimal(18, 2)
TRACKED_FIELDS: Final = tuple(DealField.values)  # stage, status, amount, expected_close_date

_AMOUNT_MESSAGE: Final = TYPE_MESSAGES[frozenset({Decimal})]


def aware_datetime(value: dt.datetime, field: str) -> dt.datetime:
    try:
        datetime_checked(value)
    except InputInvalid as exc:
        raise RowInvalid(field, exc.reason) from None
    # CRMs that send naive times send UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def checked_date(value: dt.date | None, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return date_checked(value)
    except InputInvalid as exc:
        raise RowInvalid(field, exc.reason) from None


def scan_row(raw: Any) -> None:
    # NUL characters, NaN or Infinity, and integers beyond 64 bits, in any field.
    problem = row_problem(raw)
    if problem is not None:
        raise RowInvalid(*problem)


def bounded_text(field: str, value: str | None, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise RowInvalid(field, "This field is required.")
    if len(text) > limit:
        raise RowInvalid(field, f"At most {limit} characters.")
    return text


def schema_text(
    schema: RecordSchema, field: str, value: str | None, *, required: bool = False
) -> str:
    """Trimmed text within the stored column's length."""
    return bounded_text(field, value, schema.max_length(field), required=required)


def _text(field: str, value: str | None, *, required: bool = False) -> str:
    return schema_text(DEAL, field, value, required=required)


def _amount(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise RowInvalid("amount", _AMOUNT_MESSAGE)
    if value < 0:
        raise RowInvalid("amount", "Must not be negative.")
    if value > MAX_AMOUNT:
        raise RowInvalid("amount", "Too large.")
    # CRMs with more decimals are rounded to cents, the way their own reports show them.
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_row(raw: Any, default_source: str | None) -> tuple[tuple[Any, ...], str]:
    """A validated row as a tuple in COLUMNS order (owner_id still None, resolved later), and
    the owner's email if one was sent.

    Raises RowInvalid naming the first bad field.
    """
    scan_row(raw)
    row = converted(raw, DealIn)
    source = _text("source", row.source or default_source, required=True).lower()
    external_id = _text("external_id", str(row.external_id), required=True)
    owner_external_id = _text("owner_external_id", str(row.owner_id or "")) if row.owner_id else ""
    owner_email = (row.owner_email or "").strip().lower()
    if not owner_external_id and not owner_email:
        raise RowInvalid("owner_id", "Give owner_id or owner_email.")
    if owner_email and ("@" not in owner_email or len(owner_email) > DEAL.max_length("owner_id")):
        raise RowInvalid("owner_email", "Enter a valid email address.")
    currency = row.currency.strip().upper()
    if currency not in CURRENCIES:
        raise RowInvalid("currency", f"Unknown currency {row.currency!r}; use an ISO 4217 code.")
    status = row.status.strip().lower()
    if status not in STATUSES:
        raise RowInvalid("status", "Must be one of open, won, lost.")
    created_at = aware_datetime(row.created_at, "created_at")
    closed_at = aware_datetime(row.closed_at, "closed_at") if row.closed_at is not None else None
    if status == DealStatus.OPEN and closed_at is not None:
        raise RowInvalid("closed_at", "An open deal has no closed_at.")
    if status != DealStatus.OPEN and closed_at is None:
        raise RowInvalid("closed_at", "A won or lost deal needs closed_at.")
    if closed_at is not None and closed_at < created_at:
        raise RowInvalid("closed_at", "Must not be before created_at.")
    return (
        source,
        external_id,
        None,
        owner_external_id or owner_email,
        _text("name", row.name, required=True),
        _text("account_name", row.account_name),
        _amount(row.amount),
        currency,
        _text("stage", row.stage, required=True),
        status,
        created_at,
        checked_date(row.expected_close_date, "expected_close_date"),
        closed_at,
        _text("loss_reason", row.loss_reason),
        row.has_compelling_deadline,
        row.has_economic_buyer,
        row.has_champion,
        row.has_decision_process,
        row.has_metrics,
        aware_datetime(row.source_updated_at, "source_updated_at"),
    ), owner_email


ParsedRow = tuple[int, tuple[Any, ...], str]
RowParser = Callable[[Any, str | None], tuple[tuple[Any, ...], str]]


def rows_parsed(
    rows: list[Any], default_source: str | None, parse: RowParser
) -> tuple[list[ParsedRow], list[RowError]]:
    """Good rows as (index, row, owner_email), and one error per bad row (keyed by the row's
    external id), for any row parser of this scheme."""
    good: list[ParsedRow] = []
    errors: list[RowError] = []
    for index, raw in enumerate(rows):
        try:
            row, owner_email = parse(raw, default_source)
        except RowInvalid as exc:
            key = raw.get("external_id", "") if isinstance(raw, dict) else ""
            errors.append(RowError(index, exc.field, exc.message, str(key or "")[:128]))
        else:
            good.append((index, row, owner_email))
    return good, errors


def parse_rows(
    rows: list[Any], default_source: str | None
) -> tuple[list[ParsedRow], list[RowError]]:
    """Good deal rows as (index, row, owner_email), and one error per bad row."""
    return rows_parsed(rows, default_source, parse_row)


def value_text(field: str, value: Any) -> str:
    """A tracked field's value as history stores it (same text as PostgreSQL's ::text)."""
    if value is None:
        return ""
    if field == DealField.AMOUNT:
        try:
            return str(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))
        except InvalidOperation:
            raise RowInvalid("new_value", "Must be a decimal amount.") from None
    if field == DealField.EXPECTED_CLOSE_DATE:
        try:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            raise RowInvalid("new_value", "Must be a date, YYYY-MM-DD.") from None
        return str(checked_date(day, "new_value"))
    if field == DealField.STATUS and str(value) not in STATUSES:
        raise RowInvalid("new_value", "Must be one of open, won, lost.")
    return str(value)


def parse_history_row(raw: Any, default_source: str | None) -> tuple[str, str, str, str, str, Any]:
    """(source, external_id, field, old_value, new_value, changed_at) of a CRM field-history row."""
    scan_row(raw)
    row = converted(raw, HistoryIn)
    source = schema_text(HISTORY, "source", row.source or default_source, required=True).lower()
    external_id = schema_text(HISTORY, "external_id", str(row.external_id), required=True)
    if row.field not in TRACKED_FIELDS:
        raise RowInvalid("field", f"Must be one of {', '.join(TRACKED_FIELDS)}.")
    new_value = value_text(row.field, row.new_value)
    try:
        old_value = value_text(row.field, row.old_value)
    except RowInvalid as exc:
        raise RowInvalid("old_value", exc.message) from None
    return (
        source,
        external_id,
        row.field,
        old_value,
        new_value,
        aware_datetime(row.changed_at, "changed_at"),
    )
