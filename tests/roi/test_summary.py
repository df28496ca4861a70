"""The rep x month summary: the panel read from it equals the panel from the deals, while every
kind of deals write keeps it current (roi.services.summary)."""

import datetime as dt
import random
from dataclasses import fields
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command

from accounts.models import Team
from deals.models import Deal, DealStatus
from deals.services import deal_owner_map, deals_delete, deals_ingest
from roi.models import RepMonthSummary, RepSourceSpan, SummaryState
from roi.panel import PanelWindow, data_coverage, panel_build
from roi.panel.summary import summary_usable
from roi.services.summary import summary_rebuild
from tests.deals.factories import deal_row
from tests.roi.factories import DealChangeFactory, DealFactory, ExchangeRateFactory, RepFactory, at

pytestmark = pytest.mark.django_db(transaction=False)

WINDOW = PanelWindow(first=dt.date(2023, 7, 1), last=dt.date(2024, 6, 1))
TODAY = dt.date(2024, 7, 10)
SOURCE = "salesforce"


def _panels():  # type: ignore[no-untyped-def]
    """(the panel from the summary, the panel from the deals) of the same data."""
    coverage = data_coverage(today=TODAY)
    kwargs = {
        "window": WINDOW,
        "home_currency": "USD",
        "today": TODAY,
        "coverage": coverage,
        "winsorise_percentile": 95.0,
        "meeting_advance_days": 14,
    }
    assert summary_usable(window=WINDOW, home_currency="USD", today=TODAY)
    from_summary = panel_build(**kwargs)
    built_at = SummaryState.objects.get(pk=1).built_at
    SummaryState.objects.filter(pk=1).update(built_at=None)
    assert not summary_usable(window=WINDOW, home_currency="USD", today=TODAY)
    from_deals = panel_build(**kwargs)
    SummaryState.objects.filter(pk=1).update(built_at=built_at)
    return from_summary, from_deals


def _assert_same(a, b) -> None:  # type: ignore[no-untyped-def]
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.shape == y.shape, f.name
            assert np.allclose(x, y, equal_nan=True), f.name
        elif f.name != "window":
            assert x == y, f.name


def _summary_rows() -> list[tuple[object, ...]]:
    """Every summary row, values rounded (sums in another order differ in the last bits)."""
    columns = [f.name for f in RepMonthSummary._meta.fields if f.name not in ("id", "owner")]
    return sorted(
        (owner, *(round(v, 6) for v in values))
        for owner, *values in RepMonthSummary.objects.values_list("owner_id", *columns)
    )


def _spans() -> list[tuple[object, ...]]:
    return sorted(
        RepSourceSpan.objects.values_list(
            "owner_id", "source", "first_deal", "last_created", "last_closed"
        )
    )


def _random_row(rng: random.Random, n: int, emails: list[str], stamp: str) -> dict[str, object]:
    created = dt.datetime(2023, 5, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.uniform(0, 420))
    status = rng.choice(["open", "won", "lost", "won"])
    closed = created + dt.timedelta(days=rng.uniform(5, 90))
    if closed.date() >= TODAY:
        status = "open"
    expected = created.date() + dt.timedelta(days=rng.randint(10, 120))
    return deal_row(
        n,
        owner_id="",
        owner_email=rng.choice(emails),
        amount=f"{rng.uniform(500, 90_000):.2f}",
        currency=rng.choice(["USD", "USD", "EUR", "GBP"]),  # GBP has no rate at all
        status=status,
        created_at=created.isoformat(),
        closed_at=closed.isoformat() if status != "open" else None,
        expected_close_date=expected.isoformat(),
        has_compelling_deadline=rng.choice([True, False, None]),
        has_economic_buyer=rng.choice([True, False, None]),
        source_updated_at=stamp,
    )


def _world():  # type: ignore[no-untyped-def]
    """Reps (one who left, one without deals), EUR rates changing in the window (none before
    2023-09: older EUR deals have no rate), and a deal reopened that kept its close time."""
    teams = [Team.objects.create(name="North"), Team.objects.create(name="South")]
    reps = [RepFactory(team=teams[i % 2], hire_date=dt.date(2023, 1, 1)) for i in range(5)]
    RepFactory(hire_date=dt.date(2023, 3, 1))  # no deals
    ExchangeRateFactory(currency="EUR", rate=Decimal("1.10"), valid_from=dt.date(2023, 9, 1))
    ExchangeRateFactory(currency="EUR", rate=Decimal("1.05"), valid_from=dt.date(2024, 2, 12))
    reopened = DealFactory(
        owner=reps[0],
        source=SOURCE,
        status=DealStatus.OPEN,
        created_at=at(2023, 10, 2),
        closed_at=at(2023, 12, 1),
        expected_close_date=dt.date(2023, 11, 30),
    )
    DealChangeFactory(
        deal=reopened, field="expected_close_date", old_value="2023-10-31", new_value="2023-11-30"
    )
    return reps


def test_the_panel_from_the_summary_equals_the_panel_from_the_deals_through_every_write():
    # given a summary built over a first load, then kept by every kind of deals write
    rng = random.Random(13)
    reps = _world()
    emails = [r.email for r in reps]
    deals_ingest(rows=[_random_row(rng, n, emails, "2024-01-01T00:00:00Z") for n in range(150)])
    assert summary_rebuild() > 0
    _assert_same(*_panels())

    # when more deals arrive in batches, with close-date history
    for batch in range(3):
        first = 150 + batch * 60
        rows = [
            _random_row(rng, n, emails, "2024-02-01T00:00:00Z") for n in range(first, first + 60)
        ]
        history = [
            {
                "source": SOURCE,
                "external_id": rows[i]["external_id"],
                "field": "expected_close_date",
                "old_value": "2024-01-31",
                "new_value": "2024-03-15",
                "changed_at": "2024-01-20T10:00:00Z",
            }
            for i in range(0, 60, 7)
        ]
        deals_ingest(rows=rows, history=history)
    _assert_same(*_panels())

    # and late edits: reopened, re-closed in another month, moved to another rep, currency
    # changed to one without a rate, close date moved
    edits = []
    for n in rng.sample(range(330), 80):
        row = _random_row(rng, n, emails, "2024-06-01T00:00:00Z")
        edits.append(row)
    deals_ingest(rows=edits)
    _assert_same(*_panels())

    # and a rep changes team, deals are deleted, and ownerless deals get an owner
    reps[1].team = Team.objects.get(name="North" if reps[1].team.name == "South" else "South")
    reps[1].save()
    deals_delete(
        deals=Deal.objects.filter(pk__in=list(Deal.objects.values_list("pk", flat=True)[:7]))
    )
    orphans = [
        deal_row(
            900 + i,
            owner_id="005NEW",
            created_at="2024-02-03T10:00:00Z",
            status="won",
            closed_at="2024-04-02T10:00:00Z",
            currency="USD",
        )
        for i in range(4)
    ]
    deals_ingest(rows=orphans)
    deal_owner_map(source=SOURCE, owner_external_id="005NEW", user=reps[4])

    # then the summary gives the panel of the deals, and the same rows as a rebuild
    _assert_same(*_panels())
    kept, spans = _summary_rows(), _spans()
    summary_rebuild()
    assert _summary_rows() == kept
    assert _spans() == spans


def test_the_summary_is_not_used_for_other_rates_another_currency_or_a_month_under_way():
    # given a built summary
    reps = _world()
    deals_ingest(rows=[deal_row(1, owner_id="", owner_email=reps[0].email)])
    call_command("roi_summary_rebuild", verbosity=0)
    assert summary_usable(window=WINDOW, home_currency="USD", today=TODAY)

    # then it is not used for another home currency, a month not over, or once rates changed
    assert not summary_usable(window=WINDOW, home_currency="EUR", today=TODAY)
    assert not summary_usable(window=WINDOW, home_currency="USD", today=dt.date(2024, 6, 30))
    ExchangeRateFactory(currency="GBP", rate=Decimal("1.27"), valid_from=dt.date(2024, 1, 1))
    assert not summary_usable(window=WINDOW, home_currency="USD", today=TODAY)
    # until it is rebuilt
    summary_rebuild()
    assert summary_usable(window=WINDOW, home_currency="USD", today=TODAY)


def test_the_panel_from_the_summary_reads_it_without_the_deals(django_assert_num_queries):
    # given a built summary over 30 or 300 deals
    reps = _world()
    rng = random.Random(5)
    emails = [r.email for r in reps]
    for size in (30, 300):
        deals_ingest(
            rows=[_random_row(rng, n, emails, "2024-01-01T00:00:00Z") for n in range(size)]
        )
        summary_rebuild()
        coverage = data_coverage(today=TODAY)
        # then the panel takes the same queries: rates, summary state and rates digest,
        # the summary, the tenure spans, and the deals without a rate by currency
        with django_assert_num_queries(6):
            panel_build(window=WINDOW, home_currency="USD", today=TODAY, coverage=coverage)
