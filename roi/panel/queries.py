"""The panel's queries: one set-based query per metric family, grouped by (rep, month) in SQL.

Each returns plain tuples in a fixed column order (the *_COLUMNS below): the month as a month
number (roi.months) and every other column a number, NULLs already 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate

from accounts.models import User
from accounts.roles import Role
from deals.meetings import meetings_annotate_advanced
from deals.models import Activity, Deal, DealChange, DealField, DealStatus, ExchangeRate
from roi.months import UTC
from roi.panel.sql import DaysBetween, MonthNumber, RawResult
from roi.panel.window import PanelWindow

# Amount columns: enough digits for a rep's monthly bookings in any currency.
_MONEY: DecimalField[Any, Any] = DecimalField(max_digits=24, decimal_places=4)


def _count(condition: Q | None = None) -> Count:
    return Count("pk", filter=condition, output_field=RawResult())


def _sum(expression: Any, condition: Q) -> Coalesce:
    return Coalesce(Sum(expression, filter=condition), Value(0), output_field=RawResult())


def _owner_filter(rep_ids: Sequence[int] | None, field: str = "owner_id") -> Q:
    if rep_ids is None:
        return Q(**{f"{field}__isnull": False})
    return Q(**{f"{field}__in": list(rep_ids)})


def _home_amount(home_currency: str) -> Case:
    """The deal's amount in the home currency, NULL when its currency has no rate that day."""
    rate = Subquery(
        ExchangeRate.objects.filter(
            currency=OuterRef("currency"), valid_from__lte=OuterRef("close_day")
        )
        .order_by("-valid_from")
        .values("rate")[:1],
        output_field=_MONEY,
    )
    return Case(
        When(currency=home_currency, then=F("amount")),
        default=ExpressionWrapper(F("amount") * rate, output_field=_MONEY),
        output_field=_MONEY,
    )


def first_rate_days() -> dict[str, dt.date]:
    """{currency: the first day it has an exchange rate}. One query on the small rates table."""
    return dict(
        ExchangeRate.objects.values("currency")
        .annotate(first=Min("valid_from"))
        .values_list("currency", "first")
        .order_by()
    )


def _unconverted(home_currency: str, first_rates: dict[str, dt.date]) -> Q:
    """Closed deals with no rate on their close day: a currency without rates, or closed before
    its first rate. Plain column tests, so PostgreSQL need not run the rate lookup again."""
    converted = Q(currency=home_currency)
    for currency, first in first_rates.items():
        start = dt.datetime.combine(first, dt.time.min, tzinfo=UTC)
        converted |= Q(currency=currency, closed_at__gte=start)
    return ~converted


CLOSED_COLUMNS = (
    "owner_id",
    "month",
    "won",
    "lost",
    "won_value",
    "lost_value",
    "won_cycle_days",
    "unconverted_won",
    "unconverted_lost",
)


def closed_deals_query(
    *,
    window: PanelWindow,
    home_currency: str,
    first_rates: dict[str, dt.date],
    rep_ids: Sequence[int] | None = None,
) -> QuerySet[Deal, tuple[Any, ...]]:
    """Deals closed won or lost, by owner and month closed (CLOSED_COLUMNS). `first_rates`
    (first_rate_days) tells which deals have no exchange rate."""
    won, lost = Q(status=DealStatus.WON), Q(status=DealStatus.LOST)
    return (
        _closed_in(window, rep_ids, DealStatus.WON, DealStatus.LOST)
        .alias(close_day=TruncDate("closed_at", tzinfo=UTC))
        .alias(home_amount=_home_amount(home_currency))
        .values("owner_id", month=MonthNumber("closed_at", is_timestamp=True))
        .annotate(
            won=_count(won),
            lost=_count(lost),
            won_value=_sum("home_amount", won),
            lost_value=_sum("home_amount", lost),
            won_cycle_days=_sum(DaysBetween("closed_at", "created_at"), won),
            unconverted_won=_count(won & _unconverted(home_currency, first_rates)),
            unconverted_lost=_count(lost & _unconverted(home_currency, first_rates)),
        )
        .values_list(*CLOSED_COLUMNS)
        .order_by()
    )


def _closed_in(
    window: PanelWindow, rep_ids: Sequence[int] | None, *statuses: str
) -> QuerySet[Deal]:
    return Deal.objects.filter(
        _owner_filter(rep_ids),
        status__in=statuses,
        closed_at__gte=window.start_at,
        closed_at__lt=window.end_at,
    )


def unconverted_currencies_query(
    *,
    window: PanelWindow,
    home_currency: str,
    first_rates: dict[str, dt.date],
    rep_ids: Sequence[int] | None = None,
) -> QuerySet[Deal, tuple[Any, ...]]:
    """(currency, closed deals) of the deals closed in the window that have no exchange rate on
    their close day, by currency, most first: what a report names."""
    return (
        _closed_in(window, rep_ids, DealStatus.WON, DealStatus.LOST)
        .filter(_unconverted(home_currency, first_rates))
        .values("currency")
        .annotate(n=_count())
        .values_list("currency", "n")
        .order_by("-n", "currency")
    )


def won_amount_percentile(
    *,
    window: PanelWindow,
    home_currency: str,
    percentile: float,
    rep_ids: Sequence[int] | None = None,
) -> float | None:
    """The `percentile` (nearest rank) of the home-currency amounts of the deals won in the
    window, None without any. Two queries: the count, then the one amount at that rank (an
    OFFSET, so SQLite and PostgreSQL agree exactly)."""
    won = (
        _closed_in(window, rep_ids, DealStatus.WON)
        .alias(close_day=TruncDate("closed_at", tzinfo=UTC))
        .alias(home_amount=_home_amount(home_currency))
        .filter(home_amount__isnull=False)
    )
    n = won.count()
    if n == 0:
        return None
    rank = max(math.ceil(percentile / 100.0 * n) - 1, 0)
    ordered = won.annotate(ranked=F("home_amount")).order_by("ranked")
    amount = ordered.values_list("ranked", flat=True)[rank]
    return float(amount)


EXCESS_COLUMNS = ("owner_id", "month", "excess")


def won_excess_query(
    *,
    window: PanelWindow,
    home_currency: str,
    cap: float,
    rep_ids: Sequence[int] | None = None,
) -> QuerySet[Deal, tuple[Any, ...]]:
    """How much the deals won above `cap` exceed it, by owner and month closed
    (EXCESS_COLUMNS): bookings minus this are bookings with each deal capped (winsorised)."""
    cap_value = Value(Decimal(str(cap)), output_field=_MONEY)
    return (
        _closed_in(window, rep_ids, DealStatus.WON)
        .alias(close_day=TruncDate("closed_at", tzinfo=UTC))
        .alias(home_amount=_home_amount(home_currency))
        .filter(home_amount__gt=cap_value)
        .values("owner_id", month=MonthNumber("closed_at", is_timestamp=True))
        .annotate(
            excess=Coalesce(
                Sum(ExpressionWrapper(F("home_amount") - cap_value, output_field=_MONEY)),
                Value(0),
                output_field=RawResult(),
            )
        )
        .values_list(*EXCESS_COLUMNS)
        .order_by()
    )


NEW_COLUMNS = (
    "owner_id",
    "month",
    "new",
    "deadline_yes",
    "deadline_known",
    "buyer_yes",
    "buyer_known",
    "qualified_yes",
    "qualified_known",
)


def new_deals_query(
    *, window: PanelWindow, rep_ids: Sequence[int] | None = None
) -> QuerySet[Deal, tuple[Any, ...]]:
    """Deals created, by owner and month created, with the qualification facts (NEW_COLUMNS)."""
    deadline, buyer = "has_compelling_deadline", "has_economic_buyer"
    return (
        Deal.objects.filter(
            _owner_filter(rep_ids), created_at__gte=window.start_at, created_at__lt=window.end_at
        )
        .values("owner_id", month=MonthNumber("created_at", is_timestamp=True))
        .annotate(
            new=_count(),
            deadline_yes=_count(Q(**{deadline: True})),
            deadline_known=_count(Q(**{f"{deadline}__isnull": False})),
            buyer_yes=_count(Q(**{buyer: True})),
            buyer_known=_count(Q(**{f"{buyer}__isnull": False})),
            qualified_yes=_count(Q(**{deadline: True, buyer: True})),
            qualified_known=_count(Q(**{f"{deadline}__isnull": False, f"{buyer}__isnull": False})),
        )
        .values_list(*NEW_COLUMNS)
        .order_by()
    )


PUSHED_COLUMNS = ("deal__owner_id", "month", "pushed")


def _close_date_changes() -> QuerySet[DealChange]:
    """Close-date changes with their old and new dates (as dates) that moved the date later."""
    # CASE keeps the cast away from empty values (the first record of a field has no old value):
    # PostgreSQL does not promise to test `old_value <> ''` before casting in a plain WHERE.
    old_date = Case(When(old_value="", then=Value(None)), default=Cast("old_value", DateField()))
    new_date = Case(When(new_value="", then=Value(None)), default=Cast("new_value", DateField()))
    return (
        DealChange.objects.filter(field=DealField.EXPECTED_CLOSE_DATE)
        .alias(old_date=old_date, new_date=new_date)
        .filter(new_date__gt=F("old_date"))
    )


def pushed_close_dates_query(
    *, window: PanelWindow, rep_ids: Sequence[int] | None = None
) -> QuerySet[DealChange, tuple[Any, ...]]:
    """Close dates pushed later without the deal closing by them, by rep and month of the date
    (PUSHED_COLUMNS). As deals.slips: a reopened deal is open, whatever close time it kept, and
    a date counts once per deal, however often it was pushed (one due date, missed)."""
    # A deal whose date was pushed from the same day twice (pushed, pulled back, pushed again)
    # counts its first such push only: the others have an earlier one beside them.
    # (Q: the type checker does not see _close_date_changes' aliases.)
    earlier_push_of_the_same_day = _close_date_changes().filter(
        Q(deal_id=OuterRef("deal_id"), old_date=OuterRef("old_date"), pk__lt=OuterRef("pk"))
    )
    return (
        _close_date_changes()
        .filter(_owner_filter(rep_ids, "deal__owner_id"))
        .filter(Q(old_date__gte=window.first, old_date__lt=window.end_day))
        .alias(deal_close_day=TruncDate("deal__closed_at", tzinfo=UTC))
        .filter(
            Q(deal__status=DealStatus.OPEN)
            | Q(deal__closed_at__isnull=True)
            | Q(deal_close_day__gt=F("old_date"))
        )
        .exclude(Exists(earlier_push_of_the_same_day))
        .values("deal__owner_id", month=MonthNumber("old_date", is_timestamp=False))
        .annotate(pushed=_count())
        .values_list(*PUSHED_COLUMNS)
        .order_by()
    )


CURRENT_COLUMNS = ("owner_id", "month", "due", "missed")


def current_close_dates_query(
    *, window: PanelWindow, today: dt.date, rep_ids: Sequence[int] | None = None
) -> QuerySet[Deal, tuple[Any, ...]]:
    """Deals' current close dates that came due, met (closed by it) or missed, by owner and
    month of the date (CURRENT_COLUMNS). As deals.slips: a deal is closed when it is won or lost
    with a close time; an open deal is open, whatever close time it kept from before it was
    reopened; and a current date that was also pushed (and not met) is the same due date as the
    push, counted once, by pushed_close_dates_query."""
    closed = ~Q(status=DealStatus.OPEN) & Q(closed_at__isnull=False)
    closed_late = closed & Q(close_day__gt=F("expected_close_date"))
    open_past = ~closed & Q(expected_close_date__lt=today)
    on_time = closed & Q(close_day__lte=F("expected_close_date"))
    pushed_from_this_day = _close_date_changes().filter(
        Q(deal_id=OuterRef("pk"), old_date=OuterRef("expected_close_date"))
    )
    return (
        Deal.objects.filter(
            _owner_filter(rep_ids),
            expected_close_date__gte=window.first,
            expected_close_date__lt=window.end_day,
        )
        .alias(close_day=TruncDate("closed_at", tzinfo=UTC))
        .exclude(Q(Exists(pushed_from_this_day)) & ~on_time)
        .values("owner_id", month=MonthNumber("expected_close_date", is_timestamp=False))
        .annotate(
            due=_count(on_time | closed_late | open_past),
            missed=_count(closed_late | open_past),
        )
        .values_list(*CURRENT_COLUMNS)
        .order_by()
    )


TENURE_COLUMNS = (
    "pk",
    "hire_date",
    "is_active",
    "source",
    "first_deal",
    "last_created",
    "last_closed",
)


def tenure_query(*, rep_ids: Sequence[int] | None = None) -> QuerySet[User, tuple[Any, ...]]:
    """Each rep's hire date, whether they are still here, and per CRM source of their deals their
    first and last deal dates (TENURE_COLUMNS): one row per rep and source (one row with source
    None for a rep without deals), ordered by rep id."""
    reps = User.objects.filter(role=Role.REP)
    if rep_ids is not None:
        reps = User.objects.filter(pk__in=list(rep_ids))
    return (
        reps.values("pk", "hire_date", "is_active", source=F("deals__source"))
        .annotate(
            first_deal=Min("deals__created_at"),
            last_created=Max("deals__created_at"),
            last_closed=Max("deals__closed_at"),
        )
        .values_list(*TENURE_COLUMNS)
        .order_by("pk", "source")
    )


MEETING_COLUMNS = ("owner_id", "month", "meetings", "on_deals", "advanced")


def meetings_query(
    *, window: PanelWindow, advance_days: int, rep_ids: Sequence[int] | None = None
) -> QuerySet[Activity, tuple[Any, ...]]:
    """CRM meetings by owner and month held (MEETING_COLUMNS): all meetings, those about a deal,
    and those that advanced their deal within `advance_days` (deals.meetings)."""
    meetings = meetings_annotate_advanced(
        Activity.objects.filter(
            _owner_filter(rep_ids),
            occurred_at__gte=window.start_at,
            occurred_at__lt=window.end_at,
        ),
        days=advance_days,
    )
    return (
        meetings.values("owner_id", month=MonthNumber("occurred_at", is_timestamp=True))
        .annotate(
            meetings=_count(),
            on_deals=_count(Q(deal__isnull=False)),
            advanced=_count(Q(is_advanced=True)),
        )
        .values_list(*MEETING_COLUMNS)
        .order_by()
    )
