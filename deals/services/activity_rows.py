"""Validation of incoming CRM activity rows (meetings, calls, emails): bulk API and connectors.

The same scheme as deal rows (rows.py): the row is declared once (deals.schema.ActivityIn, with
lengths from the Activity model), msgspec converts each row in C, plain Python checks the rest,
and every bad row becomes a row error naming its field.
"""

from typing import Any, Final

from core.bulk import RowError
from deals.models import MAX_ACTIVITY_SECONDS, ActivityKind
from deals.schema import ACTIVITY, ActivityIn
from deals.services.rows import (
    ParsedRow,
    RowInvalid,
    aware_datetime,
    converted,
    rows_parsed,
    scan_row,
    schema_text,
)

KINDS: Final = frozenset(ActivityKind.values)
_MESSAGES: Final = {"duration_seconds": "Must be a whole number of seconds."}


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
    row = converted(raw, ActivityIn, _MESSAGES)
    source = schema_text(ACTIVITY, "source", row.source or default_source, required=True).lower()
    external_id = schema_text(ACTIVITY, "external_id", str(row.external_id), required=True)
    kind = row.kind.strip().lower()
    if kind not in KINDS:
        raise RowInvalid("kind", "Must be one of meeting, call, email.")
    owner_external_id = (
        schema_text(ACTIVITY, "owner_id", str(row.owner_id)) if row.owner_id is not None else ""
    )
    owner_email = (row.owner_email or "").strip().lower()
    if not owner_external_id and not owner_email:
        raise RowInvalid("owner_id", "Give owner_id or owner_email.")
    if owner_email and (
        "@" not in owner_email or len(owner_email) > ACTIVITY.max_length("owner_id")
    ):
        raise RowInvalid("owner_email", "Enter a valid email address.")
    deal_external_id = (
        schema_text(ACTIVITY, "deal_external_id", str(row.deal_external_id))
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
        schema_text(ACTIVITY, "outcome", row.outcome),
        aware_datetime(row.source_updated_at, "source_updated_at"),
    ), owner_email


def parse_activity_rows(
    rows: list[Any], default_source: str | None
) -> tuple[list[ParsedRow], list[RowError]]:
    """Good activity rows as (index, row, owner_email), and one error per bad row."""
    return rows_parsed(rows, default_source, parse_activity_row)
