import datetime as dt
import random
from collections import Counter

import pytest
from django.db.models import Count, Q

from accounts import demo as accounts_demo
from deals import demo
from deals.models import Deal, DealChange, ExchangeRate
from deals.selectors import deals_slipped_q

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def org():
    org = accounts_demo.DemoOrg()
    accounts_demo.seed(org, random.Random(1))
    return org


def test_seed_makes_two_years_of_pipeline_for_every_demo_rep(org):
    created = demo.seed(org, random.Random(2), today=TODAY)

    assert created == Deal.objects.count()
    assert created > 2000
    owners = set(Deal.objects.values_list("owner", flat=True))
    assert owners == {rep.pk for rep in org.reps}
    first = Deal.objects.order_by("created_at").first().created_at.date()
    assert dt.date(2024, 6, 1) <= first < dt.date(2024, 7, 1)
    assert ExchangeRate.objects.filter(currency="EUR").count() == 25


def test_seed_is_idempotent(org):
    demo.seed(org, random.Random(2), today=TODAY)
    before = (Deal.objects.count(), DealChange.objects.count())

    assert demo.seed(org, random.Random(3), today=TODAY) == 0
    assert (Deal.objects.count(), DealChange.objects.count()) == before


def test_seed_loads_reps_from_the_database_when_the_org_has_none(org):
    assert demo.seed(accounts_demo.DemoOrg(), random.Random(2), today=TODAY) > 0
    assert Deal.objects.values("owner").distinct().count() == len(org.reps)


def test_demo_data_has_the_patterns_the_pages_show(org):
    demo.seed(org, random.Random(2), today=TODAY)
    closed = Deal.objects.exclude(status="open")

    def win_rate(q):
        counts = closed.filter(q).aggregate(won=Count("pk", filter=Q(status="won")), n=Count("pk"))
        return counts["won"] / counts["n"]

    # Qualified deals win more often.
    qualified = Q(has_compelling_deadline=True, has_economic_buyer=True)
    assert win_rate(qualified) > win_rate(~qualified) + 0.15
    # Slips exist, and slipped deals lacked a deadline or buyer more often than the others.
    slipped = Deal.objects.filter(deals_slipped_q(today=TODAY))
    lacking = ~Q(has_compelling_deadline=True) | ~Q(has_economic_buyer=True)
    share_slipped = slipped.filter(lacking).count() / slipped.count()
    not_slipped = Deal.objects.exclude(pk__in=slipped.values("pk"))
    assert slipped.count() > 300
    assert share_slipped > not_slipped.filter(lacking).count() / not_slipped.count()
    # Quarter-end months close more than the others, December most.
    by_month = Counter(d.month for d in closed.values_list("closed_at", flat=True))
    quarter_end = sum(by_month[m] for m in (3, 6, 9, 12)) / 4
    other = sum(by_month[m] for m in range(1, 13) if m % 3) / 8
    assert quarter_end > 1.3 * other
    # Cycles are 30 to 180 days; lost deals carry a reason; closed deals have closed_at.
    for deal in closed:
        assert 25 <= (deal.closed_at - deal.created_at).days <= 190
    assert not closed.filter(status="lost", loss_reason="").exists()
    # Every close-date push is recorded with a later new date.
    pushes = DealChange.objects.filter(field="expected_close_date").exclude(old_value="")
    assert pushes.exists()
    assert all(c.new_value > c.old_value for c in pushes)


def test_the_effect_hook_moves_win_rates_of_the_chosen_rep_months(org):
    lucky = org.reps[0].pk

    demo.seed(org, random.Random(2), today=TODAY)
    baseline = Deal.objects.filter(owner=lucky, status="won").count()
    demo.seed(
        org,
        random.Random(2),
        today=TODAY,
        effect=lambda rep_id, month: 3.0 if rep_id == lucky else 1.0,
        replace=True,
    )

    assert Deal.objects.filter(owner=lucky, status="won").count() > baseline
