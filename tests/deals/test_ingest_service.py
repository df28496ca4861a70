"""deals_ingest: the guarantees of the issue, on whichever database the suite runs on."""

import datetime as dt
from decimal import Decimal

import pytest

from deals.models import Deal, DealChange
from deals.selectors import deal_history
from deals.services import deals_ingest
from tests.deals.factories import deal_row
from tests.factories import CrmIdentityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep_identity(cast):
    return CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005REP")


def counts(result):
    return (result.created, result.updated, result.unchanged, result.stale, len(result.errors))


def history(external_id):
    return list(
        DealChange.objects.filter(deal__external_id=external_id)
        .order_by("changed_at", "field")
        .values_list("field", "old_value", "new_value", "changed_at")
    )


def first_values(deal):
    loaded = Deal.objects.prefetch_related("changes").get(pk=deal.pk)
    return [
        (c.field, c.old_value, c.new_value, c.changed_at)
        for c in deal_history(loaded)
        if c.pk is None
    ]


def test_new_rows_are_created_with_their_owner_and_no_history_rows(rep_identity, cast):
    result = deals_ingest(rows=[deal_row(1), deal_row(2, expected_close_date=None)])

    assert result.received == 2
    assert counts(result) == (2, 0, 0, 0, 0)
    deal = Deal.objects.get(external_id="006D000001")
    assert deal.owner == cast.rep
    assert deal.owner_external_id == "005REP"
    assert deal.amount == Decimal("12000.00")
    assert deal.created_at == dt.datetime(2025, 1, 10, 8, 0, tzinfo=dt.UTC)
    # The first values are the deal row's own: readers derive them, dated at creation.
    assert DealChange.objects.count() == 0
    assert first_values(deal) == [
        ("stage", "", "Discovery", deal.created_at),
        ("status", "", "open", deal.created_at),
        ("amount", "", "12000.00", deal.created_at),
        ("expected_close_date", "", "2025-06-30", deal.created_at),
    ]
    # A field without a value has no first value.
    other = Deal.objects.get(external_id="006D000002")
    assert [f for f, *_ in first_values(other)] == ["stage", "status", "amount"]


def test_the_same_body_twice_changes_nothing_the_second_time(rep_identity):
    rows = [deal_row(n) for n in range(1, 6)]
    deals_ingest(rows=rows)
    before = list(Deal.objects.order_by("pk").values())

    again = deals_ingest(rows=rows)

    assert counts(again) == (0, 0, 5, 0, 0)
    assert list(Deal.objects.order_by("pk").values()) == before
    assert DealChange.objects.count() == 0


def test_changes_are_updated_and_recorded_as_history(rep_identity):
    deals_ingest(rows=[deal_row(1), deal_row(2)])
    later = "2025-04-02T10:00:00Z"

    result = deals_ingest(
        rows=[
            deal_row(1, stage="Proposal", amount=15000, source_updated_at=later),
            deal_row(2, name="Renamed", source_updated_at=later),
        ]
    )

    assert counts(result) == (0, 2, 0, 0, 0)
    t = dt.datetime(2025, 4, 2, 10, 0, tzinfo=dt.UTC)
    assert history("006D000001") == [
        ("amount", "12000.00", "15000.00", t),
        ("stage", "Discovery", "Proposal", t),
    ]
    # The values before the change are still known, from the change rows.
    deal = Deal.objects.get(external_id="006D000001")
    assert first_values(deal) == [
        ("stage", "", "Discovery", deal.created_at),
        ("status", "", "open", deal.created_at),
        ("amount", "", "12000.00", deal.created_at),
        ("expected_close_date", "", "2025-06-30", deal.created_at),
    ]
    # A change outside the tracked fields updates the deal but writes no history.
    assert history("006D000002") == []
    assert Deal.objects.get(external_id="006D000002").name == "Renamed"


def test_a_row_older_than_what_is_stored_is_stale_and_skipped(rep_identity):
    deals_ingest(rows=[deal_row(1, stage="Proposal", source_updated_at="2025-04-01T00:00:00Z")])

    result = deals_ingest(
        rows=[deal_row(1, stage="Discovery", source_updated_at="2025-03-01T00:00:00Z")]
    )

    assert counts(result) == (0, 0, 0, 1, 0)
    assert Deal.objects.get().stage == "Proposal"
    assert DealChange.objects.count() == 0


def test_a_newer_time_alone_moves_the_crm_time_but_counts_as_unchanged(rep_identity):
    deals_ingest(rows=[deal_row(1)])
    deals_ingest(rows=[deal_row(1, source_updated_at="2025-05-01T00:00:00Z")])

    # ...so a delayed older row with other values stays stale.
    result = deals_ingest(
        rows=[deal_row(1, stage="Lost?", source_updated_at="2025-04-01T00:00:00Z")]
    )

    assert counts(result) == (0, 0, 0, 1, 0)
    deal = Deal.objects.get()
    assert deal.source_updated_at == dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    assert deal.stage == "Discovery"


def test_equally_new_row_with_other_values_is_applied(rep_identity):
    deals_ingest(rows=[deal_row(1)])

    result = deals_ingest(rows=[deal_row(1, stage="Proposal")])

    assert counts(result) == (0, 1, 0, 0, 0)
    assert Deal.objects.get().stage == "Proposal"


def test_duplicates_inside_one_body_resolve_to_the_newest(rep_identity):
    rows = [
        deal_row(1, stage="Proposal", source_updated_at="2025-03-05T00:00:00Z"),
        deal_row(1, stage="Negotiation", source_updated_at="2025-03-09T00:00:00Z"),
        deal_row(1, stage="Discovery", source_updated_at="2025-03-01T00:00:00Z"),
    ]

    result = deals_ingest(rows=rows)

    assert counts(result) == (1, 0, 0, 2, 0)
    assert Deal.objects.get().stage == "Negotiation"


def test_equally_new_duplicates_resolve_to_the_later_row(rep_identity):
    result = deals_ingest(rows=[deal_row(1, stage="A"), deal_row(1, stage="B")])

    assert counts(result) == (1, 0, 1, 0, 0)
    assert Deal.objects.get().stage == "B"


BAD_ROWS = [
    (deal_row(1, amount="lots"), "amount"),
    (deal_row(2, amount=-5), "amount"),
    (deal_row(3, amount=[1]), "amount"),
    (deal_row(4, name=42), "name"),
    (deal_row(5, status="pending"), "status"),
    (deal_row(6, currency="EURO"), "currency"),
    (deal_row(7, currency="XYZ"), "currency"),
    (
        deal_row(
            8, status="won", created_at="2025-02-01T00:00:00Z", closed_at="2025-01-01T00:00:00Z"
        ),
        "closed_at",
    ),
    (deal_row(9, status="won"), "closed_at"),
    (deal_row(10, status="lost", closed_at=None), "closed_at"),
    (deal_row(11, created_at="yesterday"), "created_at"),
    (deal_row(12, expected_close_date="30/06/2025"), "expected_close_date"),
    (deal_row(13, has_economic_buyer="maybe"), "has_economic_buyer"),
    ({k: v for k, v in deal_row(14).items() if k != "source_updated_at"}, "source_updated_at"),
    (deal_row(15, external_id=""), "external_id"),
    (deal_row(16, owner_id=None), "owner_id"),
    (deal_row(17, stage=""), "stage"),
    (deal_row(18, name="x" * 256), "name"),
    ("not an object", ""),
    (deal_row(20, source=None), "source"),
    (deal_row(21, owner_id=None, owner_email="nobody"), "owner_email"),
    (deal_row(22, status="open", closed_at="2025-03-01T00:00:00Z"), "closed_at"),
]


def test_every_bad_row_is_reported_and_good_rows_still_land(rep_identity):
    rows = [bad for bad, _field in BAD_ROWS] + [deal_row(99)]

    result = deals_ingest(rows=rows)

    assert [(e.index, e.field) for e in result.errors] == [
        (i, field) for i, (_bad, field) in enumerate(BAD_ROWS)
    ]
    assert all(e.message for e in result.errors)
    assert result.errors[0].key == "006D000001"
    assert counts(result)[:4] == (1, 0, 0, 0)
    assert list(Deal.objects.values_list("external_id", flat=True)) == ["006D000099"]


def test_lenient_values_are_normalised(rep_identity):
    row = deal_row(
        1,
        external_id=1234,
        source="SalesForce",
        currency="usd",
        status="Won",
        amount=99.999,
        closed_at="2025-03-01T12:00:00",  # naive: taken as UTC
    )

    result = deals_ingest(rows=[row])

    assert counts(result) == (1, 0, 0, 0, 0)
    deal = Deal.objects.get()
    assert (deal.source, deal.external_id, deal.currency, deal.status, deal.amount) == (
        "salesforce",
        "1234",
        "USD",
        "won",
        Decimal("100.00"),
    )
    assert deal.closed_at == dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)


def test_default_source_applies_to_rows_without_one(rep_identity):
    deals_ingest(rows=[deal_row(1, source=None, owner_id="005REP")], default_source="csv")

    assert Deal.objects.get().source == "csv"


def test_unknown_owner_is_kept_and_attached_when_a_later_row_resolves_it(cast):
    deals_ingest(rows=[deal_row(1, owner_id="005NEW"), deal_row(2, owner_id="005NEW")])
    assert list(Deal.objects.values_list("owner", "owner_external_id")) == [
        (None, "005NEW"),
        (None, "005NEW"),
    ]
    CrmIdentityFactory(user=cast.rep_peer, source="salesforce", owner_id="005NEW")

    result = deals_ingest(rows=[deal_row(3, owner_id="005NEW")])

    assert result.owners_attached == 2
    assert set(Deal.objects.values_list("owner", flat=True)) == {cast.rep_peer.pk}


def test_owner_can_be_given_by_email(cast):
    deals_ingest(rows=[deal_row(1, owner_id=None, owner_email="Rep@Example.com")])

    deal = Deal.objects.get()
    assert (deal.owner, deal.owner_external_id) == (cast.rep, "rep@example.com")


def test_owner_id_of_another_source_does_not_match(rep_identity):
    deals_ingest(rows=[deal_row(1, source="hubspot")])

    assert Deal.objects.get().owner is None


def test_crm_field_history_is_inserted_once(rep_identity):
    deals_ingest(rows=[deal_row(1)])
    entries = [
        {
            "source": "salesforce",
            "external_id": "006D000001",
            "field": "expected_close_date",
            "old_value": "2025-05-31",
            "new_value": "2025-06-30",
            "changed_at": "2025-02-15T10:00:00Z",
        },
        {
            "external_id": "006D999999",
            "source": "salesforce",
            "field": "stage",
            "new_value": "X",
            "changed_at": "2025-02-15T10:00:00Z",
        },
        {
            "external_id": "006D000001",
            "source": "salesforce",
            "field": "owner",
            "new_value": "X",
            "changed_at": "2025-02-15T10:00:00Z",
        },
    ]

    first = deals_ingest(rows=[], history=entries)
    deals_ingest(rows=[], history=entries)

    assert [(e.index, e.field) for e in first.history_errors] == [(2, "field"), (1, "external_id")]
    assert DealChange.objects.filter(changed_at__date=dt.date(2025, 2, 15)).count() == 1


def test_history_of_a_closing_deal(rep_identity):
    deals_ingest(rows=[deal_row(1)])

    deals_ingest(
        rows=[
            deal_row(
                1,
                stage="Closed Won",
                status="won",
                closed_at="2025-04-01T00:00:00Z",
                source_updated_at="2025-04-01T00:00:00Z",
            )
        ]
    )

    assert [(f, o, n) for f, o, n, _t in history("006D000001")[-2:]] == [
        ("stage", "Discovery", "Closed Won"),
        ("status", "open", "won"),
    ]


def test_many_rows_in_one_call(rep_identity):
    rows = [deal_row(n) for n in range(2500)]
    deals_ingest(rows=rows)
    changed = [
        deal_row(n, amount=n, source_updated_at="2025-04-01T00:00:00Z") if n % 10 == 0 else rows[n]
        for n in range(2500)
    ]

    result = deals_ingest(rows=changed)

    assert counts(result) == (0, 250, 2250, 0, 0)
    assert DealChange.objects.filter(field="amount").count() == 250
    assert DealChange.objects.count() == 250
