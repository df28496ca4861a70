"""The deal row is declared once (deals.schema): these fail when the declaration and the model
disagree, and show that every reader of the declaration follows it."""

import datetime as dt
from typing import Any

import msgspec
import pytest
from django.db import connection, transaction

from core.records import RecordSchema, value_types
from deals.api.serializers import ActivityBulkRowSerializer, DealBulkRowSerializer
from deals.models import Activity, Deal, DealChange, DealField
from deals.schema import ACTIVITY, COLUMNS, DEAL, ActivityIn, DealIn, HistoryIn
from deals.services import activity_rows, csv_import
from deals.services.rows import RowInvalid, parse_row
from tests.deals.factories import deal_row
from tests.record_checks import disagreements as record_disagreements

# Row fields stored under another name, not stored at all, or filled in when the row omits them.
STORED_AS = {"owner_id": "owner_external_id"}
NOT_STORED = {"owner_email"}  # resolves the owner, stored as owner_external_id when no id
DEFAULTED = {"source"}  # the request's ?source= or the connection's


def disagreements(schema: RecordSchema) -> list[str]:
    return record_disagreements(schema, not_stored=NOT_STORED, defaulted=DEFAULTED)


def test_the_deal_row_and_the_deal_model_agree():
    assert disagreements(DEAL) == []


def test_the_activity_row_and_the_activity_model_agree():
    assert disagreements(ACTIVITY) == []
    from_rows = {STORED_AS.get(f.name, f.name) for f in msgspec.structs.fields(ActivityIn)}
    # owner_id and deal_id (ours) are resolved from the CRM's ids.
    assert set(activity_rows.COLUMNS) == (from_rows - NOT_STORED) | {"owner_id"}
    assert {f.column for f in Activity._meta.concrete_fields} == {
        *activity_rows.COLUMNS,
        "deal_id",
        "id",
        "ingested_at",
    }


def test_every_stored_column_is_filled_from_a_row_field():
    from_rows = {STORED_AS.get(f.name, f.name) for f in msgspec.structs.fields(DealIn)}
    # owner_id (the user) is resolved from owner_id/owner_email; ingested_at is bookkeeping.
    assert set(COLUMNS) == (from_rows - NOT_STORED) | {"owner_id"}
    assert {f.column for f in Deal._meta.concrete_fields} == {*COLUMNS, "id", "ingested_at"}


def test_the_history_row_agrees_with_the_change_model():
    change_fields = {f.name for f in DealChange._meta.get_fields()}
    assert {"field", "changed_at", "old_value", "new_value"} <= change_fields
    assert value_types(msgspec.structs.fields(HistoryIn)[2].type) == {dt.datetime}
    assert DealChange._meta.get_field("field").choices == DealField.choices


def test_the_check_catches_a_row_that_disagrees_with_the_model():
    class Wrong(msgspec.Struct, kw_only=True):
        external_id: int  # stored as text
        amount: str  # stored as a decimal
        closed_at: dt.datetime  # required, but the model allows null
        name: str | None = None  # optional, but the model requires it
        nickname: str  # no such field

    assert disagreements(RecordSchema(Wrong, Deal)) == [
        "external_id: <class 'int'> is stored in CharField",
        "amount: <class 'str'> is stored in DecimalField",
        "closed_at: required in rows, optional in the model",
        "name: optional in rows, required in the model",
        "nickname: no field Deal.nickname",
    ]


def _over(field: str, stored: str | None = None) -> int:
    return Deal._meta.get_field(stored or field).max_length + 1  # type: ignore[union-attr,operator]


@pytest.mark.parametrize(
    ("field", "stored"),
    [
        ("external_id", None),
        ("source", None),
        ("owner_id", "owner_external_id"),
        ("name", None),
        ("account_name", None),
        ("stage", None),
        ("loss_reason", None),
    ],
)
def test_text_longer_than_the_model_column_is_a_row_error(field, stored):
    too_long = "x" * _over(field, stored)
    limit = _over(field, stored) - 1

    with pytest.raises(RowInvalid) as refused:
        parse_row(deal_row(**{field: too_long}), None)

    expected_field = "owner_external_id" if field == "owner_id" else field
    assert (refused.value.field, refused.value.message) == (
        expected_field,
        f"At most {limit} characters.",
    )


def test_the_csv_mapping_offers_the_declared_fields_in_order():
    declared = [(f.name, f.required) for f in msgspec.structs.fields(DealIn)]

    assert declared == csv_import.FIELDS
    assert {
        "has_compelling_deadline",
        "has_economic_buyer",
        "has_champion",
        "has_decision_process",
        "has_metrics",
    } == csv_import.BOOLEAN_FIELDS
    assert {"created_at", "closed_at", "source_updated_at"} == csv_import.DATETIME_FIELDS


def test_the_documented_bulk_row_is_the_declared_row_with_the_model_limits():
    fields: dict[str, Any] = DealBulkRowSerializer().fields

    assert list(fields) == [f.name for f in msgspec.structs.fields(DealIn)]
    assert {n for n, f in fields.items() if f.required} == {
        f.name for f in msgspec.structs.fields(DealIn) if f.required
    }
    assert fields["name"].max_length == 255
    assert fields["owner_id"].max_length == 254
    assert fields["external_id"].max_length == 128
    assert (fields["amount"].max_digits, fields["amount"].decimal_places) == (18, 2)
    assert dict(fields["status"].choices) == {"open": "Open", "won": "Won", "lost": "Lost"}


def test_the_documented_activity_row_is_the_declared_row_with_the_model_limits():
    fields: dict[str, Any] = ActivityBulkRowSerializer().fields

    assert list(fields) == [f.name for f in msgspec.structs.fields(ActivityIn)]
    assert fields["outcome"].max_length == 100
    assert fields["deal_external_id"].max_length == 128
    assert dict(fields["kind"].choices) == {"meeting": "Meeting", "call": "Call", "email": "Email"}
    assert fields["duration_seconds"].max_value == 7 * 24 * 3600


@pytest.mark.parametrize(
    ("field", "limit"), [("external_id", 128), ("owner_id", 254), ("outcome", 100)]
)
def test_activity_text_longer_than_the_model_column_is_a_row_error(field, limit):
    row = {
        "source": "hubspot",
        "external_id": "A1",
        "kind": "call",
        "owner_id": "7",
        "occurred_at": "2025-01-10T08:00:00Z",
        "source_updated_at": "2025-01-10T08:00:00Z",
        field: "x" * (limit + 1),
    }

    with pytest.raises(RowInvalid) as refused:
        activity_rows.parse_activity_row(row, None)

    assert (refused.value.field, refused.value.message) == (field, f"At most {limit} characters.")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the staging table is PostgreSQL's")
def test_the_staging_table_has_the_deals_table_column_types():
    from deals.services.ingest_postgres import CREATE_STAGE, STAGE

    type_sql = """
        SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CREATE_STAGE)
        cursor.execute(type_sql, [STAGE])
        staged = cursor.fetchall()
        cursor.execute(type_sql, [Deal._meta.db_table])
        stored = dict(cursor.fetchall())

    assert [name for name, _type in staged] == list(COLUMNS)
    assert {name: kind for name, kind in staged} == {c: stored[c] for c in COLUMNS}
    assert dict(staged)["amount"] == "numeric(18,2)"
    assert dict(staged)["external_id"] == "character varying(128)"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the staging table is PostgreSQL's")
def test_the_activity_staging_table_has_the_activity_table_column_types():
    from deals.services.activities import CREATE_STAGE, STAGE

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CREATE_STAGE)
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
            [STAGE],
        )
        staged = cursor.fetchall()

    assert [name for name, _type in staged] == list(activity_rows.COLUMNS)
    assert dict(staged)["outcome"] == "character varying(100)"
    assert dict(staged)["duration_seconds"] == "integer"
