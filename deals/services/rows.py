"""Validation of incoming deal rows: the one schema shared by the bulk API, CSV and connectors.

msgspec converts each row to a typed struct in C; the few rules a schema cannot say (choices,
currencies, dates in order) are plain Python. No DRF serializer per row: this runs 10,000 times
per request.
"""

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

import msgspec
from babel.numbers import list_currencies

from core.bulk import RowError
from core.validation import InputInvalid, date_checked, datetime_checked, row_problem
from deals.models import DealField, DealStatus

CURRENCIES: Final = frozenset(list_currencies())
STATUSES: Final = frozenset(DealStatus.values)
CENT: Final = Decimal("0.01")
MAX_AMOUNT: Final = Decimal("9999999999999999.99")  # Decimal(18, 2)


class DealIn(msgspec.Struct):
    """One row as the bulk API documents it. Unknown keys are ignored."""

    external_id: str | int
    name: str
    amount: Decimal
    currency: str
    stage: str
    status: str
    created_at: dt.datetime
    source_updated_at: dt.datetime
    source: str | None = None
    owner_id: str | int | None = None
    owner_email: str | None = None
    account_name: str | None = None
    expected_close_date: dt.date | None = None
    closed_at: dt.datetime | None = None
    loss_reason: str | None = None
    has_compelling_deadline: bool | None = None
    has_economic_buyer: bool | None = None
    has_champion: bool | None = None
    has_decision_process: bool | None = None
    has_metrics: bool | None = None


class HistoryIn(msgspec.Struct):
    external_id: str | int
    field: str
    changed_at: dt.datetime
    new_value: Any = None  # checked per field by value_text
    old_value: Any = None
    source: str | None = None


# Column order of a validated row: the staging table, COPY and the portable path all use it.
COLUMNS: Final = (
    "source",
    "external_id",
    "owner_id",
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
)
# What decides "changed": everything but the key and the CRM's timestamp.
CONTENT_COLUMNS: Final = COLUMNS[2:-1]
TRACKED_FIELDS: Final = tuple(DealField.values)  # stage, status, amount, expected_close_date

_TYPE_MESSAGES: Final = {
    "amount": "Must be a number of at most 2 decimals, e.g. 1200.50.",
    "created_at": "Must be an ISO 8601 date-time, e.g. 2024-05-01T09:30:00Z.",
    "source_updated_at": "Must be an ISO 8601 date-time, e.g. 2024-05-01T09:30:00Z.",
    "closed_at": "Must be an ISO 8601 date-time, e.g. 2024-05-01T09:30:00Z.",
    "changed_at": "Must be an ISO 8601 date-time, e.g. 2024-05-01T09:30:00Z.",
    "expected_close_date": "Must be a date, YYYY-MM-DD.",
    "has_compelling_deadline": "Must be true, false or null.",
    "has_economic_buyer": "Must be true, false or null.",
    "has_champion": "Must be true, false or null.",
    "has_decision_process": "Must be true, false or null.",
    "has_metrics": "Must be true, false or null.",
    "external_id": "Must be a string or an integer.",
    "owner_id": "Must be a string or an integer.",
}
_LENGTHS: Final = {
    "external_id": 128,
    "source": 32,
    "owner_external_id": 254,
    "name": 255,
    "account_name": 255,
    "stage": 100,
    "loss_reason": 255,
}
_AT_FIELD = re.compile(r" - at `\$\.([A-Za-z_]+)")
_MISSING = re.compile(r"missing required field `([A-Za-z_]+)`")


class RowInvalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def schema_error(
    exc: msgspec.ValidationError, messages: dict[str, str] = _TYPE_MESSAGES
) -> RowInvalid:
    """The msgspec error as (field, message), with `messages` for fields of the wrong type."""
    text = str(exc)
    missing = _MISSING.search(text)
    if missing:
        return RowInvalid(missing.group(1), "This field is required.")
    at = _AT_FIELD.search(text)
    if at is None:
        return RowInvalid("", "Each row must be a JSON object.")
    field = at.group(1)
    return RowInvalid(field, messages.get(field, "Must be a string."))


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


def _text(field: str, value: str | None, *, required: bool = False) -> str:
    return bounded_text(field, value, _LENGTHS[field], required=required)


def _amount(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise RowInvalid("amount", _TYPE_MESSAGES["amount"])
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
    try:
        row = msgspec.convert(raw, DealIn, strict=False)
    except msgspec.ValidationError as exc:
        raise schema_error(exc) from None
    source = _text("source", row.source or default_source, required=True).lower()
    external_id = _text("external_id", str(row.external_id), required=True)
    owner_external_id = _text("owner_external_id", str(row.owner_id or "")) if row.owner_id else ""
    owner_email = (row.owner_email or "").strip().lower()
    if not owner_external_id and not owner_email:
        raise RowInvalid("owner_id", "Give owner_id or owner_email.")
    if owner_email and ("@" not in owner_email or len(owner_email) > 254):
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


def parse_rows(
    rows: list[Any], default_source: str | None
) -> tuple[list[tuple[int, tuple[Any, ...], str]], list[RowError]]:
    """Good rows as (index, row, owner_email), and one error per bad row."""
    good: list[tuple[int, tuple[Any, ...], str]] = []
    errors: list[RowError] = []
    for index, raw in enumerate(rows):
        try:
            row, owner_email = parse_row(raw, default_source)
        except RowInvalid as exc:
            key = raw.get("external_id", "") if isinstance(raw, dict) else ""
            errors.append(RowError(index, exc.field, exc.message, str(key or "")[:128]))
        else:
            good.append((index, row, owner_email))
    return good, errors


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
    try:
        row = msgspec.convert(raw, HistoryIn, strict=False)
    except msgspec.ValidationError as exc:
        raise schema_error(exc) from None
    source = _text("source", row.source or default_source, required=True).lower()
    external_id = _text("external_id", str(row.external_id), required=True)
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
