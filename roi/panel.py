"""The rep x calendar-month panel, aggregated in the database.

One set-based query per metric family, each grouped by (rep, month) in SQL; Python only places
the aggregated rows into arrays (never a loop over deals):

- closed deals (by month closed): won and lost counts and values in the home currency, and the
  cycle days of the deals won;
- new deals (by month created): counts, and how many have a compelling deadline, economic-buyer
  access, and both (the leading indicators; a fact the CRM left empty counts as unknown);
- slips (by month of the close date that came due): from the close-date history, close dates
  pushed later without the deal closing by them; from the deals as they are, close dates that
  passed without closing (two queries over two tables, added up per rep-month);
- tenure: the months each rep was on the team (hire date or first deal, to today or, for a rep who
  left, their last deal).

Definitions (the same words are in docs/roi.md):
- win rate = won / (won + lost) among deals closed in the month, by count (value: same with
  amounts); open deals are left out.
- cycle days = closed date - created date of the deals won in the month (lost deals are left out:
  dropping a hopeless deal early is good work, not a shorter cycle).
- a close date "comes due" on its date; it slipped when it was pushed later, or passed, without
  the deal closing by it. slip rate = slipped / come due.
- amounts are converted with the exchange rate valid on the day the deal closed
  (deals.ExchangeRate: the latest `valid_from` on or before that day); a deal in a currency
  without a rate has no value (it still counts in counts) and is reported as unconverted.

Months are bucketed in UTC so that a rep's panel is the same whoever looks at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    DurationField,
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
from django.db.models.functions import Cast, TruncDate, TruncMonth
from numpy.typing import NDArray

from accounts.models import Role, User
from deals.models import Deal, DealChange, DealField, DealStatus, ExchangeRate
from roi.models import Metric

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

UTC = dt.UTC
# Reports look this many months back; older history adds little and costs time.
PANEL_MONTHS = 36
# Amount columns: enough digits for a rep's monthly bookings in any currency.
_MONEY: DecimalField[Any, Any] = DecimalField(max_digits=24, decimal_places=4)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    year, month0 = divmod(month.year * 12 + month.month - 1 + n, 12)
    return dt.date(year, month0 + 1, 1)


def month_number(day: dt.date) -> int:
    """Months on the estimator's scale (roi.estimators.simulate.month_index)."""
    return day.year * 12 + day.month - 1


def month_from_number(number: int) -> dt.date:
    year, month0 = divmod(number, 12)
    return dt.date(year, month0 + 1, 1)


@dataclass(frozen=True)
class PanelWindow:
    """Whole calendar months from `first` to `last` (first days of the months), both included."""

    first: dt.date
    last: dt.date

    @classmethod
    def ending(cls, last: dt.date, *, months: int = PANEL_MONTHS) -> PanelWindow:
        last = month_start(last)
        return cls(first=add_months(last, -(months - 1)), last=last)

    @property
    def n_months(self) -> int:
        return month_number(self.last) - month_number(self.first) + 1

    @property
    def month_numbers(self) -> IntArray:
        return np.arange(month_number(self.first), month_number(self.last) + 1, dtype=np.int64)

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=UTC)

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the window."""
        return dt.datetime.combine(add_months(self.last, 1), dt.time.min, tzinfo=UTC)

    @property
    def end_day(self) -> dt.date:
        return add_months(self.last, 1)


@dataclass(frozen=True, eq=False)
class RepMonthPanel:
    """Counts and sums per rep (rows, `rep_ids` ascending) and month (columns)."""

    window: PanelWindow
    rep_ids: IntArray
    active: BoolArray
    won_count: FloatArray
    lost_count: FloatArray
    won_value: FloatArray
    lost_value: FloatArray
    won_cycle_days: FloatArray  # sum over won deals
    new_deals: FloatArray
    deadline_yes: FloatArray
    deadline_known: FloatArray
    buyer_yes: FloatArray
    buyer_known: FloatArray
    qualified_yes: FloatArray
    qualified_known: FloatArray
    due: FloatArray
    slipped: FloatArray
    unconverted_deals: int

    @property
    def months(self) -> IntArray:
        return self.window.month_numbers

    @property
    def closed_count(self) -> FloatArray:
        return self.won_count + self.lost_count

    def outcome(self, metric: str) -> FloatArray:
        """The metric per rep-month; NaN where the rep was not on the team or it is undefined."""
        if metric == Metric.BOOKINGS:
            values = self.won_value.copy()
        elif metric == Metric.WIN_RATE:
            values = 100.0 * _ratio(self.won_count, self.closed_count)
        elif metric == Metric.CYCLE_DAYS:
            values = _ratio(self.won_cycle_days, self.won_count)
        elif metric == Metric.SLIP_RATE:
            values = 100.0 * _ratio(self.slipped, self.due)
        elif metric == Metric.QUALIFICATION:
            values = 100.0 * _ratio(self.qualified_yes, self.qualified_known)
        else:
            raise ValueError(f"unknown metric {metric!r}")
        values[~self.active] = np.nan
        return values

    def value_win_rate(self) -> FloatArray:
        values = 100.0 * _ratio(self.won_value, self.won_value + self.lost_value)
        values[~self.active] = np.nan
        return values

    def deadline_share(self) -> FloatArray:
        values = 100.0 * _ratio(self.deadline_yes, self.deadline_known)
        values[~self.active] = np.nan
        return values

    def buyer_share(self) -> FloatArray:
        values = 100.0 * _ratio(self.buyer_yes, self.buyer_known)
        values[~self.active] = np.nan
        return values

    def closed_deals_total(self, rows: BoolArray | None = None) -> int:
        closed = self.closed_count if rows is None else self.closed_count[rows]
        return int(closed.sum())


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


# --- Queries -----------------------------------------------------------------------------------


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


def closed_deals_query(
    *, window: PanelWindow, home_currency: str, rep_ids: Sequence[int] | None = None
) -> QuerySet[Deal, dict[str, Any]]:
    won, lost = Q(status=DealStatus.WON), Q(status=DealStatus.LOST)
    return (
        Deal.objects.filter(
            _owner_filter(rep_ids),
            status__in=(DealStatus.WON, DealStatus.LOST),
            closed_at__gte=window.start_at,
            closed_at__lt=window.end_at,
        )
        .annotate(month=TruncMonth("closed_at", output_field=DateField(), tzinfo=UTC))
        .alias(close_day=TruncDate("closed_at", tzinfo=UTC))
        .alias(home_amount=_home_amount(home_currency))
        .values("owner_id", "month")
        .annotate(
            won=Count("pk", filter=won),
            lost=Count("pk", filter=lost),
            won_value=Sum("home_amount", filter=won),
            lost_value=Sum("home_amount", filter=lost),
            cycle=Sum(
                ExpressionWrapper(
                    F("close_day") - TruncDate("created_at", tzinfo=UTC),
                    output_field=DurationField(),
                ),
                filter=won,
            ),
            unconverted=Count("pk", filter=~Q(currency=home_currency) & Q(home_amount=None)),
        )
        .order_by()
    )


def new_deals_query(
    *, window: PanelWindow, rep_ids: Sequence[int] | None = None
) -> QuerySet[Deal, dict[str, Any]]:
    deadline, buyer = "has_compelling_deadline", "has_economic_buyer"
    return (
        Deal.objects.filter(
            _owner_filter(rep_ids), created_at__gte=window.start_at, created_at__lt=window.end_at
        )
        .annotate(month=TruncMonth("created_at", output_field=DateField(), tzinfo=UTC))
        .values("owner_id", "month")
        .annotate(
            new=Count("pk"),
            deadline_yes=Count("pk", filter=Q(**{deadline: True})),
            deadline_known=Count("pk", filter=Q(**{f"{deadline}__isnull": False})),
            buyer_yes=Count("pk", filter=Q(**{buyer: True})),
            buyer_known=Count("pk", filter=Q(**{f"{buyer}__isnull": False})),
            qualified_yes=Count("pk", filter=Q(**{deadline: True, buyer: True})),
            qualified_known=Count(
                "pk", filter=Q(**{f"{deadline}__isnull": False, f"{buyer}__isnull": False})
            ),
        )
        .order_by()
    )


def pushed_close_dates_query(
    *, window: PanelWindow, rep_ids: Sequence[int] | None = None
) -> QuerySet[DealChange, dict[str, Any]]:
    """Close dates pushed later without the deal closing by them, by rep and month of the date."""
    # CASE keeps the cast away from empty values (the first record of a field has no old value):
    # PostgreSQL does not promise to test `old_value <> ''` before casting in a plain WHERE.
    old_date = Case(When(old_value="", then=Value(None)), default=Cast("old_value", DateField()))
    new_date = Case(When(new_value="", then=Value(None)), default=Cast("new_value", DateField()))
    return (
        DealChange.objects.filter(
            _owner_filter(rep_ids, "deal__owner_id"), field=DealField.EXPECTED_CLOSE_DATE
        )
        .alias(old_date=old_date, new_date=new_date)
        .filter(
            old_date__gte=window.first,
            old_date__lt=window.end_day,
            new_date__gt=F("old_date"),
        )
        .alias(deal_close_day=TruncDate("deal__closed_at", tzinfo=UTC))
        .filter(Q(deal__closed_at__isnull=True) | Q(deal_close_day__gt=F("old_date")))
        .annotate(month=TruncMonth("old_date", output_field=DateField()))
        .values("deal__owner_id", "month")
        .annotate(pushed=Count("pk"))
        .order_by()
    )


def current_close_dates_query(
    *, window: PanelWindow, today: dt.date, rep_ids: Sequence[int] | None = None
) -> QuerySet[Deal, dict[str, Any]]:
    """Deals' current close dates that came due: met (closed by it) or missed."""
    closed_late = Q(closed_at__isnull=False) & Q(close_day__gt=F("expected_close_date"))
    open_past = Q(status=DealStatus.OPEN) & Q(expected_close_date__lt=today)
    on_time = Q(closed_at__isnull=False) & Q(close_day__lte=F("expected_close_date"))
    return (
        Deal.objects.filter(
            _owner_filter(rep_ids),
            expected_close_date__gte=window.first,
            expected_close_date__lt=window.end_day,
        )
        .annotate(month=TruncMonth("expected_close_date", output_field=DateField()))
        .alias(close_day=TruncDate("closed_at", tzinfo=UTC))
        .values("owner_id", "month")
        .annotate(
            due=Count("pk", filter=on_time | closed_late | open_past),
            missed=Count("pk", filter=closed_late | open_past),
        )
        .order_by()
    )


def tenure_query(*, rep_ids: Sequence[int] | None = None) -> QuerySet[User, dict[str, Any]]:
    reps = User.objects.filter(role=Role.REP)
    if rep_ids is not None:
        reps = User.objects.filter(pk__in=list(rep_ids))
    return (
        reps.annotate(
            first_deal=Min("deals__created_at"),
            last_created=Max("deals__created_at"),
            last_closed=Max("deals__closed_at"),
        )
        .values("pk", "hire_date", "is_active", "first_deal", "last_created", "last_closed")
        .order_by("pk")
    )


# --- Building ----------------------------------------------------------------------------------


def panel_build(
    *,
    window: PanelWindow,
    home_currency: str,
    today: dt.date,
    rep_ids: Sequence[int] | None = None,
) -> RepMonthPanel:
    """The panel of every rep (or of `rep_ids`). Five queries: tenure, closed deals, new deals,
    pushed close dates, current close dates."""
    tenure = list(tenure_query(rep_ids=rep_ids))
    ids = np.array([row["pk"] for row in tenure], dtype=np.int64)
    shape = (ids.size, window.n_months)
    active = _active(tenure, window, shape)
    grid = _Grid(ids, window)

    closed = list(closed_deals_query(window=window, home_currency=home_currency, rep_ids=rep_ids))
    new = list(new_deals_query(window=window, rep_ids=rep_ids))
    pushed = list(pushed_close_dates_query(window=window, rep_ids=rep_ids))
    current = list(current_close_dates_query(window=window, today=today, rep_ids=rep_ids))

    cycle_days = [_days(row["cycle"]) for row in closed]
    return RepMonthPanel(
        window=window,
        rep_ids=ids,
        active=active,
        won_count=grid.place(closed, [row["won"] for row in closed]),
        lost_count=grid.place(closed, [row["lost"] for row in closed]),
        won_value=grid.place(closed, [row["won_value"] for row in closed]),
        lost_value=grid.place(closed, [row["lost_value"] for row in closed]),
        won_cycle_days=grid.place(closed, cycle_days),
        new_deals=grid.place(new, [row["new"] for row in new]),
        deadline_yes=grid.place(new, [row["deadline_yes"] for row in new]),
        deadline_known=grid.place(new, [row["deadline_known"] for row in new]),
        buyer_yes=grid.place(new, [row["buyer_yes"] for row in new]),
        buyer_known=grid.place(new, [row["buyer_known"] for row in new]),
        qualified_yes=grid.place(new, [row["qualified_yes"] for row in new]),
        qualified_known=grid.place(new, [row["qualified_known"] for row in new]),
        due=grid.place(current, [row["due"] for row in current])
        + grid.place(pushed, [row["pushed"] for row in pushed], owner="deal__owner_id"),
        slipped=grid.place(current, [row["missed"] for row in current])
        + grid.place(pushed, [row["pushed"] for row in pushed], owner="deal__owner_id"),
        unconverted_deals=sum(int(row["unconverted"]) for row in closed if _known(row, ids)),
    )


def _known(row: dict[str, Any], ids: IntArray) -> bool:
    index = int(np.searchsorted(ids, row["owner_id"]))
    return index < ids.size and int(ids[index]) == row["owner_id"]


def _days(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400.0
    return float(value) / 86_400_000_000.0  # microseconds, as some backends sum durations


class _Grid:
    """Places aggregated (owner, month) rows into a rep x month array."""

    def __init__(self, rep_ids: IntArray, window: PanelWindow) -> None:
        self.rep_ids = rep_ids
        self.first = month_number(window.first)
        self.shape = (rep_ids.size, window.n_months)

    def place(
        self, rows: Sequence[dict[str, Any]], values: Iterable[Any], *, owner: str = "owner_id"
    ) -> FloatArray:
        out = np.zeros(self.shape, dtype=np.float64)
        if not rows or self.rep_ids.size == 0:
            return out
        owners = np.fromiter((row[owner] for row in rows), dtype=np.int64, count=len(rows))
        months = np.fromiter(
            (month_number(_as_date(row["month"])) - self.first for row in rows),
            dtype=np.int64,
            count=len(rows),
        )
        numbers = np.fromiter(
            (0.0 if v is None else float(v) for v in values), dtype=np.float64, count=len(rows)
        )
        index = np.minimum(np.searchsorted(self.rep_ids, owners), self.rep_ids.size - 1)
        keep = (self.rep_ids[index] == owners) & (months >= 0) & (months < self.shape[1])
        np.add.at(out, (index[keep], months[keep]), numbers[keep])
        return out


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _active(tenure: list[dict[str, Any]], window: PanelWindow, shape: tuple[int, int]) -> BoolArray:
    """A rep is on the team from their hire (or first deal) to today, or to their last deal if
    they have left."""
    first, last = month_number(window.first), month_number(window.last)
    start = np.full(shape[0], last + 1, dtype=np.int64)
    end = np.full(shape[0], last, dtype=np.int64)
    for i, row in enumerate(tenure):
        begins = [month_number(_as_date(d)) for d in (row["hire_date"], row["first_deal"]) if d]
        if not begins:
            continue  # no hire date and no deal: nothing to observe
        start[i] = min(begins)
        if not row["is_active"]:
            ends = [
                month_number(_as_date(d.astimezone(UTC) if isinstance(d, dt.datetime) else d))
                for d in (row["last_created"], row["last_closed"])
                if d
            ]
            end[i] = max(ends) if ends else start[i] - 1
    columns = np.arange(first, last + 1, dtype=np.int64)[None, :]
    return (columns >= start[:, None]) & (columns <= end[:, None])
