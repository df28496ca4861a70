"""Deals test data: model factories, and `deal_row` for an ingestion row in the bulk API shape."""

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from deals.models import Activity, ActivityKind, Deal, DealChange, DealStatus, ExchangeRate
from tests.factories import UserFactory

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def deal_row(n: int = 1, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "source": "salesforce",
        "external_id": f"006D{n:06d}",
        "owner_id": "005REP",
        "name": f"Deal {n}",
        "account_name": f"Account {n}",
        "amount": "12000.00",
        "currency": "EUR",
        "stage": "Discovery",
        "status": "open",
        "created_at": "2025-01-10T08:00:00Z",
        "expected_close_date": "2025-06-30",
        "closed_at": None,
        "loss_reason": "",
        "has_compelling_deadline": True,
        "has_economic_buyer": False,
        "source_updated_at": "2025-03-01T09:00:00Z",
    }
    row.update(overrides)
    return row


def activity_row(n: int = 1, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "source": "salesforce",
        "external_id": f"00U{n:07d}",
        "kind": "meeting",
        "owner_id": "005REP",
        "deal_external_id": "006D000001",
        "occurred_at": "2025-02-10T14:00:00Z",
        "duration_seconds": 1800,
        "outcome": "Completed",
        "source_updated_at": "2025-02-10T15:00:00Z",
    }
    row.update(overrides)
    return row


class DealFactory(DjangoModelFactory[Deal]):
    class Meta:
        model = Deal

    source = "salesforce"
    external_id = factory.Sequence(lambda n: f"006F{n:06d}")
    owner = factory.SubFactory(UserFactory)
    owner_external_id = factory.Sequence(lambda n: f"005F{n:05d}")
    name = factory.Sequence(lambda n: f"Factory deal {n}")
    account_name = factory.Sequence(lambda n: f"Account {n}")
    amount = Decimal("10000.00")
    currency = "EUR"
    stage = "Discovery"
    status = DealStatus.OPEN
    created_at = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)
    expected_close_date = dt.date(2025, 6, 30)
    has_compelling_deadline = True
    has_economic_buyer = True
    source_updated_at = T0


class DealChangeFactory(DjangoModelFactory[DealChange]):
    class Meta:
        model = DealChange

    deal = factory.SubFactory(DealFactory)
    field = "stage"
    old_value = ""
    new_value = "Discovery"
    changed_at = T0


class ExchangeRateFactory(DjangoModelFactory[ExchangeRate]):
    class Meta:
        model = ExchangeRate

    currency = "EUR"
    rate = Decimal("1.1")
    valid_from = dt.date(2025, 1, 1)


class ActivityFactory(DjangoModelFactory[Activity]):
    class Meta:
        model = Activity

    source = "salesforce"
    external_id = factory.Sequence(lambda n: f"00UF{n:06d}")
    kind = ActivityKind.MEETING
    deal = factory.SubFactory(DealFactory)
    deal_external_id = factory.LazyAttribute(lambda a: a.deal.external_id if a.deal else "")
    owner = factory.LazyAttribute(lambda a: a.deal.owner if a.deal else None)
    owner_external_id = factory.LazyAttribute(lambda a: a.deal.owner_external_id if a.deal else "")
    occurred_at = dt.datetime(2025, 2, 10, 14, tzinfo=dt.UTC)
    duration_seconds = 1800
    outcome = "Completed"
    source_updated_at = T0
