import datetime as dt

import pytest

from accounts.models import CrmIdentity
from deals.models import Deal
from integrations.models import CrmConnection, SyncRowError, SyncRun
from integrations.services import sync as sync_service
from integrations.services.sync import connection_sync
from tests.factories import UserFactory
from tests.fakes.server import Reply
from tests.integrations.factories import hubspot_connection

pytestmark = pytest.mark.django_db


STATUS_FIELDS = ["watermark", "last_error", "last_success_at", "rows_synced", "sync_claimed_until"]


def sync(connection, sleeps):
    run = connection_sync(connection_id=connection.pk, sleep=sleeps)
    connection.refresh_from_db(fields=STATUS_FIELDS)
    return run


def stored_ids():
    return sorted(Deal.objects.filter(source="hubspot").values_list("external_id", flat=True))


def test_full_initial_sync_brings_every_deal_with_owner_and_stage(fake_hubspot, sleeps):
    rep = UserFactory(email="sam@example.com")
    CrmIdentity.objects.create(user=rep, source="hubspot", owner_id="101")
    for n in range(250):
        fake_hubspot.add_deal(dealname=f"Deal {n}", amount=str(1000 + n))
    won = fake_hubspot.add_deal(
        dealname="Big win", dealstage="closedwon", amount="50000.456", deal_currency_code="EUR"
    )
    connection = hubspot_connection(fake_hubspot)

    run = sync(connection, sleeps)

    assert run.status == "succeeded", run.error
    assert (run.received, run.created, run.errors) == (253, 251, 0)  # 2 boundary re-reads
    assert len(stored_ids()) == 251
    deal = Deal.objects.get(source="hubspot", external_id=won)
    assert (deal.name, deal.status, deal.stage, deal.owner, deal.currency) == (
        "Big win",
        "won",
        "Closed Won",
        rep,
        "EUR",
    )
    assert str(deal.amount) == "50000.46"
    assert deal.closed_at is not None
    assert connection.watermark == Deal.objects.latest("source_updated_at").source_updated_at
    assert (connection.rows_synced, connection.last_error) == (251, "")
    assert connection.last_success_at is not None
    assert sleeps == []


def test_search_asks_for_deals_modified_since_the_watermark_oldest_first(fake_hubspot, sleeps):
    fake_hubspot.add_deal()
    connection = hubspot_connection(fake_hubspot)
    sync(connection, sleeps)
    fake_hubspot.requests.clear()

    sync(connection, sleeps)

    (request,) = fake_hubspot.requests
    body = request.json()
    assert body["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    (flt,) = body["filterGroups"][0]["filters"]
    overlap_start = connection.watermark - sync_service.WATERMARK_OVERLAP
    assert flt == {
        "propertyName": "hs_lastmodifieddate",
        "operator": "GTE",
        "value": str(int(overlap_start.timestamp() * 1000)),
    }
    assert {"dealname", "dealstage", "hubspot_owner_id"} <= set(body["properties"])
    assert request.headers["authorization"] == "Bearer pat-na1-test-token"


def test_incremental_sync_brings_only_what_changed(fake_hubspot, sleeps):
    # Ten minutes apart, so only the newest falls in the re-read overlap before the watermark.
    ids = [fake_hubspot.add_deal(modified=fake_hubspot.tick(600)) for n in range(30)]
    connection = hubspot_connection(fake_hubspot)
    sync(connection, sleeps)
    first_watermark = connection.watermark
    fake_hubspot.tick(3600)  # an hour later, beyond the re-read overlap
    fake_hubspot.update_deal(ids[3], dealstage="closedlost", closed_lost_reason="Budget")
    fake_hubspot.update_deal(ids[7], amount="9999")
    new = fake_hubspot.add_deal(dealname="Fresh")

    run = sync(connection, sleeps)

    assert (run.received, run.created, run.updated, run.unchanged) == (4, 1, 2, 1)
    lost = Deal.objects.get(external_id=ids[3])
    assert (lost.status, lost.loss_reason) == ("lost", "Budget")
    assert Deal.objects.get(external_id=ids[7]).amount == 9999
    assert Deal.objects.filter(external_id=new).exists()
    assert connection.watermark > first_watermark
    assert run.watermark_from == first_watermark


def test_unknown_stage_is_a_row_error_naming_the_stage_and_other_rows_land(fake_hubspot, sleeps):
    good = fake_hubspot.add_deal()
    bad = fake_hubspot.add_deal(dealstage="1234567")
    connection = hubspot_connection(fake_hubspot)

    run = sync(connection, sleeps)

    assert run.status == "succeeded"
    assert stored_ids() == [good]
    error = SyncRowError.objects.get()
    assert (error.external_id, error.field) == (bad, "stage")
    assert "'1234567'" in error.message
    assert run.errors == 1


def test_a_fixed_row_clears_its_error_on_the_next_sync(fake_hubspot, sleeps):
    bad = fake_hubspot.add_deal(dealstage="1234567")
    connection = hubspot_connection(fake_hubspot)
    sync(connection, sleeps)
    connection.stage_map = {**connection.stage_map, "1234567": {"status": "open", "order": 9}}
    connection.save()
    fake_hubspot.update_deal(bad, dealname="Now mapped")

    sync(connection, sleeps)

    assert SyncRowError.objects.count() == 0
    assert Deal.objects.get(external_id=bad).stage == "1234567"


def test_rows_deals_refuses_are_reported_with_their_reason(fake_hubspot, sleeps):
    fake_hubspot.add_deal(dealname="No owner", hubspot_owner_id=None)
    fake_hubspot.add_deal(dealname="Bad money", deal_currency_code="XXY")
    connection = hubspot_connection(fake_hubspot)

    run = sync(connection, sleeps)

    assert run.status == "succeeded"
    assert sorted(SyncRowError.objects.values_list("field", flat=True)) == ["currency", "owner_id"]
    assert connection.watermark is not None


def test_crash_midway_restarts_from_the_last_committed_page_without_loss(fake_hubspot, sleeps):
    ids = [fake_hubspot.add_deal(dealname=f"Deal {n}") for n in range(350)]
    connection = hubspot_connection(fake_hubspot)
    # Page 1 arrives; from the second search on, HubSpot fails for longer than we retry.
    original = fake_hubspot.handle
    calls = {"search": 0}

    def flaky(request):
        if request.path.endswith("/search"):
            calls["search"] += 1
            if calls["search"] >= 2:
                return Reply(503, {"status": "error", "message": "Service unavailable"})
        return original(request)

    fake_hubspot.handle = flaky

    crashed = sync(connection, sleeps)

    assert crashed.status == "failed"
    assert "HTTP 503 after 5 attempts" in crashed.error
    # Four jittered waits, each at most 1, 2, 4, 8 s (core.retry's full jitter).
    assert len(sleeps) == 4
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(sleeps, [1, 2, 4, 8], strict=True))
    assert len(stored_ids()) == 100
    watermark_after_crash = connection.watermark
    assert watermark_after_crash == Deal.objects.latest("source_updated_at").source_updated_at
    assert "HTTP 503" in connection.last_error

    fake_hubspot.handle = original
    resumed = sync(connection, sleeps)

    assert resumed.status == "succeeded"
    assert stored_ids() == sorted(ids)
    assert resumed.created == 250
    assert connection.last_error == ""


def test_a_failure_inside_a_page_commit_rolls_the_page_back(fake_hubspot, sleeps, monkeypatch):
    for n in range(250):
        fake_hubspot.add_deal(dealname=f"Deal {n}")
    connection = hubspot_connection(fake_hubspot)
    real_ingest = sync_service.deals_ingest
    calls = []

    def ingest_then_die(**kwargs):
        calls.append(1)
        result = real_ingest(**kwargs)
        if len(calls) == 2:
            raise RuntimeError("worker lost mid-page")  # after the deals were written
        return result

    monkeypatch.setattr(sync_service, "deals_ingest", ingest_then_die)

    # Batches of at least 150 rows: pages 1+2 (200 rows), then page 3, whose commit dies.
    crashed = connection_sync(connection_id=connection.pk, sleep=sleeps, commit_rows=150)

    assert crashed.status == "failed"
    assert crashed.error == "Unexpected error (RuntimeError); see the worker log."
    # Pages 1 and 2 share their boundary deal: 199 deals. Page 3's writes went with its
    # transaction.
    assert len(stored_ids()) == 199
    assert crashed.pages == 2

    monkeypatch.setattr(sync_service, "deals_ingest", real_ingest)
    sync(connection, sleeps)

    assert len(stored_ids()) == 250


def test_a_deal_edited_mid_sync_is_not_skipped(fake_hubspot, sleeps):
    ids = [fake_hubspot.add_deal(dealname=f"Deal {n}") for n in range(300)]
    connection = hubspot_connection(fake_hubspot)
    original = fake_hubspot.handle
    state = {"searches": 0}

    def edit_after_first_page(request):
        reply = original(request)
        if request.path.endswith("/search"):
            state["searches"] += 1
            if state["searches"] == 1:
                # Moves an already-read deal to the end: offset paging would now skip one.
                fake_hubspot.update_deal(ids[0], modified=fake_hubspot.tick(10_000))
        return reply

    fake_hubspot.handle = edit_after_first_page

    sync(connection, sleeps)

    assert stored_ids() == sorted(ids)


def test_429_waits_as_asked_and_continues(fake_hubspot, sleeps):
    for _ in range(150):
        fake_hubspot.add_deal()
    connection = hubspot_connection(fake_hubspot)
    fake_hubspot.fail_next(
        Reply(
            429,
            {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "policyName": "TEN_SECONDLY_ROLLING",
            },
            headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"},
        ),
        times=2,
    )

    run = sync(connection, sleeps)

    assert run.status == "succeeded"
    assert sleeps == [10.0, 10.0]
    assert len(stored_ids()) == 150


def test_retry_after_header_wins_over_the_interval(fake_hubspot, sleeps):
    fake_hubspot.add_deal()
    connection = hubspot_connection(fake_hubspot)
    fake_hubspot.fail_next(Reply(429, {"policyName": "SECONDLY"}, headers={"Retry-After": "3"}))

    sync(connection, sleeps)

    assert sleeps == [3.0]


def test_an_empty_rolling_window_pauses_before_the_next_call(fake_hubspot, sleeps):
    for _ in range(150):
        fake_hubspot.add_deal()
    fake_hubspot.rate_limit_headers = {
        "X-HubSpot-RateLimit-Max": "190",
        "X-HubSpot-RateLimit-Remaining": "0",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
    }
    connection = hubspot_connection(fake_hubspot)

    run = sync(connection, sleeps)

    assert run.status == "succeeded"
    assert sleeps == [10.0, 10.0]  # after each of the two search pages


def test_daily_limit_stops_the_sync_and_the_next_run_resumes(fake_hubspot, sleeps):
    for _ in range(150):
        fake_hubspot.add_deal()
    fake_hubspot.rate_limit_headers = {"X-HubSpot-RateLimit-Daily-Remaining": "0"}
    connection = hubspot_connection(fake_hubspot)

    paused = sync(connection, sleeps)

    assert paused.status == "rate_limited"
    assert "daily API limit" in paused.error
    assert len(stored_ids()) == 100
    assert connection.last_error == paused.error

    fake_hubspot.rate_limit_headers = {}
    sync(connection, sleeps)

    assert len(stored_ids()) == 150


def test_daily_limit_429_is_not_waited_for(fake_hubspot, sleeps):
    fake_hubspot.add_deal()
    connection = hubspot_connection(fake_hubspot)
    fake_hubspot.fail_next(Reply(429, {"policyName": "DAILY", "errorType": "RATE_LIMIT"}))

    run = sync(connection, sleeps)

    assert run.status == "rate_limited"
    assert sleeps == []
    assert connection.watermark is None


def test_wrong_token_shows_on_the_connection_and_nothing_else_breaks(fake_hubspot, sleeps):
    fake_hubspot.add_deal()
    fake_hubspot.token = "another-token"
    connection = hubspot_connection(fake_hubspot)

    run = sync(connection, sleeps)

    assert run.status == "failed"
    assert connection.last_error == (
        "HubSpot refused the credentials (HTTP 401). Check them and test again."
    )
    assert connection.watermark is None
    assert connection.sync_claimed_until is None
    assert Deal.objects.count() == 0


def test_disabled_connection_does_not_sync(fake_hubspot, sleeps):
    fake_hubspot.add_deal()
    connection = hubspot_connection(fake_hubspot, is_enabled=False)

    assert connection_sync(connection_id=connection.pk, sleep=sleeps) is None
    assert fake_hubspot.requests == []


def test_an_overlapping_run_skips_while_another_holds_the_lease(fake_hubspot, sleeps):
    connection = hubspot_connection(fake_hubspot)
    CrmConnection.objects.filter(pk=connection.pk).update(
        sync_claimed_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    )

    assert connection_sync(connection_id=connection.pk, sleep=sleeps) is None
    assert SyncRun.objects.count() == 0


def test_an_expired_lease_of_a_crashed_worker_does_not_block(fake_hubspot, sleeps):
    fake_hubspot.add_deal()
    connection = hubspot_connection(fake_hubspot)
    CrmConnection.objects.filter(pk=connection.pk).update(
        sync_claimed_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )

    run = sync(connection, sleeps)

    assert run.status == "succeeded"


def test_field_map_feeds_qualification_facts(fake_hubspot, sleeps):
    deal = fake_hubspot.add_deal(
        compelling_event_date="2025-03-31", eb_identified="false", champion_name=""
    )
    connection = hubspot_connection(
        fake_hubspot,
        field_map={
            "has_compelling_deadline": "compelling_event_date",
            "has_economic_buyer": "eb_identified",
            "has_champion": "champion_name",
        },
    )

    sync(connection, sleeps)

    stored = Deal.objects.get(external_id=deal)
    assert (stored.has_compelling_deadline, stored.has_economic_buyer, stored.has_champion) == (
        True,
        False,
        None,
    )
    assert stored.has_metrics is None


def test_a_changed_encryption_key_is_shown_on_the_connection(fake_hubspot, sleeps, settings):
    fake_hubspot.add_deal()
    connection = hubspot_connection(fake_hubspot)
    settings.FIELD_ENCRYPTION_KEY = "6Yh0XkQ3bWm9r3v6Vb1tW7yQ0n2c5d8e1f4g7h0j3k4="

    run = sync(connection, sleeps)

    assert run.status == "failed"
    assert connection.last_error == (
        "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY; was the key changed?"
    )
    assert connection.sync_claimed_until is None


def test_retry_after_as_an_http_date_is_waited_for(fake_hubspot, sleeps):
    import email.utils

    from django.utils import timezone

    fake_hubspot.add_deal()
    connection = hubspot_connection(fake_hubspot)
    later = email.utils.format_datetime(timezone.now() + dt.timedelta(seconds=20), usegmt=True)
    fake_hubspot.fail_next(Reply(429, {"policyName": "SECONDLY"}, headers={"Retry-After": later}))

    sync(connection, sleeps)

    assert len(sleeps) == 1 and 17 <= sleeps[0] <= 20
