"""Validation of incoming CRM activity rows (meetings, calls, emails): bulk API and connectors.

The same scheme as deal rows (rows.py): msgspec converts each row in C, plain Python checks the
rest, and every bad row becomes a row error naming its field.
"""

import datetime as dt
from typing import Any, Final

import msgspec

from core.bulk import RowError
from deals.models import MAX_ACTIVITY_SECONDS, ActivityKind
from deals.services.rows import (
    RowInvalid,
    aware_datetime,
    bounded_text,
    scan_row,
    schema_error,
)

KINDS: Final = frozenset(ActivityKind.values)
_DATETIME = "Must be an ISO 8601 date-time, e.g. 2024-05-01T09:30:00Z."
_TYPE_MESSAGES: Final = {
    "occurred_at": _DATETIME,
    "source_updated_at": _DATETIME,
    "duration_seconds": "Must be a whole number of seconds.",
    "external_id": "Must be a string or an integer.",
    "owner_id": "Must be a string or an integer.",
    "deal_external_id": "Must be a string or an integer.",
}


class ActivityIn(msgspec.Struct):
    """One row as the bulk API documents it. Unknown keys are ignored."""

    external_id: str | int
    kind: str
    occurred_at: dt.datetime
    source_updated_at: dt.datetime
    source: str | None = None
    owner_id: str | int | None = None
    owner_email: str | None = None
    deal_external_id: str | int | None = None
    duration_seconds: int | None = None
    outcome: str | None = None


# Column order of a validated row (staging table, COPY, portable path). owner_id is resolved
# from the CRM owner before writing; deal_id is resolved by the write itself.
COLUMNS: Final = (
    "source",
    "external_id",
    "owner_id",
    "owner_external_id",
    "kind",
    "deal_external_id",
    "occurred_at",
    "duration_seconds",
    "outcome",
    "source_updated_at",
)
# What decides "changed": everything but the key and the CRM's timestamp.
CONTENT_COLUMNS: Final = COLUMNS[2:-1]


def parse_activity_row(raw: Any, default_source: str | None) -> tuple[tuple[Any, ...], str]:
    """A validated row in COLUMNS order (owner_id None until resolved) and the owner's email.

    Raises RowInvalid naming the first bad field.
    """
    scan_row(raw)
    try:
        row = msgspec.convert(raw, ActivityIn, strict=False)
    except msgspec.ValidationError as exc:
        raise schema_error(exc, _TYPE_MESSAGES) from None
    source = bounded_text("source", row.source or default_source, 32, required=True).lower()
    external_id = bounded_text("external_id", str(row.external_id), 128, required=True)
    kind = row.kind.strip().lower()
    if kind not in KINDS:
        raise RowInvalid("kind", "Must be one of meeting, call, email.")
    owner_external_id = (
        bounded_text("owner_id", str(row.owner_id), 254) if row.owner_id is not None else ""
    )
    owner_email = (row.owner_email or "").strip().lower()
    if not owner_external_id and not owner_email:
        raise RowInvalid("owner_id", "Give owner_id or owner_email.")
    if owner_email and ("@" not in owner_email or len(owner_email) > 254):
        raise RowInvalid("owner_email", "Enter a valid email address.")
    deal_external_id = (
        bounded_text("deal_external_id", str(row.deal_external_id), 128)
        if row.deal_external_id is not None
        else ""
    )
    duration = row.duration_seconds
    if duration is not None and not 0 <= duration <= MAX_ACTIVITY_SECONDS:
        raise RowInvalid(
            "duration_seconds", f"Must be between 0 and {MAX_ACTIVITY_SECONDS} (seven days)."
        )
    return (
        source,
        external_id,
        None,
        owner_external_id or owner_email,
        kind,
        deal_external_id,
        aware_datetime(row.occurred_at, "occurred_at"),
        duration,
        bounded_text("outcome", row.outcome, 100),
        aware_datetime(row.source_updated_at, "source_updated_at"),
    ), owner_email


def parse_activity_rows(
    rows: list[Any], default_source: str | None
) -> tuple[list[tuple[int, tuple[Any, ...], str]], list[RowError]]:
    """Good rows as (index, row, owner_email), and one error per bad row."""
    good: list[tuple[int, tuple[Any, ...], str]] = []
    errors: list[RowError] = []
    for index, raw in enumerate(rows):
        try:
            row, owner_email = parse_activity_row(raw, default_source)
        except RowInvalid as exc:
            key = raw.get("external_id", "") if isinstance(raw, dict) else ""
            errors.append(RowError(index, exc.field, exc.message, str(key or "")[:128]))
        else:
            good.append((index, row, owner_email))
    return good, errors
