"""One definition of a slipped deal (deals.slips): the SQL predicate, the per-deal answer and the
coaching slip rate agree on the edge cases."""

import datetime as dt
from decimal import Decimal

import pytest

from coaching.services.metrics import Measurement, metric_measure
from deals.models import Deal, DealStatus
from deals.slips import DueDate, deal_due_dates, deal_is_slipped, deals_slipped_q
from tests.deals.factories import DealChangeFactory, DealFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)
CREATED = dt.datetime(2025, 1, 2, 9, tzinfo=dt.UTC)


@pytest.fixture
def rep():
    return UserFactory()


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _deal(name: str, rep, **fields) -> Deal:
    return DealFactory(name=name, owner=rep, created_at=CREATED, **fields)


def _push(deal: Deal, old: str, new: str, day: dt.date) -> None:
    DealChangeFactory(
        deal=deal, field="expected_close_date", old_value=old, new_value=new, changed_at=at(day)
    )


def _edge_cases(rep) -> dict[str, bool]:
    """Deals covering every rule, with the verdict the definition gives each."""
    cases: dict[str, bool] = {}
    _deal("no date", rep, expected_close_date=None)
    cases["no date"] = False
    _deal("open, date passed, no history", rep, expected_close_date=dt.date(2025, 3, 1))
    cases["open, date passed, no history"] = True
    _deal("open, date ahead", rep, expected_close_date=dt.date(2025, 7, 1))
    cases["open, date ahead"] = False
    _deal("open, due today", rep, expected_close_date=TODAY)
    cases["open, due today"] = False
    moved = _deal("moved out, date ahead", rep, expected_close_date=dt.date(2025, 8, 1))
    _push(moved, "2025-07-01", "2025-08-01", dt.date(2025, 5, 1))
    cases["moved out, date ahead"] = True  # pushed before the day came: still a slip
    pulled = _deal("pulled in", rep, expected_close_date=dt.date(2025, 7, 1))
    _push(pulled, "2025-09-01", "2025-07-01", dt.date(2025, 4, 1))
    cases["pulled in"] = False
    first = _deal("first recorded", rep, expected_close_date=dt.date(2025, 7, 1))
    _push(first, "", "2025-07-01", dt.date(2025, 1, 2))
    cases["first recorded"] = False
    _deal(
        "closed late",
        rep,
        expected_close_date=dt.date(2025, 3, 1),
        status=DealStatus.WON,
        closed_at=at(dt.date(2025, 3, 20)),
    )
    cases["closed late"] = True
    _deal(
        "closed on its day",
        rep,
        expected_close_date=dt.date(2025, 3, 1),
        status=DealStatus.LOST,
        closed_at=at(dt.date(2025, 3, 1), hour=23),
    )
    cases["closed on its day"] = False
    tidy = _deal(
        "pushed after closing",
        rep,
        expected_close_date=dt.date(2025, 4, 1),
        status=DealStatus.WON,
        closed_at=at(dt.date(2025, 2, 1)),
    )
    _push(tidy, "2025-02-15", "2025-04-01", dt.date(2025, 2, 2))
    cases["pushed after closing"] = False
    pushed_won = _deal(
        "moved out, then won by the new date",
        rep,
        expected_close_date=dt.date(2025, 4, 1),
        status=DealStatus.WON,
        closed_at=at(dt.date(2025, 3, 30)),
    )
    _push(pushed_won, "2025-03-01", "2025-04-01", dt.date(2025, 2, 20))
    cases["moved out, then won by the new date"] = True
    # Won on time, then reopened in the CRM: open again, with the old close time kept.
    _deal(
        "reopened",
        rep,
        expected_close_date=dt.date(2025, 3, 1),
        status=DealStatus.OPEN,
        closed_at=at(dt.date(2025, 2, 25)),
    )
    cases["reopened"] = True
    reopened_pushed = _deal(
        "reopened, date moved out",
        rep,
        expected_close_date=dt.date(2025, 9, 1),
        status=DealStatus.OPEN,
        closed_at=at(dt.date(2025, 2, 25)),
    )
    _push(reopened_pushed, "2025-03-01", "2025-09-01", dt.date(2025, 3, 5))
    cases["reopened, date moved out"] = True
    # A day pushed and later pulled back to is one due date, missed once (not a push and a
    # current date): open past it, or closed after it.
    back = _deal("pushed, pulled back, open past it", rep, expected_close_date=dt.date(2025, 3, 10))
    _push(back, "2025-03-10", "2025-04-01", dt.date(2025, 3, 1))
    _push(back, "2025-04-01", "2025-03-10", dt.date(2025, 3, 5))
    cases["pushed, pulled back, open past it"] = True
    back_late = _deal(
        "pushed, pulled back, won late",
        rep,
        expected_close_date=dt.date(2025, 3, 10),
        status=DealStatus.WON,
        closed_at=at(dt.date(2025, 3, 20)),
    )
    _push(back_late, "2025-03-10", "2025-03-25", dt.date(2025, 3, 1))
    _push(back_late, "2025-03-25", "2025-03-10", dt.date(2025, 3, 5))
    cases["pushed, pulled back, won late"] = True
    back_met = _deal(
        "pushed, pulled back, won on time",
        rep,
        expected_close_date=dt.date(2025, 3, 10),
        status=DealStatus.WON,
        closed_at=at(dt.date(2025, 3, 8)),
    )
    _push(back_met, "2025-03-10", "2025-03-25", dt.date(2025, 3, 1))
    _push(back_met, "2025-03-25", "2025-03-10", dt.date(2025, 3, 5))
    cases["pushed, pulled back, won on time"] = False
    # The same day pushed twice (pushed, pulled back, pushed again): one due date, missed.
    twice = _deal("the same day pushed twice", rep, expected_close_date=dt.date(2025, 9, 1))
    _push(twice, "2025-04-01", "2025-05-01", dt.date(2025, 3, 20))
    _push(twice, "2025-05-01", "2025-04-01", dt.date(2025, 3, 25))
    _push(twice, "2025-04-01", "2025-09-01", dt.date(2025, 3, 28))
    cases["the same day pushed twice"] = True
    return cases


def test_sql_and_loaded_deal_give_the_definitions_verdicts(rep):
    cases = _edge_cases(rep)

    in_sql = set(Deal.objects.filter(deals_slipped_q(today=TODAY)).values_list("name", flat=True))
    over_many = Deal.objects.filter(deals_slipped_q(today=TODAY, over_many=True))
    loaded = {
        d.name: deal_is_slipped(deal=d, today=TODAY)
        for d in Deal.objects.prefetch_related("changes")
    }

    assert in_sql == {name for name, slipped in cases.items() if slipped}
    assert set(over_many.values_list("name", flat=True)) == in_sql
    assert loaded == cases


def test_coaching_slip_rate_counts_the_same_slips(rep):
    cases = _edge_cases(rep)
    # Every case has a date in 2025; the ones with none due by TODAY are not counted.
    not_due = {"no date", "open, date ahead", "open, due today", "pulled in", "first recorded"}

    measured = metric_measure(
        rep=rep,
        metric="slip_rate",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
        today=TODAY,
    )

    slipped = sum(cases.values())
    total = len(cases) - len(not_due)
    assert measured == Measurement(
        value=(Decimal(slipped) * 100 / total).quantize(Decimal("0.1")), count=total
    )


def test_window_counts_only_dates_due_inside_it_both_ends_included(rep):
    _deal("due on the last day", rep, expected_close_date=dt.date(2025, 3, 31))
    _deal("due after", rep, expected_close_date=dt.date(2025, 4, 1))
    pushed = _deal("pushed out of the window", rep, expected_close_date=dt.date(2025, 5, 1))
    _push(pushed, "2025-01-01", "2025-05-01", dt.date(2024, 12, 20))

    measured = metric_measure(
        rep=rep,
        metric="slip_rate",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 31),
        today=TODAY,
    )

    assert measured == Measurement(value=Decimal("100.0"), count=2)


def test_a_date_not_yet_due_is_not_counted_as_a_slip(rep):
    _deal("open, ahead", rep, expected_close_date=dt.date(2025, 6, 20))

    measured = metric_measure(
        rep=rep,
        metric="slip_rate",
        start=dt.date(2025, 6, 1),
        end=dt.date(2025, 6, 30),
        today=TODAY,
    )

    assert measured == Measurement(value=None, count=0)


def test_close_day_is_the_utc_day():
    # 23:30 in New York on 1 March is 2 March in UTC: a day late.
    late = dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    due = deal_due_dates(
        status=DealStatus.WON,
        expected_close_date=dt.date(2025, 3, 1),
        closed_at=late,
        close_date_changes=[],
        today=TODAY,
    )
    assert due == [DueDate(dt.date(2025, 3, 1), missed=True)]


def test_unreadable_history_values_are_ignored():
    due = deal_due_dates(
        status=DealStatus.OPEN,
        expected_close_date=None,
        closed_at=None,
        close_date_changes=[("not a date", "2025-05-01"), ("2025-02-30", "2025-05-01")],
        today=TODAY,
    )
    assert due == []


def test_the_roi_panel_counts_the_same_slips(rep):
    """The ROI panel counts slips in SQL of its own (roi.panel.queries); on the same deals it
    finds the dates that came due and those missed that this definition finds, reopened deals
    that kept an old close time included: open is open, whatever close time they kept."""
    from roi.panel import PanelWindow, data_coverage, panel_build

    cases = _edge_cases(rep)
    deals = Deal.objects.prefetch_related("changes")
    due = [
        d
        for deal in deals
        for d in deal_due_dates(
            status=deal.status,
            expected_close_date=deal.expected_close_date,
            closed_at=deal.closed_at,
            close_date_changes=[
                (c.old_value, c.new_value)
                for c in deal.changes.all()
                if c.field == "expected_close_date"
            ],
            today=TODAY,
        )
    ]

    panel = panel_build(
        window=PanelWindow(first=dt.date(2025, 1, 1), last=dt.date(2025, 12, 1)),
        home_currency="EUR",
        today=TODAY,
        rep_ids=[rep.pk],
        coverage=data_coverage(today=TODAY),
    )

    due_by_month = [sum(d.day.month == m for d in due) for m in range(1, 13)]
    missed_by_month = [sum(d.missed and d.day.month == m for d in due) for m in range(1, 13)]
    assert len(cases) > len(due) > 0
    assert panel.due[0].tolist() == due_by_month
    assert panel.slipped[0].tolist() == missed_by_month
