"""Tools and their seats: the bulk API, the admin's pages, CSV import, spend per rep-month."""

import datetime as dt
import importlib
import json
from decimal import Decimal

import pytest

from deals.models import ExchangeRate
from tests.factories import TeamFactory, UserFactory
from tools.models import Tool, ToolSeat
from tools.selectors import tool_spend_by_person_month

pytestmark = pytest.mark.django_db

BULK = "/api/v1/tools/bulk"


def tool_row(tool_name="Outreach", **overrides):
    row = {
        "name": tool_name,
        "category": "engagement",
        "pricing": "per_seat",
        "monthly_cost": "100.00",
        "currency": "USD",
        "starts_on": "2025-01-01",
        "ends_on": None,
        "seats": [{"email": "rep@example.com", "starts_on": "2025-01-01"}],
    }
    row.update(overrides)
    return row


@pytest.fixture
def writer(cast, key_client):
    return key_client("tools:write")


def test_bulk_creates_then_the_same_body_is_unchanged(cast, writer):
    rows = [tool_row(), tool_row("Zoom", category="conferencing", pricing="flat", seats=[])]

    first = writer.post(BULK, rows, format="json").json()
    again = writer.post(BULK, rows, format="json").json()

    assert first == {"received": 2, "created": 2, "updated": 0, "unchanged": 0, "errors": []}
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    seat = ToolSeat.objects.get()
    assert (seat.tool.name, seat.user, seat.starts_on) == (
        "Outreach",
        cast.rep,
        dt.date(2025, 1, 1),
    )


def test_a_changed_row_updates_the_tool_and_replaces_its_seats(cast, writer):
    writer.post(BULK, [tool_row()], format="json")

    result = writer.post(
        BULK,
        [tool_row(monthly_cost="120", seats=[{"team": "team a", "starts_on": "2025-02-01"}])],
        format="json",
    ).json()

    assert (result["updated"], result["errors"]) == (1, [])
    tool = Tool.objects.get()
    assert tool.monthly_cost == Decimal("120.00")
    assert list(tool.seats.values_list("user", "team__name")) == [(None, "Team A")]


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"monthly_cost": "-1"}, "monthly_cost", "Must not be negative."),
        ({"monthly_cost": "NaN"}, "monthly_cost", "Must be a finite number."),
        ({"monthly_cost": "1e40"}, "monthly_cost", "Too large."),
        ({"currency": "ZZZ"}, "currency", "Unknown currency 'ZZZ'"),
        ({"category": "crystal ball"}, "category", "Must be one of crm"),
        ({"pricing": "yearly"}, "pricing", "Must be one of per_seat, flat."),
        ({"name": "a\x00b"}, "name", "Must not contain NUL characters."),
        ({"starts_on": "9999-12-31"}, "starts_on", "Must be between 1900-01-01"),
        ({"ends_on": "2024-12-31"}, "ends_on", "Must not be before starts_on."),
        (
            {
                "seats": [
                    {
                        "email": "rep@example.com",
                        "starts_on": "2025-01-01",
                        "ends_on": "2025-06-30",
                    },
                    {"email": "rep@example.com", "starts_on": "2025-06-30"},
                ]
            },
            "seats[1]",
            "Overlaps seats[0] of the same holder",
        ),
        (
            {"seats": [{"email": "nobody@example.com", "starts_on": "2025-01-01"}]},
            "seats[0].email",
            "No active person",
        ),
        ({"seats": [{"team": "Ghosts", "starts_on": "2025-01-01"}]}, "seats[0].team", "No team"),
        (
            {"seats": [{"starts_on": "2025-01-01"}]},
            "seats[0]",
            "Give either email (a person) or team.",
        ),
    ],
)
def test_bad_rows_are_row_errors_and_the_good_row_lands(cast, writer, override, field, message):
    body = [tool_row("Bad", **override), tool_row("Good")]

    response = writer.post(BULK, body, format="json")

    assert response.status_code == 200
    result = response.json()
    assert result["created"] == 1
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(0, field)]
    assert result["errors"][0]["message"].startswith(message)
    assert list(Tool.objects.values_list("name", flat=True)) == ["Good"]


@pytest.mark.parametrize("who", [None, "rep", "manager", "leader"])
def test_only_admins_and_tools_keys_write(cast, client_for, who):
    response = client_for(who).post(BULK, [tool_row()], format="json")

    assert response.status_code in (401, 403)
    assert not Tool.objects.exists()


def test_a_key_without_the_scope_is_403(cast, key_client):
    response = key_client("deals:write").post(BULK, [tool_row()], format="json")

    assert response.status_code == 403
    assert not Tool.objects.exists()


def test_overlapping_seats_are_refused_by_the_database_too(cast):
    if not _postgres():
        pytest.skip("the exclusion constraint exists on PostgreSQL")
    from django.db import IntegrityError, transaction

    tool = Tool.objects.create(
        name="X",
        category="crm",
        pricing="per_seat",
        monthly_cost=1,
        currency="USD",
        starts_on=dt.date(2025, 1, 1),
    )
    ToolSeat.objects.create(tool=tool, user=cast.rep, starts_on=dt.date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        ToolSeat.objects.create(tool=tool, user=cast.rep, starts_on=dt.date(2025, 3, 1))


def test_names_differing_only_in_case_are_refused_by_the_database():
    from django.db import IntegrityError, transaction

    fields = {
        "category": "engagement",
        "pricing": "flat",
        "monthly_cost": 1,
        "currency": "USD",
        "starts_on": dt.date(2025, 1, 1),
    }
    Tool.objects.create(name="Gong", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Tool.objects.create(name="gONG", **fields)
    assert list(Tool.objects.values_list("name", flat=True)) == ["Gong"]


def test_the_migration_renames_all_but_the_oldest_of_names_differing_in_case():
    migration = importlib.import_module("tools.migrations.0002_tool_name_unique_ci")
    stored = [
        (7, "gong"),
        (3, "Gong"),
        (9, "GONG"),
        (4, "Outreach"),
        (12, "x" * 120),
        (13, "X" * 120),
    ]

    renames = migration.duplicate_renames(stored)

    assert renames == [
        (7, "gong", "gong (duplicate 7)"),
        (9, "GONG", "GONG (duplicate 9)"),
        (13, "X" * 120, "X" * 105 + " (duplicate 13)"),
    ]
    assert all(len(new) <= 120 for _pk, _old, new in renames)


def _postgres():
    from django.db import connection

    return connection.vendor == "postgresql"


def test_spend_per_person_month_in_the_home_currency(cast):
    # Home currency USD (default); EUR at 1.10 from January, 1.20 from March.
    ExchangeRate.objects.create(currency="EUR", rate=Decimal("1.1"), valid_from=dt.date(2025, 1, 1))
    ExchangeRate.objects.create(currency="EUR", rate=Decimal("1.2"), valid_from=dt.date(2025, 3, 1))
    sdr = TeamFactory(name="SDR")
    ana, ben = UserFactory(team=sdr), UserFactory(team=sdr)
    from tools.services import tools_upsert

    result = tools_upsert(
        rows=[
            tool_row(
                "Dialer",
                monthly_cost="100",
                currency="EUR",
                seats=[{"team": "SDR", "starts_on": "2025-01-15", "ends_on": "2025-03-31"}],
            ),
            tool_row(
                "Data",
                pricing="flat",
                monthly_cost="300",
                seats=[
                    {"team": "SDR", "starts_on": "2025-01-01"},
                    {"email": ana.email, "starts_on": "2025-01-01"},
                ],
            ),
            tool_row(
                "Old",
                monthly_cost="999",
                currency="GBP",
                seats=[{"team": "SDR", "starts_on": "2025-01-01"}],
            ),
        ]
    )
    assert result.errors == []

    spend = tool_spend_by_person_month(start=dt.date(2025, 1, 1), end=dt.date(2025, 4, 1))

    jan, mar, apr = dt.date(2025, 1, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)
    # Dialer 100 EUR per seat (110 USD in January, 120 in March), Data 300 USD shared by the
    # two SDRs (ana holds it in person and through her team: once).
    assert spend.total(ana.pk, jan) == Decimal("260.00")
    assert spend.total(ben.pk, mar) == Decimal("270.00")
    assert spend.total(ben.pk, apr) == Decimal("150.00")  # the dialer seats ended in March
    assert spend.unconverted == 4  # the GBP tool has no rate in any of the four months


def test_admin_pages_list_add_edit_delete(cast, client):
    client.force_login(cast.admin)

    added = client.post(
        "/tools/new/",
        {
            "name": "Gong",
            "category": "conferencing",
            "pricing": "per_seat",
            "monthly_cost": "110",
            "currency": "usd",
            "starts_on": "2025-01-01",
            "seats": "rep@example.com, 2025-01-01\nTeam A, 2025-02-01, 2025-12-31\n",
        },
    )
    tool = Tool.objects.get()
    seats = list(tool.seats.values_list("user__email", "team__name", "ends_on"))
    edited = client.post(
        f"/tools/{tool.pk}/",
        {
            "category": "conferencing",
            "pricing": "per_seat",
            "monthly_cost": "-5",
            "currency": "USD",
            "starts_on": "2025-01-01",
            "seats": "",
        },
    )
    page = client.get("/tools/")
    deleted = client.post(f"/tools/{tool.pk}/delete")

    assert added.status_code == 302
    assert tool.currency == "USD"
    assert sorted(seats, key=str) == sorted(
        [("rep@example.com", None, None), (None, "Team A", dt.date(2025, 12, 31))], key=str
    )
    assert edited.status_code == 400
    assert "Must not be negative." in edited.content.decode()
    assert "Gong" in page.content.decode()
    assert deleted.status_code == 302
    assert not Tool.objects.exists()


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader"])
def test_tool_pages_are_404_for_everyone_but_admins(cast, client, who):
    tool = Tool.objects.create(
        name="X",
        category="crm",
        pricing="flat",
        monthly_cost=1,
        currency="USD",
        starts_on=dt.date(2025, 1, 1),
    )
    client.force_login(cast[who])

    assert client.get("/tools/").status_code == 404
    assert client.get(f"/tools/{tool.pk}/").status_code == 404
    assert client.post(f"/tools/{tool.pk}/delete").status_code == 404
    assert Tool.objects.exists()


def test_csv_import_one_line_per_seat_with_line_numbers_on_errors(cast, client):
    client.force_login(cast.admin)
    csv_text = (
        "name,category,pricing,monthly_cost,currency,starts_on,ends_on,seat_email,seat_team,seat_starts_on,seat_ends_on\n"
        "Salesforce,crm,per_seat,150,USD,2025-01-01,,rep@example.com,,2025-01-01,\n"
        "Salesforce,crm,per_seat,150,USD,2025-01-01,,,Team A,2025-01-01,\n"
        "Bad,crm,per_seat,-3,USD,2025-01-01,,,,,\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/tools/import/", {"file": SimpleUploadedFile("tools.csv", csv_text.encode())}
    )

    assert response.status_code == 400
    assert "Line 4" in response.content.decode()
    assert Tool.objects.get().seats.count() == 2


def test_tools_page_runs_constant_queries(cast, client, django_assert_num_queries):
    client.force_login(cast.admin)
    for n in range(3):
        Tool.objects.create(
            name=f"T{n}",
            category="crm",
            pricing="flat",
            monthly_cost=1,
            currency="USD",
            starts_on=dt.date(2025, 1, 1),
        )
    # session, user, tools, seats with holders
    with django_assert_num_queries(4):
        client.get("/tools/")
    for n in range(3, 10):
        tool = Tool.objects.create(
            name=f"T{n}",
            category="crm",
            pricing="per_seat",
            monthly_cost=1,
            currency="USD",
            starts_on=dt.date(2025, 1, 1),
        )
        ToolSeat.objects.create(tool=tool, user=cast.rep, starts_on=dt.date(2025, 1, 1))
    with django_assert_num_queries(4):
        client.get("/tools/")


def test_json_body_with_nan_literal_is_a_row_error_or_400(cast, writer):
    response = writer.generic(
        "POST",
        BULK,
        json.dumps([tool_row(monthly_cost=float("nan"))]),
        content_type="application/json",
    )

    assert response.status_code in (200, 400)
    assert not Tool.objects.exists()
