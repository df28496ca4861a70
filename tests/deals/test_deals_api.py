import json

import pytest
from django.test import override_settings

from accounts.models import ApiKey
from deals.models import Deal, DealChange, IngestChunk, IngestJob
from deals.services.jobs import ingest_job_process
from tests.deals.factories import DealChangeFactory, DealFactory, deal_row
from tests.factories import CrmIdentityFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/deals/bulk"


@pytest.fixture
def writer(cast, key_client):
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005REP")
    return key_client("deals:write")


def test_bulk_answers_counts(writer):
    response = writer.post(BULK, [deal_row(1), deal_row(2)], format="json")

    assert response.status_code == 200
    assert response.json() == {
        "received": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "stale": 0,
        "errors": [],
    }


def test_bulk_accepts_rows_wrapped_in_an_object(writer):
    response = writer.post(BULK, {"rows": [deal_row(1)]}, format="json")

    assert response.json()["created"] == 1


def test_the_same_body_twice_is_all_unchanged(writer):
    rows = [deal_row(n) for n in range(10)]
    writer.post(BULK, rows, format="json")

    again = writer.post(BULK, rows, format="json").json()

    assert (again["created"], again["updated"], again["unchanged"], again["stale"]) == (
        0,
        0,
        10,
        0,
    )
    assert DealChange.objects.count() == 0  # new deals carry their first values themselves


def test_stale_and_duplicate_rows(writer):
    writer.post(BULK, [deal_row(1, source_updated_at="2025-04-01T00:00:00Z")], format="json")
    rows = [
        deal_row(1, stage="Old", source_updated_at="2025-03-01T00:00:00Z"),
        deal_row(2, stage="First", source_updated_at="2025-03-01T00:00:00Z"),
        deal_row(2, stage="Newest", source_updated_at="2025-03-02T00:00:00Z"),
    ]

    result = writer.post(BULK, rows, format="json").json()

    assert (result["created"], result["stale"]) == (1, 2)
    assert dict(Deal.objects.values_list("external_id", "stage")) == {
        "006D000001": "Discovery",
        "006D000002": "Newest",
    }


def test_bad_rows_are_listed_with_index_external_id_field_and_message(writer):
    rows = [deal_row(1, amount=-1), deal_row(2), deal_row(3, currency="ZZZ")]

    result = writer.post(BULK, rows, format="json").json()

    assert result["created"] == 1
    assert result["errors"] == [
        {
            "index": 0,
            "external_id": "006D000001",
            "field": "amount",
            "message": "Must not be negative.",
        },
        {
            "index": 2,
            "external_id": "006D000003",
            "field": "currency",
            "message": "Unknown currency 'ZZZ'; use an ISO 4217 code.",
        },
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'[{"source": "x",', "Malformed JSON"),
        (b'{"source": "x"}', "Send a JSON array of rows."),
        (b"", "Malformed JSON"),
    ],
)
def test_malformed_body_is_400_and_writes_nothing(writer, body, message):
    response = writer.generic("POST", BULK, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert message in response.json()["errors"][0]["message"]
    assert not Deal.objects.exists()


@override_settings(DEALS_BULK_MAX_BYTES=2000)
def test_body_over_the_limit_is_413_and_writes_nothing(writer):
    rows = [deal_row(n) for n in range(10)]

    response = writer.post(BULK, rows, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Deal.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, 401),
        ("rep", 403),
        ("coach", 403),
        ("manager", 403),
        ("leader", 403),
        ("admin", 200),
    ],
)
def test_bulk_permissions_over_the_cast(cast, client_for, who, expected):
    response = client_for(who).post(BULK, [deal_row(1, owner_id="x")], format="json")

    assert response.status_code == expected
    assert Deal.objects.exists() == (expected == 200)


@pytest.mark.parametrize("scopes", [(), ("deals:read",), ("users:write",)])
def test_bulk_without_the_write_scope_is_403_and_writes_nothing(cast, key_client, scopes):
    response = key_client(*scopes).post(BULK, [deal_row(1)], format="json")

    assert response.status_code == 403
    assert not Deal.objects.exists()
    assert not IngestJob.objects.exists()


def test_async_request_becomes_a_job_with_the_same_counts(
    writer, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("deals.services.jobs.CHUNK_ROWS", 2)
    rows = [deal_row(1), deal_row(2), deal_row(3, amount="x"), deal_row(4), deal_row(1)]

    with django_capture_on_commit_callbacks(execute=True):
        response = writer.post(f"{BULK}?async=true", rows, format="json")

    assert response.status_code == 202
    job_id = response.json()["job"]
    assert response.json()["status_url"] == f"http://testserver/api/v1/deals/jobs/{job_id}"
    status = writer.get(f"/api/v1/deals/jobs/{job_id}").json()
    assert {k: status[k] for k in ("status", "received", "created", "unchanged", "stale")} == {
        "status": "done",
        "received": 5,
        "created": 3,
        "unchanged": 1,
        "stale": 0,
    }
    assert (status["chunks_total"], status["chunks_done"]) == (3, 3)
    assert [(e["index"], e["field"]) for e in status["errors"]] == [(2, "amount")]
    assert not IngestChunk.objects.exists()


def test_a_queued_row_with_a_nul_in_its_id_is_a_row_error_not_a_failed_job(
    writer, django_capture_on_commit_callbacks
):
    # PostgreSQL's jsonb refuses \u0000: the echoed id is stored with a replacement character
    with django_capture_on_commit_callbacks(execute=True):
        response = writer.post(
            f"{BULK}?async=1", [deal_row(1, external_id="a\x00b")], format="json"
        )

    job = IngestJob.objects.get(pk=response.json()["job"])
    assert job.status == "done"
    assert [(e["external_id"], "\x00" in json.dumps(e)) for e in job.errors] == [
        ("a\ufffdb", False)
    ]


@override_settings(BULK_SYNC_MAX_ROWS=3)
def test_a_body_over_the_sync_limit_is_queued(writer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = writer.post(BULK, [deal_row(n) for n in range(4)], format="json")

    assert response.status_code == 202
    assert Deal.objects.count() == 4


def test_a_job_is_seen_only_by_its_own_key(writer, key_client):
    job_id = writer.post(f"{BULK}?async=1", [deal_row(1)], format="json").json()["job"]

    other = key_client("deals:write").get(f"/api/v1/deals/jobs/{job_id}")

    assert other.status_code == 404


def test_a_job_run_twice_ingests_each_chunk_once(writer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = writer.post(f"{BULK}?async=1", [deal_row(1)], format="json").json()["job"]

    ingest_job_process(job_id=job_id)

    job = IngestJob.objects.get(pk=job_id)
    assert (job.status, job.created, job.unchanged, job.chunks_done) == ("done", 1, 0, 1)


# --- reads ---------------------------------------------------------------------------------


@pytest.fixture
def pipeline(cast):
    """One deal per cast rep, plus one whose owner is not mapped."""
    deals = {
        name: DealFactory(owner=cast[name], name=f"{name} deal")
        for name in ("rep", "rep_peer", "other_rep")
    }
    deals["unmatched"] = DealFactory(owner=None, name="unmatched deal")
    return deals


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("rep", {"rep deal"}),
        ("coach", {"rep deal", "rep_peer deal"}),
        ("manager", {"rep deal", "rep_peer deal"}),
        ("other_rep", {"other_rep deal"}),
        ("other_manager", {"other_rep deal"}),
        ("leader", {"rep deal", "rep_peer deal", "other_rep deal", "unmatched deal"}),
        ("admin", {"rep deal", "rep_peer deal", "other_rep deal", "unmatched deal"}),
    ],
)
def test_list_shows_what_each_person_may_see(pipeline, client_for, who, expected):
    response = client_for(who).get("/api/v1/deals/")

    assert response.status_code == 200
    assert {d["name"] for d in response.json()["results"]} == expected


@pytest.mark.parametrize(("scopes", "count"), [(("deals:read",), 4), (("deals:write",), 4)])
def test_list_for_keys_with_a_deals_scope(pipeline, key_client, scopes, count):
    assert key_client(*scopes).get("/api/v1/deals/").json()["count"] == count


def test_list_without_a_deals_scope_is_403(pipeline, key_client):
    assert key_client("users:read").get("/api/v1/deals/").status_code == 403


def test_list_filters(cast, client_for):
    DealFactory(owner=cast.rep, name="Won big", status="won", closed_at="2025-03-01T00:00:00Z")
    DealFactory(owner=cast.rep, name="Open", stage="Proposal")
    client = client_for("manager")

    assert [d["name"] for d in client.get("/api/v1/deals/?status=won").json()["results"]] == [
        "Won big"
    ]
    assert [d["name"] for d in client.get("/api/v1/deals/?stage=Proposal").json()["results"]] == [
        "Open"
    ]
    assert client.get(f"/api/v1/deals/?owner={cast.other_rep.pk}").json()["count"] == 0
    assert client.get("/api/v1/deals/?status=bogus").status_code == 400


@pytest.mark.parametrize("count", [3, 30])
def test_list_runs_a_constant_number_of_queries(cast, client_for, django_assert_num_queries, count):
    for _ in range(count):
        DealFactory(owner=cast.rep)
    client = client_for("manager")

    # 1: count of visible deals; 2: the page with owners joined (visibility is a subquery).
    with django_assert_num_queries(2):
        response = client.get("/api/v1/deals/")

    assert response.json()["count"] == count


def test_detail_has_the_history(cast, client_for):
    deal = DealFactory(owner=cast.rep)
    DealChangeFactory(deal=deal, field="stage", old_value="", new_value="Discovery")
    DealChangeFactory(
        deal=deal,
        field="expected_close_date",
        old_value="2025-05-31",
        new_value="2025-06-30",
        changed_at="2025-04-01T00:00:00Z",
    )

    body = client_for("coach").get(f"/api/v1/deals/{deal.pk}/").json()

    assert [(h["field"], h["old_value"], h["new_value"]) for h in body["history"]] == [
        ("stage", "", "Discovery"),
        ("expected_close_date", "2025-05-31", "2025-06-30"),
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, 401),
        ("rep", 200),
        ("rep_peer", 404),
        ("coach", 200),
        ("manager", 200),
        ("other_rep", 404),
        ("other_coach", 404),
        ("other_manager", 404),
        ("leader", 200),
        ("admin", 200),
    ],
)
def test_detail_permissions_over_the_cast(pipeline, client_for, who, expected):
    response = client_for(who).get(f"/api/v1/deals/{pipeline['rep'].pk}/")

    assert response.status_code == expected


def test_detail_of_a_missing_deal_is_404(cast, client_for):
    assert client_for("admin").get("/api/v1/deals/999999/").status_code == 404


def test_keys_are_counted_once(writer):
    # Sanity for the fixtures: the writer key is the only key.
    assert ApiKey.objects.count() == 1


def test_a_job_that_hits_a_bug_is_marked_failed_and_keeps_its_chunks(writer, monkeypatch):
    from deals.tasks import process_ingest_job

    job_id = writer.post(f"{BULK}?async=1", [deal_row(1)], format="json").json()["job"]
    monkeypatch.setattr(
        "deals.services.jobs.deals_ingest", lambda **kw: (_ for _ in ()).throw(KeyError("boom"))
    )

    with pytest.raises(KeyError):
        process_ingest_job.delay(job_id)

    job = IngestJob.objects.get(pk=job_id)
    assert (job.status, job.failure) == ("failed", "KeyError: 'boom'")
    assert IngestChunk.objects.filter(job_id=job_id).count() == 1
    assert not Deal.objects.exists()


def test_a_job_that_loses_the_database_is_retried_by_celery_and_then_succeeds(writer, monkeypatch):
    from django.db import OperationalError

    from deals.services import jobs
    from deals.tasks import process_ingest_job

    job_id = writer.post(f"{BULK}?async=1", [deal_row(1)], format="json").json()["job"]
    real_ingest = jobs.deals_ingest
    failures = iter([OperationalError("server closed the connection"), OperationalError("again")])

    def flaky(**kwargs):
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return real_ingest(**kwargs)

    monkeypatch.setattr("deals.services.jobs.deals_ingest", flaky)

    # Eager Celery runs each retry inline when errors are not propagated (a worker's behaviour).
    monkeypatch.setitem(process_ingest_job.app.conf, "task_eager_propagates", False)
    result = process_ingest_job.delay(job_id)

    assert result.successful()
    assert IngestJob.objects.get(pk=job_id).status == "done"
    assert Deal.objects.count() == 1
    assert (process_ingest_job.retry_backoff, process_ingest_job.retry_jitter) == (5, True)


def test_a_job_that_keeps_losing_the_database_fails_after_the_last_retry(writer, monkeypatch):
    from django.db import OperationalError

    from deals.tasks import MAX_RETRIES, process_ingest_job

    job_id = writer.post(f"{BULK}?async=1", [deal_row(1)], format="json").json()["job"]
    calls = []

    def down(**kwargs):
        calls.append(1)
        raise OperationalError("the database is gone")

    monkeypatch.setattr("deals.services.jobs.deals_ingest", down)
    monkeypatch.setitem(process_ingest_job.app.conf, "task_eager_propagates", False)

    result = process_ingest_job.delay(job_id)

    assert result.failed() and isinstance(result.result, OperationalError)
    job = IngestJob.objects.get(pk=job_id)
    assert (job.status, job.failure) == ("failed", "OperationalError: the database is gone")
    assert len(calls) == MAX_RETRIES + 1
    assert not Deal.objects.exists()
