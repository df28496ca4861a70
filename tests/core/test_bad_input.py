"""Bad input never 500s (issue #11, item 4): every bulk path answers a per-row error for every
bad value while the good row lands, and every filter answers 400 naming the parameter."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from deals.models import Deal, IngestJob
from integrations.mapping import MappingInvalid, parse_amount, parse_time
from integrations.models import WebhookEvent
from integrations.services.webhooks import hubspot_webhook_receive
from tests.deals.factories import deal_row
from tests.factories import CrmIdentityFactory
from tests.training.factories import CourseFactory
from training.models import Completion

pytestmark = pytest.mark.django_db

HUGE = 10**30
NUL = "Acme\x00 Corp"

# bad value -> (deals row override, users row override, completions row override); each names
# the field the row error must point at. None: the path has no field that can carry the value.
BAD = {
    "year 9999": (
        {"expected_close_date": "9999-12-31"},
        {"hire_date": "9999-12-31"},
        None,  # completions in the future are refused anyway; the far past is below
    ),
    "year 1899": (
        {"created_at": "1899-12-31T23:00:00Z"},
        {"hire_date": "1899-12-31"},
        {"completed_at": "1899-12-31"},
    ),
    "offset +15:00": (
        {"source_updated_at": "2025-03-01T09:00:00+15:00"},
        None,
        {"completed_at": "2024-03-01T09:00:00+15:00"},
    ),
    "offset -14:30": (
        {"created_at": "2025-01-10T08:00:00-14:30"},
        None,
        {"completed_at": "2024-03-01T09:00:00-14:30"},
    ),
    "NUL in text": ({"name": NUL}, {"full_name": NUL}, {"course": NUL}),
    "NUL in a key": ({"x\x00": "y"}, {"x\x00": "y"}, {"x\x00": "y"}),
    "NaN": ({"amount": "NaN"}, None, {"score": "NaN"}),
    "Infinity": ({"amount": "Infinity"}, None, {"score": "-Infinity"}),
    "huge integer": ({"external_id": HUGE}, {"crm_ids": {"hubspot": HUGE}}, {"score": HUGE}),
}


def _field(override):
    key = next(iter(override))
    return key.replace("\x00", "\\x00")


def _cases(position):
    return [pytest.param(bad[position], id=name) for name, bad in BAD.items() if bad[position]]


@pytest.mark.parametrize("override", _cases(0))
def test_deals_bulk_answers_a_row_error_for(cast, key_client, override):
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005REP")
    rows = [{**deal_row(1), **override}, deal_row(2)]

    response = key_client("deals:write").post("/api/v1/deals/bulk", rows, format="json")

    assert response.status_code == 200
    body = response.json()
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(0, _field(override))]
    assert body["created"] == 1
    assert list(Deal.objects.values_list("external_id", flat=True)) == ["006D000002"]


@pytest.mark.parametrize("override", _cases(1))
def test_users_bulk_answers_a_row_error_for(cast, key_client, override):
    rows = [
        {"email": "bad@example.com", "full_name": "Bad", **override},
        {"email": "good@example.com", "full_name": "Good"},
    ]

    response = key_client("users:write").post("/api/v1/users/bulk", rows, format="json")

    assert response.status_code == 200
    body = response.json()
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(0, _field(override))]
    assert body["created"] == 1
    assert not User.objects.filter(email="bad@example.com").exists()


@pytest.mark.parametrize("override", _cases(2))
def test_completions_bulk_answers_a_row_error_for(cast, key_client, override):
    CourseFactory(slug="qualify")
    rows = [
        {"email": cast.rep.email, "course": "qualify", "completed_at": "2024-03-01", **override},
        {"email": cast.coach.email, "course": "qualify", "completed_at": "2024-03-01"},
    ]

    response = key_client("training:write").post("/api/v1/completions/bulk", rows, format="json")

    assert response.status_code == 200
    body = response.json()
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(0, _field(override))]
    assert body["created"] == 1
    assert list(Completion.objects.values_list("user__email", flat=True)) == [cast.coach.email]


CSV_HEADER = "Opportunity ID,Opportunity Name,Owner,Amount,Currency,Stage,Status,Created Date,Close Date,Last Modified\n"  # noqa: E501
CSV_GOOD = "006C2,Good,005REP,100,EUR,Proposal,open,2025-01-10,2025-06-30,2025-03-01T09:00:00Z\n"
CSV_MAPPING = {
    "external_id": "Opportunity ID",
    "name": "Opportunity Name",
    "owner_id": "Owner",
    "amount": "Amount",
    "currency": "Currency",
    "stage": "Stage",
    "status": "Status",
    "created_at": "Created Date",
    "expected_close_date": "Close Date",
    "source_updated_at": "Last Modified",
}
CSV_BAD = {
    "year 9999": ("expected_close_date", "Close Date", "9999-12-31"),
    "year 1899": ("created_at", "Created Date", "1899-12-31"),
    "offset +15:00": ("source_updated_at", "Last Modified", "2025-03-01T09:00:00+15:00"),
    "NaN": ("amount", "Amount", "NaN"),
    "Infinity": ("amount", "Amount", "Infinity"),
    "huge integer": ("amount", "Amount", str(HUGE)),
}


@pytest.mark.parametrize(("field", "column", "value"), list(CSV_BAD.values()), ids=list(CSV_BAD))
def test_csv_import_answers_a_row_error_for(cast, client, field, column, value):
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005REP")
    client.force_login(cast.admin)
    cells = dict(zip(CSV_HEADER.strip().split(","), CSV_GOOD.strip().split(","), strict=True))
    bad = {**cells, "Opportunity ID": "006C1", column: value}
    text = CSV_HEADER + ",".join(bad.values()) + "\n" + CSV_GOOD
    file = SimpleUploadedFile("deals.csv", text.encode())
    mapped = client.post(
        "/deals/import/", {"source": "salesforce", "file": file, "encoding": "utf-8"}
    )

    done = client.post(mapped["Location"], CSV_MAPPING)

    assert done.status_code == 302
    job = IngestJob.objects.get()
    assert [(e["index"], e["field"]) for e in job.errors] == [(0, field)]
    assert job.created == 1


def test_csv_import_refuses_a_file_with_nul_characters_as_a_whole(cast, client):
    client.force_login(cast.admin)
    file = SimpleUploadedFile("deals.csv", (CSV_HEADER + CSV_GOOD.replace("Good", NUL)).encode())

    response = client.post(
        "/deals/import/", {"source": "salesforce", "file": file, "encoding": "utf-8"}
    )

    assert "This looks like a binary file" in response.content.decode()
    assert not IngestJob.objects.exists()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (HUGE, "Not a date-time"),
        (str(HUGE), "Not a date-time"),
        ("9999-12-31T23:59:59Z", "Must be between 1900-01-01 and 2100-12-31."),
        ("2025-03-01T09:00:00+15:00", "The UTC offset must be between -14:00 and +14:00."),
    ],
)
def test_crm_timestamps_out_of_bounds_are_mapping_errors(value, reason):
    with pytest.raises(MappingInvalid) as refused:
        parse_time(value, field="created_at")

    assert str(refused.value.args[-1]).startswith(reason) or reason in str(refused.value)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_crm_amounts_that_are_not_numbers_are_mapping_errors(value):
    with pytest.raises(MappingInvalid):
        parse_amount(value)


def test_hubspot_webhook_events_with_absurd_numbers_are_stored_without_a_time(db):
    events = [
        {
            "eventId": 1,
            "subscriptionType": "deal.propertyChange",
            "objectId": HUGE,
            "occurredAt": HUGE,
        },
        {"eventId": 2, "subscriptionType": "deal.creation", "objectId": 7, "occurredAt": -HUGE},
    ]

    receipt = hubspot_webhook_receive(events=json.loads(json.dumps(events)))

    assert (receipt.accepted, receipt.ignored) == (2, 0)
    assert list(
        WebhookEvent.objects.order_by("event_id").values_list("occurred_at", flat=True)
    ) == [
        None,
        None,
    ]
