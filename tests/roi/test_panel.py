"""The rep x month panel: exact values on small data, built in the database."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest

from accounts.roles import Role
from deals.models import DealStatus
from roi.months import month_number
from roi.panel import DataCoverage, PanelWindow, data_coverage, panel_build
from tests.roi.factories import (
    DealChangeFactory,
    DealFactory,
    ExchangeRateFactory,
    RepFactory,
    at,
)

pytestmark = pytest.mark.django_db

WINDOW = PanelWindow(first=dt.date(2024, 1, 1), last=dt.date(2024, 6, 1))
TODAY = dt.date(2024, 7, 10)


def _live(coverage: DataCoverage) -> DataCoverage:
    """The coverage the data gives, as if the CRM were still in use up to TODAY (these tests
    are about how months are counted; the coverage tests below are about where data ends)."""
    as_of = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
    sources = {
        name: replace(source, last_month=month_number(WINDOW.last), data_as_of=as_of)
        for name, source in coverage.sources.items()
    }
    return DataCoverage(today=TODAY, sources=sources)


def _build(**kwargs):  # type: ignore[no-untyped-def]
    coverage = _live(data_coverage(today=TODAY))
    return panel_build(window=WINDOW, home_currency="USD", today=TODAY, coverage=coverage, **kwargs)


def _col(month: int) -> int:
    return month_number(dt.date(2024, month, 1)) - month_number(WINDOW.first)


def test_win_rate_counts_won_and_lost_deals_closed_in_the_month_by_count_and_by_value():
    # given a rep with two wins and one loss closed in March, and an open deal
    rep = RepFactory()
    DealFactory(owner=rep, status=DealStatus.WON, amount=Decimal("300"), closed_at=at(2024, 3, 2))
    DealFactory(owner=rep, status=DealStatus.WON, amount=Decimal("100"), closed_at=at(2024, 3, 30))
    DealFactory(owner=rep, status=DealStatus.LOST, amount=Decimal("600"), closed_at=at(2024, 3, 9))
    DealFactory(owner=rep, status=DealStatus.OPEN, amount=Decimal("999"))

    # when the panel is built
    panel = _build()

    # then March has 2 won, 1 lost; win rate 2/3 by count and 400/1000 by value
    row, march = 0, _col(3)
    assert panel.rep_ids.tolist() == [rep.pk]
    assert (panel.won_count[row, march], panel.lost_count[row, march]) == (2.0, 1.0)
    assert panel.outcome("win_rate")[row, march] == pytest.approx(200 / 3)
    assert panel.value_win_rate()[row, march] == pytest.approx(40.0)
    assert panel.outcome("bookings")[row, march] == 400.0
    # a month without closed deals has no win rate but zero bookings
    assert np.isnan(panel.outcome("win_rate")[row, _col(4)])
    assert panel.outcome("bookings")[row, _col(4)] == 0.0


def test_cycle_days_average_the_deals_won_from_created_to_closed_day():
    # given two wins in May after 30 and 50 days, and a loss after 5 days
    rep = RepFactory()
    DealFactory(
        owner=rep, status=DealStatus.WON, created_at=at(2024, 4, 1, 23), closed_at=at(2024, 5, 1, 1)
    )
    DealFactory(
        owner=rep, status=DealStatus.WON, created_at=at(2024, 3, 22), closed_at=at(2024, 5, 11)
    )
    DealFactory(
        owner=rep, status=DealStatus.LOST, created_at=at(2024, 5, 1), closed_at=at(2024, 5, 6)
    )

    panel = _build()

    # then the cycle is the mean over wins of whole calendar days: (30 + 50) / 2
    assert panel.outcome("cycle_days")[0, _col(5)] == pytest.approx(40.0)


def test_amounts_convert_to_the_home_currency_at_the_rate_valid_on_the_close_day():
    # given EUR rates changing on 1 March and a GBP deal without any rate
    rep = RepFactory()
    ExchangeRateFactory(currency="EUR", rate=Decimal("1.10"), valid_from=dt.date(2023, 1, 1))
    ExchangeRateFactory(currency="EUR", rate=Decimal("1.20"), valid_from=dt.date(2024, 3, 1))
    DealFactory(
        owner=rep,
        status=DealStatus.WON,
        currency="EUR",
        amount=Decimal("100"),
        closed_at=at(2024, 2, 29, 23),
    )
    DealFactory(
        owner=rep,
        status=DealStatus.WON,
        currency="EUR",
        amount=Decimal("100"),
        closed_at=at(2024, 3, 1, 0),
    )
    DealFactory(
        owner=rep,
        status=DealStatus.WON,
        currency="GBP",
        amount=Decimal("50"),
        closed_at=at(2024, 3, 3),
    )

    panel = _build()

    # then February books 110, March 120 (the GBP deal counts as a win but has no value)
    assert panel.won_value[0, _col(2)] == pytest.approx(110.0)
    assert panel.won_value[0, _col(3)] == pytest.approx(120.0)
    assert panel.won_count[0, _col(3)] == 2.0
    assert panel.unconverted_deals == 1


def test_a_deal_closed_before_its_currency_first_rate_has_no_value():
    rep = RepFactory()
    ExchangeRateFactory(currency="CHF", rate=Decimal("1.15"), valid_from=dt.date(2024, 2, 1))
    DealFactory(
        owner=rep,
        status=DealStatus.WON,
        currency="CHF",
        amount=Decimal("100"),
        created_at=at(2023, 12, 1),
        closed_at=at(2024, 1, 31, 23),
    )
    DealFactory(
        owner=rep,
        status=DealStatus.LOST,
        currency="CHF",
        amount=Decimal("100"),
        created_at=at(2023, 12, 1),
        closed_at=at(2024, 2, 1, 0),
    )

    panel = _build()

    assert panel.won_value[0, _col(1)] == 0.0
    assert panel.lost_value[0, _col(2)] == pytest.approx(115.0)
    assert panel.unconverted_deals == 1


def test_months_before_the_crm_data_starts_are_not_observed():
    # given a rep hired long ago whose organisation's first deal was created in March
    veteran = RepFactory(hire_date=dt.date(2019, 5, 1))
    DealFactory(owner=RepFactory(), created_at=at(2024, 3, 4))

    panel = _build(rep_ids=[veteran.pk])

    # then the veteran's row starts in March too (their own first deal is none)
    assert panel.active[0].astype(int).tolist() == [0, 0, 1, 1, 1, 1]


def test_an_export_of_deals_closed_since_march_is_observed_from_march():
    # given a veteran whose export holds the deals closed from March on, some of them created in
    # January and February (the export is by close date; their creation goes back further)
    veteran = RepFactory(hire_date=dt.date(2019, 5, 1))
    for month in (3, 4, 5, 6):
        DealFactory(
            owner=veteran,
            status=DealStatus.WON,
            amount=Decimal("100"),
            created_at=at(2024, month - 2, 3),
            closed_at=at(2024, month, 10),
        )

    panel = _build()

    # then January and February are missing, not months without sales
    assert panel.active[0].astype(int).tolist() == [0, 0, 1, 1, 1, 1]
    assert panel.outcome("bookings")[0].tolist()[2:] == [100.0] * 4


def test_leading_indicators_are_shares_of_new_deals_where_the_crm_recorded_the_fact():
    # given four deals created in February: deadline yes/yes/no/unknown, buyer yes/no/no/yes
    rep = RepFactory()
    for deadline, buyer in [(True, True), (True, False), (False, False), (None, True)]:
        DealFactory(
            owner=rep,
            created_at=at(2024, 2, 5),
            has_compelling_deadline=deadline,
            has_economic_buyer=buyer,
        )

    panel = _build()
    feb = _col(2)

    # then deadline 2 of 3 known, buyer 2 of 4, both 1 of 3 known pairs
    assert panel.new_deals[0, feb] == 4.0
    assert panel.deadline_share()[0, feb] == pytest.approx(200 / 3)
    assert panel.buyer_share()[0, feb] == pytest.approx(50.0)
    assert panel.outcome("qualification")[0, feb] == pytest.approx(100 / 3)


def test_slips_count_close_dates_pushed_or_passed_without_closing():
    rep = RepFactory()
    # a deal whose April date was pushed to May, then won on its May date: one slip in April,
    # one on-time close in May
    pushed = DealFactory(
        owner=rep,
        status=DealStatus.WON,
        created_at=at(2024, 2, 1),
        expected_close_date=dt.date(2024, 5, 20),
        closed_at=at(2024, 5, 20),
    )
    DealChangeFactory(deal=pushed, old_value="", new_value="2024-04-10", changed_at=at(2024, 2, 1))
    DealChangeFactory(
        deal=pushed, old_value="2024-04-10", new_value="2024-05-20", changed_at=at(2024, 4, 9)
    )
    # a date pulled in is not a slip and does not come due
    pulled = DealFactory(
        owner=rep,
        status=DealStatus.OPEN,
        created_at=at(2024, 2, 1),
        expected_close_date=dt.date(2024, 8, 1),
    )
    DealChangeFactory(
        deal=pulled, old_value="2024-09-01", new_value="2024-08-01", changed_at=at(2024, 3, 1)
    )
    # an open deal whose May date passed: a slip in May
    DealFactory(owner=rep, created_at=at(2024, 3, 1), expected_close_date=dt.date(2024, 5, 3))
    # a deal won late (after its June date): a slip in June
    DealFactory(
        owner=rep,
        status=DealStatus.WON,
        created_at=at(2024, 3, 1),
        expected_close_date=dt.date(2024, 6, 3),
        closed_at=at(2024, 6, 20),
    )
    # a push after the deal had closed by its old date is bookkeeping, not a slip
    tidy = DealFactory(
        owner=rep,
        status=DealStatus.LOST,
        created_at=at(2024, 1, 3),
        expected_close_date=dt.date(2024, 3, 30),
        closed_at=at(2024, 2, 1),
    )
    DealChangeFactory(
        deal=tidy, old_value="2024-02-15", new_value="2024-03-30", changed_at=at(2024, 2, 2)
    )

    panel = _build()

    # then April: 1 due, 1 slipped; May: 2 due (one met, one passed), 1 slipped; June 1 of 1;
    # February: the tidy push is not counted; March: the tidy deal's date was met
    assert panel.due[0].tolist() == [0, 0, 1, 1, 2, 1]
    assert panel.slipped[0].tolist() == [0, 0, 0, 1, 1, 1]
    assert panel.outcome("slip_rate")[0, _col(5)] == pytest.approx(50.0)


def test_reps_are_observed_from_hire_or_first_deal_and_until_their_last_deal_if_they_left():
    # given a rep hired in March, a rep with no hire date whose first deal is in February,
    # a rep who left after a deal closed in April, and a coach who owns a deal (closed in
    # January, where the data starts)
    hired = RepFactory(hire_date=dt.date(2024, 3, 15))
    first_deal = RepFactory(hire_date=None)
    DealFactory(owner=first_deal, created_at=at(2024, 2, 20))
    left = RepFactory(hire_date=dt.date(2019, 1, 1), is_active=False)
    DealFactory(
        owner=left, status=DealStatus.WON, created_at=at(2024, 1, 3), closed_at=at(2024, 4, 2)
    )
    coach = RepFactory(role=Role.COACH)
    DealFactory(owner=coach, status=DealStatus.WON, closed_at=at(2024, 1, 20))

    panel = _build()

    # then only reps are rows, each active over their months
    assert panel.rep_ids.tolist() == [hired.pk, first_deal.pk, left.pk]
    assert panel.active.astype(int).tolist() == [
        [0, 0, 1, 1, 1, 1],
        [0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0],
    ]
    assert np.isnan(panel.outcome("bookings")[0, 0])


def test_the_panel_of_some_reps_leaves_the_others_out():
    rep, other = RepFactory(), RepFactory()
    DealFactory(owner=rep, status=DealStatus.WON, closed_at=at(2024, 2, 1))
    DealFactory(owner=other, status=DealStatus.WON, closed_at=at(2024, 2, 1))

    panel = _build(rep_ids=[other.pk])

    assert panel.rep_ids.tolist() == [other.pk]
    assert panel.won_count.sum() == 1.0


def test_the_panel_from_the_deals_takes_eight_queries_whatever_the_number_of_deals(
    django_assert_num_queries,
):
    for _ in range(3):
        rep = RepFactory()
        for month in range(1, 7):
            DealFactory(
                owner=rep,
                status=DealStatus.WON,
                created_at=at(2023, 12, 1),
                closed_at=at(2024, month, 3),
            )

    coverage = _live(data_coverage(today=TODAY))

    # Queries: first rate days, the summary's state (never built here, so the deals are read:
    # roi.panel.summary), tenure, closed deals, new deals, pushed close dates, current close
    # dates, deals without a rate by currency.
    with django_assert_num_queries(8):
        panel = panel_build(window=WINDOW, home_currency="USD", today=TODAY, coverage=coverage)
    assert panel.won_count.sum() == 18.0

    # and the coverage itself: deals by source and months created and closed, the connections
    with django_assert_num_queries(2):
        data_coverage(today=TODAY)


def test_each_rep_is_observed_until_their_own_source_s_data_ends():
    # given a rep whose deals come from a CSV export whose newest CRM time is 20 March, and a rep
    # whose deals come from a HubSpot connection synced up to yesterday
    from integrations.models import CrmConnection

    # (each source's first close in January, where its data starts)
    exported, synced = RepFactory(hire_date=dt.date(2023, 1, 1)), RepFactory()
    DealFactory(
        owner=exported,
        source="csv",
        status=DealStatus.LOST,
        created_at=at(2024, 1, 2),
        closed_at=at(2024, 1, 30),
    )
    DealFactory(
        owner=exported,
        source="csv",
        status=DealStatus.WON,
        created_at=at(2024, 1, 5),
        closed_at=at(2024, 3, 20),
    )
    DealFactory(
        owner=synced,
        source="hubspot",
        status=DealStatus.WON,
        created_at=at(2024, 1, 5),
        closed_at=at(2024, 1, 20),
    )
    CrmConnection.objects.create(source="hubspot", watermark=at(2024, 7, 9))

    # when the panel is built with the coverage the data gives
    panel = panel_build(window=WINDOW, home_currency="USD", today=TODAY)

    # then the exported rep's months end with February (March is not whole), the synced rep's
    # run to June; the months after the export ends are missing, not zero
    assert panel.rep_ids.tolist() == [exported.pk, synced.pk]
    assert panel.active.astype(int).tolist() == [[1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]]
    assert np.isnan(panel.outcome("bookings")[0, _col(4)])


def test_a_stored_coverage_reads_back_as_it_was():
    # given two sources' deals, one of them synced by a connection
    from integrations.models import CrmConnection

    DealFactory(source="csv", status=DealStatus.WON, closed_at=at(2024, 2, 20))
    DealFactory(source="hubspot", status=DealStatus.WON, closed_at=at(2024, 3, 2))
    CrmConnection.objects.create(source="hubspot", watermark=at(2024, 7, 9))
    coverage = data_coverage(today=TODAY)

    # when a report stores it and a page reads it back
    again = DataCoverage.from_dict(coverage.as_dict(), today=TODAY)

    # then it is the same coverage
    assert again == coverage
    assert again.window() == coverage.window()
