"""The people row is declared once (accounts.user_rows): these fail when the struct and the
User model disagree, and show that the parser's limits are the model's."""

import datetime as dt
from typing import Any

import msgspec
import pytest

from accounts.models import CrmIdentity, Team, User
from accounts.user_rows import NOT_STORED, USER, UserIn, UserRow, parse_user_row
from core.bulk import RowError
from core.records import RecordSchema
from tests.record_checks import disagreements as record_disagreements


def disagreements(schema: RecordSchema) -> list[str]:
    # role and time_zone take the model's default when the row has none.
    return record_disagreements(
        schema,
        not_stored=NOT_STORED,
        defaulted={"role", "time_zone"},
        references={"team", "manager_email", "coach_email"},
    )


def test_the_people_row_and_the_user_model_agree():
    assert disagreements(USER) == []
    # Every field a person is written with comes from the row (crm_ids as CrmIdentity rows).
    assert {f.name for f in USER.fields()} - NOT_STORED == {
        "email",
        "full_name",
        "role",
        "team",
        "manager_email",
        "coach_email",
        "hire_date",
        "time_zone",
    }


def test_the_check_catches_a_row_that_disagrees_with_the_model():
    class Wrong(msgspec.Struct, kw_only=True):
        email: str | None = None  # required in the model
        full_name: int  # stored as text
        role: str = "wizard"  # not a role
        time_zone: str = "Europe/Berlin"  # the model's default is UTC
        hire_date: dt.date  # optional in the model
        nickname: str  # no such field

    assert disagreements(RecordSchema(Wrong, User)) == [
        "email: optional in rows, required in the model",
        "full_name: <class 'int'> is stored in CharField",
        "role: default 'wizard' is not a choice",
        "role: default 'wizard', the model's differs",
        "time_zone: default 'Europe/Berlin', the model's differs",
        "hire_date: required in rows, optional in the model",
        "nickname: no field User.nickname",
    ]


def _parsed(**fields: object) -> UserRow | RowError:
    return parse_user_row(0, {"email": "sam@example.com", "full_name": "Sam", **fields})


@pytest.mark.parametrize(
    ("field", "model", "column"),
    [
        ("full_name", User, "full_name"),
        ("team", Team, "name"),
    ],
)
def test_text_limits_are_the_columns(field, model, column):
    limit = model._meta.get_field(column).max_length

    fits = _parsed(**{field: "x" * limit})
    over = _parsed(**{field: "x" * (limit + 1)})

    assert isinstance(fits, UserRow)
    assert isinstance(over, RowError)
    assert over.field == field
    assert str(limit) in over.message


def test_crm_id_limits_are_the_identity_columns():
    source_max = CrmIdentity._meta.get_field("source").max_length
    owner_max = CrmIdentity._meta.get_field("owner_id").max_length

    fits = _parsed(crm_ids={"s" * source_max: "o" * owner_max})
    too_long = [
        _parsed(crm_ids={"s" * (source_max + 1): "o"}),
        _parsed(crm_ids={"s": "o" * (owner_max + 1)}),
    ]

    assert isinstance(fits, UserRow)
    assert [(e.field, e.message) for e in too_long if isinstance(e, RowError)] == [
        ("crm_ids", too_long[0].message),
        ("crm_ids", too_long[0].message),
    ]
    assert f"up to {source_max}" in too_long[0].message


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": 5}, "email", "Enter a valid email address."),
        ({"full_name": ["Sam"]}, "full_name", "Give a name of 1 to 150 characters."),
        ({"role": None}, "role", "Must be one of"),
        ({"team": 7}, "team", "Must be a team name of at most"),
        ({"manager_email": 1}, "manager_email", "Must be an email address."),
        ({"hire_date": "yesterday"}, "hire_date", "Use the date format YYYY-MM-DD."),
        ({"hire_date": "1800-01-01"}, "hire_date", "Must be between 1900-01-01"),
        ({"time_zone": 3}, "time_zone", "Must be a time zone name"),
        ({"crm_ids": ["005X"]}, "crm_ids", "Must be an object of {source: owner_id}"),
    ],
)
def test_a_wrongly_typed_field_is_named_from_the_struct(fields, field, message):
    error = _parsed(**fields)

    assert isinstance(error, RowError)
    assert (error.field, error.key) == (field, str(fields.get("email", "sam@example.com")))
    assert error.message.startswith(message)


def test_a_missing_field_is_named_and_empty_cells_mean_none():
    missing = parse_user_row(3, {"email": "sam@example.com"})
    empty = _parsed(hire_date="", crm_ids={}, team=None)

    assert isinstance(missing, RowError)
    assert (missing.index, missing.field, missing.message) == (
        3,
        "full_name",
        "This field is required.",
    )
    assert isinstance(empty, UserRow)
    assert (empty.hire_date, empty.crm_ids, empty.team, empty.time_zone) == (None, {}, None, "UTC")
    assert UserIn.__struct_fields__[0] == "email"


def test_the_documented_people_row_is_the_declared_row_with_the_model_limits():
    # given the OpenAPI serializer of the bulk people row
    from accounts.api.serializers import UserBulkRowSerializer

    fields: dict[str, Any] = UserBulkRowSerializer().fields
    declared = msgspec.structs.fields(UserIn)

    # then it documents exactly the struct's fields, required where the struct requires them,
    # nullable where the struct takes null, with the model's lengths and choices
    assert list(fields) == [f.name for f in declared]
    assert {n for n, f in fields.items() if f.required} == {f.name for f in declared if f.required}
    assert {n for n, f in fields.items() if f.allow_null} == {
        f.name for f in declared if type(None) in getattr(f.type, "__args__", ())
    }
    assert fields["email"].max_length == User._meta.get_field("email").max_length
    assert fields["full_name"].max_length == User._meta.get_field("full_name").max_length
    assert fields["team"].max_length == Team._meta.get_field("name").max_length
    assert dict(fields["role"].choices) == dict(User._meta.get_field("role").choices)
    # a time zone is documented as text, not as an enum of ~600 names
    assert type(fields["time_zone"]).__name__ == "CharField"
    assert type(fields["manager_email"]).__name__ == "EmailField"
