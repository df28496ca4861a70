"""The records integrations send (deals, their field history, activities): declared once, here.

The Django models (deals.models) own the stored columns, their types, lengths, decimals and
choices; the structs below own what a row may carry and which fields it needs. A
`RecordSchema` (core.records, shared with the people rows of accounts.user_rows) pairs the
two, and everything else reads it:

- the bulk row parsers (deals.services.rows, deals.services.activity_rows) convert with the
  structs and check lengths from the model;
- the PostgreSQL staging tables (deals.services.ingest_postgres, deals.services.activities)
  are created from the stored tables themselves, in the row's column order;
- the CSV import's field list (deals.services.csv_import) is DealIn's fields, in order, with
  whether each is required;
- the OpenAPI documentation of a bulk row (deals.api.serializers) is generated from the struct
  and the model;
- bench/ingest.py's reference stages its rows in a copy of the deals table.

tests/deals/test_deal_schema.py fails when a struct and its model disagree.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Final

import msgspec

from core.records import RecordSchema, value_types
from deals.models import Activity, Deal, DealStatus


class DealIn(msgspec.Struct, kw_only=True):
    """One deal row as the bulk API, the CSV import and the connectors send it. Unknown keys are
    ignored. The order is the CSV mapping form's."""

    external_id: str | int
    name: str
    owner_id: str | int | None = None  # the CRM's owner id: stored as owner_external_id
    owner_email: str | None = None  # when there is no owner id
    account_name: str | None = None
    amount: Decimal
    currency: str
    stage: str
    status: str
    created_at: dt.datetime
    expected_close_date: dt.date | None = None
    closed_at: dt.datetime | None = None
    loss_reason: str | None = None
    has_compelling_deadline: bool | None = None
    has_economic_buyer: bool | None = None
    has_champion: bool | None = None
    has_decision_process: bool | None = None
    has_metrics: bool | None = None
    source_updated_at: dt.datetime
    source: str | None = None  # else the request's or the connection's source


class HistoryIn(msgspec.Struct, kw_only=True):
    """One CRM field-history row: a tracked field of a deal changed at a time."""

    external_id: str | int  # the deal's
    field: str
    changed_at: dt.datetime
    new_value: Any = None  # checked per field by deals.services.rows.value_text
    old_value: Any = None
    source: str | None = None


class ActivityIn(msgspec.Struct, kw_only=True):
    """One activity row (meeting, call, email) as the bulk API and connectors send it."""

    source: str | None = None
    external_id: str | int
    kind: str
    owner_id: str | int | None = None  # the CRM's owner id: stored as owner_external_id
    owner_email: str | None = None
    deal_external_id: str | int | None = None
    occurred_at: dt.datetime
    duration_seconds: int | None = None
    outcome: str | None = None
    source_updated_at: dt.datetime


_OWNER: Final = {"owner_id": "owner_external_id"}
DEAL: Final = RecordSchema(DealIn, Deal, _OWNER)
# external_id and source name the deal: their limits are the deal's.
HISTORY: Final = RecordSchema(HistoryIn, Deal)
ACTIVITY: Final = RecordSchema(ActivityIn, Activity, _OWNER)

# The bookkeeping columns a row never carries.
NOT_FROM_ROWS: Final = frozenset({"id", "ingested_at"})

# Column order of a validated deal row: the staging table, COPY and the portable path all use
# it. The deals table's own columns, in the model's order, less the bookkeeping ones.
COLUMNS: Final = tuple(
    f.column for f in Deal._meta.concrete_fields if f.column not in NOT_FROM_ROWS
)
KEY_COLUMNS: Final = ("source", "external_id")
# What an upsert may change: everything but the key.
VALUE_COLUMNS: Final = tuple(c for c in COLUMNS if c not in KEY_COLUMNS)
# What decides "changed": everything but the key and the CRM's timestamp.
CONTENT_COLUMNS: Final = tuple(c for c in VALUE_COLUMNS if c != "source_updated_at")
STATUSES: Final = frozenset(DealStatus.values)


def stage_table_sql(*, stage: str, table: str, columns: tuple[str, ...]) -> str:
    """A temporary staging table with the stored table's column types, in `columns` order (read
    from the table, so they cannot drift from the model); no constraints, rows are validated
    already. Dropped at commit, so nothing leaks between requests."""
    return (
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "  # noqa: S608
        f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
    )


__all__ = ["RecordSchema", "value_types"]  # re-exported: the readers of deal rows use them
