import datetime as dt
import json
from decimal import Decimal

import pytest

from accounts.models import CrmIdentity
from deals.models import Deal, DealChange
from integrations.models import SyncRowError
from integrations.services.sync import connection_sync
from tests.factories import UserFactory
from tests.fakes.server import Reply
from tests.integrations.factories import salesforce_connection

pytestmark = pytest.mark.django_db


def test_full_initial_sync_pages_through_opportunities_with_history(fake_salesforce, sleeps):
    rep = UserFactory()
    CrmIdentity.objects.create(user=rep, source="salesforce", owner_id="005000000000001AAA")
    for n in range(4500):
        fake_salesforce.add_opportunity(Name=f"Opp {n}", history=n < 10)
    won = fake_salesforce.add_opportunity(Name="Won one", StageName="Prospecting", Amount=1200.5)
    fake_salesforce.update_opportunity(won, StageName="Closed Won", Amount=1500.0)
    connection = salesforce_connection(fake_salesforce)

    run = connection_sync(connection_id=connection.pk, sleep=sleeps)

    assert run is not None and run.status == "succeeded", run.error
    assert (run.pages, run.received, run.created, run.errors) == (3, 4501, 4501, 0)
    assert Deal.objects.filter(source="salesforce").count() == 4501
    deal = Deal.objects.get(source="salesforce", external_id=won)
    assert (deal.status, deal.stage, deal.amount, deal.currency) == (
        "won",
        "Closed Won",
        Decimal("1500.00"),
        "EUR",
    )
    assert deal.account_name == "Acme Corp"
    assert deal.owner == rep
    # The stage the deal had before it was won is known only from OpportunityFieldHistory.
    stages = list(
        DealChange.objects.filter(deal=deal, field="stage")
        .order_by("changed_at")
        .values_list("new_value", "changed_at")
    )
    assert [value for value, _ in stages] == ["Prospecting", "Closed Won"]
    assert stages[0][1] == deal.created_at
    amounts = DealChange.objects.filter(deal=deal, field="amount").order_by("changed_at")
    assert [c.new_value for c in amounts] == ["1200.50", "1500.00"]


STATUS_FIELDS = ["watermark", "last_error", "last_success_at", "rows_synced", "sync_claimed_until"]


def sync(connection, sleeps):
    run = connection_sync(connection_id=connection.pk, sleep=sleeps)
    connection.refresh_from_db(fields=STATUS_FIELDS)
    return run


def stored_ids():
    return sorted(Deal.objects.filter(source="salesforce").values_list("external_id", flat=True))


def soql_of(fake, contains):
    return [r.arg("q") for r in fake.requests if r.arg("q") and contains in r.arg("q")]


def test_query_selects_the_documented_fields_since_the_watermark(fake_salesforce, sleeps):
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(
        fake_salesforce, field_map={"has_economic_buyer": "Economic_Buyer_Identified__c"}
    )
    sync(connection, sleeps)

    sync(connection, sleeps)

    first, second = soql_of(fake_salesforce, "FROM Opportunity ")
    assert first == (
        "SELECT Id, OwnerId, Name, Account.Name, Amount, StageName, IsClosed, IsWon, "
        "CreatedDate, CloseDate, LastModifiedDate, CurrencyIsoCode, "
        "Economic_Buyer_Identified__c, (SELECT Field, OldValue, NewValue, CreatedDate "
        "FROM Histories WHERE Field IN ('StageName', 'Amount', 'CloseDate') "
        "ORDER BY CreatedDate) FROM Opportunity ORDER BY LastModifiedDate, Id"
    )
    since = (connection.watermark - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"WHERE LastModifiedDate >= {since} ORDER BY LastModifiedDate, Id" in second


def test_incremental_sync_brings_changes_and_their_history(fake_salesforce, sleeps):
    ids = [fake_salesforce.add_opportunity(modified=fake_salesforce.tick(600)) for _ in range(5)]
    connection = salesforce_connection(fake_salesforce)
    sync(connection, sleeps)
    fake_salesforce.tick(3600)
    fake_salesforce.update_opportunity(
        ids[1], StageName="Negotiation/Review", CloseDate="2025-06-30"
    )

    run = sync(connection, sleeps)

    assert (run.received, run.updated, run.unchanged) == (2, 1, 1)
    deal = Deal.objects.get(external_id=ids[1])
    assert (deal.stage, deal.expected_close_date) == ("Negotiation/Review", dt.date(2025, 6, 30))
    close_dates = DealChange.objects.filter(deal=deal, field="expected_close_date")
    assert [c.new_value for c in close_dates.order_by("changed_at")][-1] == "2025-06-30"


def test_crash_midway_restarts_without_loss_or_duplicates(fake_salesforce, sleeps):
    ids = [fake_salesforce.add_opportunity(history=False) for _ in range(5000)]
    connection = salesforce_connection(fake_salesforce)
    original = fake_salesforce.handle

    def fail_third_page(request):
        if request.path.endswith("-4000"):
            return Reply(500, [{"message": "server error", "errorCode": "UNKNOWN_EXCEPTION"}])
        return original(request)

    fake_salesforce.handle = fail_third_page
    crashed = sync(connection, sleeps)

    assert crashed.status == "failed"
    assert len(stored_ids()) == 4000
    assert crashed.pages == 2
    fake_salesforce.handle = original

    resumed = sync(connection, sleeps)

    assert resumed.status == "succeeded"
    assert stored_ids() == sorted(ids)
    assert resumed.created == 1000
    assert Deal.objects.count() == 5000


def test_an_expired_session_is_refreshed_once_and_the_sync_goes_on(fake_salesforce, sleeps):
    for _ in range(2500):
        fake_salesforce.add_opportunity(history=False)
    connection = salesforce_connection(fake_salesforce)
    original = fake_salesforce.handle

    def expire_after_first_page(request):
        reply = original(request)
        if "FROM Opportunity " in (request.arg("q") or ""):
            fake_salesforce.expire_sessions()
        return reply

    fake_salesforce.handle = expire_after_first_page

    run = sync(connection, sleeps)

    assert run.status == "succeeded", run.error
    assert fake_salesforce.tokens_issued == 2
    assert len(stored_ids()) == 2500


def test_the_token_is_reused_across_runs(fake_salesforce, sleeps):
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(fake_salesforce)

    sync(connection, sleeps)
    sync(connection, sleeps)

    assert fake_salesforce.tokens_issued == 1
    connection.refresh_from_db(fields=["session"])
    assert connection.session.startswith('{"access_token": "00Dfake!')


def test_jwt_bearer_flow_signs_in_with_the_private_key(fake_salesforce, sleeps):
    from cryptography.hazmat.primitives import serialization

    pem = fake_salesforce.jwt_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(
        fake_salesforce,
        settings={"auth_flow": "jwt_bearer", "username": fake_salesforce.username},
        credentials=json.dumps({"private_key": pem}),
    )

    run = sync(connection, sleeps)

    assert run.status == "succeeded", run.error
    assert len(stored_ids()) == 1


def test_jwt_with_the_wrong_user_is_refused_and_shown(fake_salesforce, sleeps):
    from cryptography.hazmat.primitives import serialization

    pem = fake_salesforce.jwt_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    connection = salesforce_connection(
        fake_salesforce,
        settings={"auth_flow": "jwt_bearer", "username": "someone@else.com"},
        credentials=json.dumps({"private_key": pem}),
    )

    run = sync(connection, sleeps)

    assert run.status == "failed"
    assert connection.last_error == (
        "Salesforce refused the sign-in: Salesforce answered HTTP 400: "
        "user hasn't approved this consumer"
    )


def test_wrong_client_secret_shows_on_the_connection(fake_salesforce, sleeps):
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(
        fake_salesforce, credentials=json.dumps({"client_secret": "wrong"})
    )

    run = sync(connection, sleeps)

    assert run.status == "failed"
    assert "invalid client credentials" in connection.last_error
    assert Deal.objects.count() == 0
    assert connection.watermark is None


def test_api_usage_near_the_org_limit_pauses_the_sync_until_later(fake_salesforce, sleeps):
    for _ in range(4500):
        fake_salesforce.add_opportunity(history=False)
    fake_salesforce.api_limit = 100
    # One call a page: page 1 answers 89/100, page 2 answers 90/100 (it still lands), and the
    # call for page 3 is not made.
    fake_salesforce.api_used = 88
    connection = salesforce_connection(fake_salesforce)

    paused = sync(connection, sleeps)

    assert paused.status == "rate_limited"
    assert "90%" in paused.error
    assert len(stored_ids()) == 4000
    assert connection.watermark is not None

    fake_salesforce.api_used = 0
    fake_salesforce.api_limit = 1_000_000
    sync(connection, sleeps)

    assert len(stored_ids()) == 4500


def test_request_limit_exceeded_stops_the_sync(fake_salesforce, sleeps):
    fake_salesforce.add_opportunity()
    fake_salesforce.api_limit = 0
    connection = salesforce_connection(fake_salesforce)

    run = sync(connection, sleeps)

    assert run.status == "rate_limited"
    assert "TotalRequests Limit exceeded" in run.error


def test_429_and_5xx_are_retried_with_backoff(fake_salesforce, sleeps):
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(fake_salesforce)
    fake_salesforce.fail_next(Reply(429, [], headers={"Retry-After": "7"}), path_contains="/query")
    fake_salesforce.fail_next(Reply(502, "bad gateway"), path_contains="/query")

    run = sync(connection, sleeps)

    assert run.status == "succeeded"
    assert sleeps[0] == 7.0  # the Retry-After
    assert len(sleeps) == 2 and 0 <= sleeps[1] <= 2.0  # the jittered back-off of attempt 2
    assert len(stored_ids()) == 1


def test_a_mapped_field_the_org_lacks_is_named_in_the_error(fake_salesforce, sleeps):
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(fake_salesforce, field_map={"has_metrics": "Metrics__c"})

    run = sync(connection, sleeps)

    assert run.status == "failed"
    assert connection.last_error == (
        "Salesforce answered HTTP 400: No such column 'Metrics__c' on entity 'Opportunity'."
    )
    assert sleeps == []


def test_single_currency_org_uses_the_home_currency(fake_salesforce, sleeps):
    fake_salesforce.add_opportunity()
    connection = salesforce_connection(fake_salesforce, settings={"multi_currency": False})

    sync(connection, sleeps)

    assert Deal.objects.get().currency == "USD"
    assert "CurrencyIsoCode" not in soql_of(fake_salesforce, "FROM Opportunity")[0]


def test_unknown_stage_is_reported_and_its_history_skipped(fake_salesforce, sleeps):
    good = fake_salesforce.add_opportunity()
    bad = fake_salesforce.add_opportunity(StageName="Id. Decision Makers")
    connection = salesforce_connection(fake_salesforce)

    run = sync(connection, sleeps)

    assert stored_ids() == [good]
    (error,) = SyncRowError.objects.all()
    assert (error.external_id, error.field) == (bad, "stage")
    assert "'Id. Decision Makers'" in error.message
    assert run.errors == 1


def test_facts_and_loss_reason_come_from_mapped_fields(fake_salesforce, sleeps):
    opp = fake_salesforce.add_opportunity(
        StageName="Closed Lost",
        Compelling_Event__c="2025-04-01",
        Economic_Buyer_Identified__c=True,
        Loss_Reason__c="Went with a competitor",
    )
    connection = salesforce_connection(
        fake_salesforce,
        field_map={
            "has_compelling_deadline": "Compelling_Event__c",
            "has_economic_buyer": "Economic_Buyer_Identified__c",
            "has_champion": "Champion__c",
            "loss_reason": "Loss_Reason__c",
        },
    )

    sync(connection, sleeps)

    deal = Deal.objects.get(external_id=opp)
    assert (deal.status, deal.loss_reason) == ("lost", "Went with a competitor")
    assert (deal.has_compelling_deadline, deal.has_economic_buyer, deal.has_champion) == (
        True,
        True,
        None,
    )


def test_a_deal_closed_on_its_creation_day_closes_at_creation(fake_salesforce, sleeps):
    created = dt.datetime(2025, 2, 3, 15, 30, tzinfo=dt.UTC)
    opp = fake_salesforce.add_opportunity(
        StageName="Closed Won", CreatedDate=created, CloseDate="2025-02-03"
    )
    connection = salesforce_connection(fake_salesforce)

    sync(connection, sleeps)

    deal = Deal.objects.get(external_id=opp)
    assert (deal.closed_at, deal.expected_close_date) == (created, dt.date(2025, 2, 3))


def test_a_long_field_history_is_read_to_its_end(fake_salesforce, sleeps):
    opp = fake_salesforce.add_opportunity(Amount=0.0)
    start = fake_salesforce.clock
    for n in range(1, 251):  # more child rows than Salesforce returns with the parent
        fake_salesforce.add_history(opp, "Amount", n - 1, n, at=start + dt.timedelta(hours=n))
    connection = salesforce_connection(fake_salesforce)

    run = sync(connection, sleeps)

    assert run.status == "succeeded", run.error
    deal = Deal.objects.get(external_id=opp)
    changes = DealChange.objects.filter(deal=deal, field="amount").exclude(old_value="")
    assert [c.new_value for c in changes.order_by("changed_at")] == [
        f"{n}.00" for n in range(1, 251)
    ]
    child_pages = [r.path for r in fake_salesforce.requests if "/query/01gCHILD" in r.path]
    assert len(child_pages) == 1


def test_pages_are_committed_in_batches_of_at_least_commit_rows(
    fake_salesforce, sleeps, monkeypatch
):
    from integrations.services import sync as sync_service

    for _ in range(9000):
        fake_salesforce.add_opportunity(history=False)
    connection = salesforce_connection(fake_salesforce)
    batches = []
    real_ingest = sync_service.deals_ingest

    def counting_ingest(**kwargs):
        batches.append(len(kwargs["rows"]))
        return real_ingest(**kwargs)

    monkeypatch.setattr(sync_service, "deals_ingest", counting_ingest)

    run = connection_sync(connection_id=connection.pk, sleep=sleeps, commit_rows=4000)

    assert batches == [4000, 4000, 1000]  # five 2,000-row pages in three transactions
    assert (run.pages, run.created) == (5, 9000)
