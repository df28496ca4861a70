"""POST /api/v1/activities/bulk: the deals bulk contract for CRM meetings, calls and emails."""

import datetime as dt
import json

import pytest
from django.test import override_settings

from accounts.models import CrmIdentity
from deals.models import Activity, IngestJob
from deals.services import activities_ingest, deal_owner_map, deals_ingest
from tests.deals.factories import activity_row, deal_row
from tests.factories import CrmIdentityFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/activities/bulk"


@pytest.fixture
def writer(cast, key_client):
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005REP")
    return key_client("deals:write")


def _counts(result):
    return tuple(result[k] for k in ("created", "updated", "unchanged", "stale"))


def test_bulk_creates_activities_linked_to_their_deal_and_owner(cast, writer):
    deals_ingest(rows=[deal_row(1)])

    response = writer.post(BULK, [activity_row(1), activity_row(2, kind="Call")], format="json")

    assert response.status_code == 200
    assert response.json() == {
        "received": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "stale": 0,
        "errors": [],
    }
    rows = Activity.objects.order_by("external_id").values_list(
        "kind", "owner_id", "deal__external_id", "duration_seconds", "outcome"
    )
    assert list(rows) == [
        ("meeting", cast.rep.pk, "006D000001", 1800, "Completed"),
        ("call", cast.rep.pk, "006D000001", 1800, "Completed"),
    ]


def test_the_same_body_twice_is_all_unchanged(writer):
    rows = [activity_row(n) for n in range(5)]
    writer.post(BULK, rows, format="json")

    again = writer.post(BULK, rows, format="json").json()

    assert _counts(again) == (0, 0, 5, 0)


def test_newer_rows_update_and_older_rows_are_stale(writer):
    writer.post(BULK, [activity_row(1, source_updated_at="2025-03-01T00:00:00Z")], format="json")
    rows = [
        activity_row(1, outcome="Old", source_updated_at="2025-02-01T00:00:00Z"),
        activity_row(2, outcome="First", source_updated_at="2025-03-01T00:00:00Z"),
        activity_row(2, outcome="Newest", source_updated_at="2025-03-02T00:00:00Z"),
    ]

    result = writer.post(BULK, rows, format="json").json()
    newer = writer.post(
        BULK,
        [activity_row(1, outcome="No show", source_updated_at="2025-04-01T00:00:00Z")],
        format="json",
    )

    assert _counts(result) == (1, 0, 0, 2)
    assert _counts(newer.json()) == (0, 1, 0, 0)
    assert dict(Activity.objects.values_list("external_id", "outcome")) == {
        "00U0000001": "No show",
        "00U0000002": "Newest",
    }


def test_duplicates_inside_one_batch_resolve_to_the_newest_as_deals_do(writer):
    # given one batch that names three activities several times each: by time, at the same
    # time with other content, and under the source's other spelling and an integer id
    rows = [
        activity_row(1, outcome="First", source_updated_at="2025-03-01T00:00:00Z"),
        activity_row(1, outcome="Newest", source_updated_at="2025-03-03T00:00:00Z"),
        activity_row(1, outcome="Middle", source_updated_at="2025-03-02T00:00:00Z"),
        activity_row(2, outcome="Earlier row"),
        activity_row(2, outcome="Later row"),
        activity_row(3, external_id=7),
        activity_row(3, external_id="7", source="Salesforce"),
    ]

    # when it is posted (PostgreSQL's upsert refuses to touch one row twice in a statement,
    # so a duplicate that reached it would be a 500)
    result = writer.post(BULK, rows, format="json").json()

    # then each activity is stored once, as its newest row (the later one on a tie); the
    # older rows count as stale, the equally new ones as unchanged (the deals rule)
    assert _counts(result) == (3, 0, 2, 2)
    assert result["errors"] == []
    assert dict(Activity.objects.values_list("external_id", "outcome")) == {
        "00U0000001": "Newest",
        "00U0000002": "Later row",
        "7": "Completed",
    }


def test_a_resent_batch_with_duplicates_changes_nothing(writer):
    rows = [
        activity_row(1, outcome="Old", source_updated_at="2025-03-01T00:00:00Z"),
        activity_row(1, outcome="New", source_updated_at="2025-03-02T00:00:00Z"),
        activity_row(2),
        activity_row(2),
    ]
    writer.post(BULK, rows, format="json")
    stored = list(Activity.objects.order_by("pk").values_list("pk", "outcome", "ingested_at"))

    again = writer.post(BULK, rows, format="json").json()

    # the stored newest row is unchanged, the older duplicate is stale, the copy unchanged
    assert _counts(again) == (0, 0, 3, 1)
    assert list(Activity.objects.order_by("pk").values_list("pk", "outcome", "ingested_at")) == (
        stored
    )
    assert [outcome for _pk, outcome, _at in stored] == ["New", "Completed"]


def test_a_resent_job_is_deduplicated_like_a_request(writer):
    rows = [activity_row(1), activity_row(1), activity_row(2)]
    first = activities_ingest(rows=rows)
    second = activities_ingest(rows=[*rows, *rows])

    assert (first.created, first.unchanged) == (2, 1)
    assert (second.created, second.updated, second.unchanged, second.stale) == (0, 0, 6, 0)
    assert Activity.objects.count() == 2


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"kind": "lunch"}, "kind", "Must be one of meeting, call, email."),
        ({"external_id": "a\x00b"}, "external_id", "Must not contain NUL characters."),
        ({"outcome": "x\x00"}, "outcome", "Must not contain NUL characters."),
        ({"duration_seconds": "NaN"}, "duration_seconds", "Must be a whole number of seconds."),
        ({"duration_seconds": "Infinity"}, "duration_seconds", "Must be a whole number"),
        ({"x\x00": 1}, "x\\x00", "Must not contain NUL characters."),
        ({"occurred_at": "2025-02-10T14:00:00+15:00"}, "occurred_at", "The UTC offset must"),
        ({"duration_seconds": 2**70}, "duration_seconds", "The number is too large."),
        ({"duration_seconds": 2**40}, "duration_seconds", "Must be between 0 and 604800"),
        ({"duration_seconds": -1}, "duration_seconds", "Must be between 0 and 604800"),
        ({"duration_seconds": 1.5}, "duration_seconds", "Must be a whole number of seconds."),
        ({"occurred_at": "9999-12-31T23:59:59Z"}, "occurred_at", "Must be between 1900-01-01"),
        ({"occurred_at": "0001-01-01T00:00:00Z"}, "occurred_at", "Must be between 1900-01-01"),
        ({"occurred_at": "yesterday"}, "occurred_at", "Must be an ISO 8601 date-time"),
        ({"source_updated_at": None}, "source_updated_at", "Must be an ISO 8601 date-time"),
        ({"owner_id": None}, "owner_id", "Give owner_id or owner_email."),
        ({"outcome": "x" * 101}, "outcome", "At most 100 characters."),
        ({"deal_external_id": "9" * 129}, "deal_external_id", "At most 128 characters."),
    ],
)
def test_bad_rows_are_row_errors_and_the_good_rows_are_written(writer, override, field, message):
    body = [activity_row(1), activity_row(2, **override)]

    response = writer.generic(
        "POST",
        BULK,
        json.dumps(body),
        content_type="application/json",
    )

    assert response.status_code == 200
    result = response.json()
    assert result["created"] == 1
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(1, field)]
    assert result["errors"][0]["message"].startswith(message)
    assert list(Activity.objects.values_list("external_id", flat=True)) == ["00U0000001"]


def test_activities_of_an_unknown_deal_and_owner_are_kept_and_attached_later(cast):
    result = activities_ingest(
        rows=[activity_row(1, owner_id="005NEW", deal_external_id="006D000009")]
    )
    stored = Activity.objects.get()
    assert result.created == 1
    assert (stored.owner_id, stored.deal_id) == (None, None)

    deals_ingest(rows=[deal_row(9, owner_id="005NEW")])
    deal_owner_map(source="salesforce", owner_external_id="005NEW", user=cast.rep_peer)

    stored.refresh_from_db()
    assert stored.deal.external_id == "006D000009"
    assert stored.owner == cast.rep_peer


def test_an_activity_finds_its_owner_when_a_deal_batch_resolves_that_owner(cast):
    activities_ingest(rows=[activity_row(1, owner_id="005LATE", deal_external_id=None)])
    CrmIdentity.objects.create(user=cast.rep, source="salesforce", owner_id="005LATE")

    deals_ingest(rows=[deal_row(1, owner_id="005LATE")])

    assert Activity.objects.get().owner == cast.rep


def test_owner_email_resolves_the_owner(cast):
    activities_ingest(rows=[activity_row(1, owner_id=None, owner_email="REP@example.com")])

    assert Activity.objects.get().owner == cast.rep


def test_naive_times_are_utc(writer):
    writer.post(BULK, [activity_row(1, occurred_at="2025-02-10T14:00:00")], format="json")

    assert Activity.objects.get().occurred_at == dt.datetime(2025, 2, 10, 14, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 401), ("rep", 403), ("manager", 403), ("leader", 403), ("admin", 200)],
)
def test_bulk_permissions_over_the_cast(cast, client_for, who, expected):
    response = client_for(who).post(BULK, [activity_row(1)], format="json")

    assert response.status_code == expected
    assert Activity.objects.exists() == (expected == 200)


@pytest.mark.parametrize("scopes", [(), ("deals:read",), ("users:write",)])
def test_bulk_without_the_write_scope_is_403_and_writes_nothing(cast, key_client, scopes):
    response = key_client(*scopes).post(BULK, [activity_row(1)], format="json")

    assert response.status_code == 403
    assert not Activity.objects.exists()


def test_malformed_body_is_400(writer):
    response = writer.generic("POST", BULK, b'{"kind": "x"}', content_type="application/json")

    assert response.status_code == 400
    assert not Activity.objects.exists()


@override_settings(DEALS_BULK_MAX_BYTES=1000)
def test_body_over_the_limit_is_413(writer):
    response = writer.post(BULK, [activity_row(n) for n in range(10)], format="json")

    assert response.status_code == 413
    assert not Activity.objects.exists()


def test_async_request_becomes_an_activities_job(
    writer, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("deals.services.jobs.CHUNK_ROWS", 2)
    rows = [activity_row(1), activity_row(2), activity_row(3, kind="x"), activity_row(1)]

    with django_capture_on_commit_callbacks(execute=True):
        response = writer.post(f"{BULK}?async=true", rows, format="json")

    assert response.status_code == 202
    status = writer.get(f"/api/v1/deals/jobs/{response.json()['job']}").json()
    assert (status["entity"], status["status"], status["created"], status["unchanged"]) == (
        "activities",
        "done",
        2,
        1,
    )
    assert [(e["index"], e["field"]) for e in status["errors"]] == [(2, "kind")]
    assert IngestJob.objects.get().entity == "activities"
    assert Activity.objects.count() == 2
