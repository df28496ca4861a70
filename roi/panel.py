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
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Field,
    Func,
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

    def subset(self, rows: BoolArray) -> RepMonthPanel:
        """The same panel for some reps only (rows in the same order)."""
        arrays = {
            f.name: getattr(self, f.name)[rows]
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        return replace(self, **arrays)

    def closed_deals_total(self, rows: BoolArray | None = None) -> int:
        closed = self.closed_count if rows is None else self.closed_count[rows]
        return int(closed.sum())


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


# --- Queries -----------------------------------------------------------------------------------
#
# Each family's query returns plain tuples in a fixed column order (the *_COLUMNS below): the
# month as a month number and every other column a number, NULLs already 0, and no per-row
# conversion in Python (result columns are typed `_Raw`), so that 180,000 rep-months cost no
# more in Python through the ORM than through a cursor.


class _Raw(Field):  # type: ignore[type-arg]
    """A result column used exactly as the database driver returns it."""

    def get_internal_type(self) -> str:
        return "RawResult"


class MonthNumber(Func):
    """year * 12 + month - 1 of a date, or of a timestamp in UTC: the estimator's month scale."""

    output_field = _Raw()

    def __init__(self, expression: Any, *, is_timestamp: bool) -> None:
        super().__init__(expression)
        self.is_timestamp = is_timestamp

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        value = f"({sql} AT TIME ZONE 'UTC')" if self.is_timestamp else f"({sql})"
        month = f"(date_part('year', {value})::int * 12 + date_part('month', {value})::int - 1)"
        return month, (*params, *params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps dates as ISO text and Django's timestamps as naive UTC text.
        sql, params = compiler.compile(self.source_expressions[0])
        month = (
            f"(CAST(strftime('%%Y', {sql}) AS INTEGER) * 12"
            f" + CAST(strftime('%%m', {sql}) AS INTEGER) - 1)"
        )
        return month, (*params, *params)


class DaysBetween(Func):
    """Whole calendar days (UTC) from the second timestamp to the first."""

    output_field = _Raw()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        end, start = self.source_expressions
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        sql = f"(({end_sql} AT TIME ZONE 'UTC')::date - ({start_sql} AT TIME ZONE 'UTC')::date)"
        return sql, (*end_params, *start_params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        end, start = self.source_expressions
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        sql = f"CAST(julianday(date({end_sql})) - julianday(date({start_sql})) AS INTEGER)"
        return sql, (*end_params, *start_params)


def _count(condition: Q | None = None) -> Count:
    return Count("pk", filter=condition, output_field=_Raw())


def _sum(expression: Any, condition: Q) -> Coalesce:
    return Coalesce(Sum(expression, filter=condition), Value(0), output_field=_Raw())


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
    "unconverted",
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
        Deal.objects.filter(
            _owner_filter(rep_ids),
            status__in=(DealStatus.WON, DealStatus.LOST),
            closed_at__gte=window.start_at,
            closed_at__lt=window.end_at,
        )
        .alias(close_day=TruncDate("closed_at", tzinfo=UTC))
        .alias(home_amount=_home_amount(home_currency))
        .values("owner_id", month=MonthNumber("closed_at", is_timestamp=True))
        .annotate(
            won=_count(won),
            lost=_count(lost),
            won_value=_sum("home_amount", won),
            lost_value=_sum("home_amount", lost),
            won_cycle_days=_sum(DaysBetween("closed_at", "created_at"), won),
            unconverted=_count(_unconverted(home_currency, first_rates)),
        )
        .values_list(*CLOSED_COLUMNS)
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


def pushed_close_dates_query(
    *, window: PanelWindow, rep_ids: Sequence[int] | None = None
) -> QuerySet[DealChange, tuple[Any, ...]]:
    """Close dates pushed later without the deal closing by them, by rep and month of the date
    (PUSHED_COLUMNS)."""
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
    month of the date (CURRENT_COLUMNS)."""
    closed_late = Q(closed_at__isnull=False) & Q(close_day__gt=F("expected_close_date"))
    open_past = Q(status=DealStatus.OPEN) & Q(expected_close_date__lt=today)
    on_time = Q(closed_at__isnull=False) & Q(close_day__lte=F("expected_close_date"))
    return (
        Deal.objects.filter(
            _owner_filter(rep_ids),
            expected_close_date__gte=window.first,
            expected_close_date__lt=window.end_day,
        )
        .alias(close_day=TruncDate("closed_at", tzinfo=UTC))
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
    "first_deal",
    "last_created",
    "last_closed",
    "data_start",
)


def tenure_query(*, rep_ids: Sequence[int] | None = None) -> QuerySet[User, tuple[Any, ...]]:
    """Each rep's hire date, whether they are still here, their first and last deal dates, and
    when the organisation's CRM data starts (its first deal) (TENURE_COLUMNS), ordered by id."""
    reps = User.objects.filter(role=Role.REP)
    if rep_ids is not None:
        reps = User.objects.filter(pk__in=list(rep_ids))
    first_deal_anywhere = Deal.objects.filter(owner__isnull=False).order_by("created_at")
    return (
        reps.annotate(
            first_deal=Min("deals__created_at"),
            last_created=Max("deals__created_at"),
            last_closed=Max("deals__closed_at"),
            data_start=Subquery(first_deal_anywhere.values("created_at")[:1]),
        )
        .values_list(*TENURE_COLUMNS)
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
    """The panel of every rep (or of `rep_ids`). Six queries: tenure, first rate days, closed
    deals, new deals, pushed close dates, current close dates."""
    tenure = list(tenure_query(rep_ids=rep_ids))
    first_rates = first_rate_days()
    return panel_assemble(
        window=window,
        tenure=tenure,
        closed=list(
            closed_deals_query(
                window=window,
                home_currency=home_currency,
                first_rates=first_rates,
                rep_ids=rep_ids,
            )
        ),
        new=list(new_deals_query(window=window, rep_ids=rep_ids)),
        pushed=list(pushed_close_dates_query(window=window, rep_ids=rep_ids)),
        current=list(current_close_dates_query(window=window, today=today, rep_ids=rep_ids)),
    )


def _matrix(rows: Sequence[Sequence[Any]], width: int) -> FloatArray:
    """The rows as a float matrix; one conversion in C for the whole result."""
    if not rows:
        return np.zeros((0, width))
    return np.asarray(rows, dtype=np.float64)


def panel_assemble(
    *,
    window: PanelWindow,
    tenure: Sequence[Sequence[Any]],
    closed: Sequence[Sequence[Any]],
    new: Sequence[Sequence[Any]],
    pushed: Sequence[Sequence[Any]],
    current: Sequence[Sequence[Any]],
) -> RepMonthPanel:
    """Places the aggregated rows (tuples in the *_COLUMNS order, one per rep and month) into
    rep x month arrays."""
    ids = np.array([row[0] for row in tenure], dtype=np.int64)
    active = _active(tenure, window, (ids.size, window.n_months))
    grid = _Grid(ids, window)
    c = grid.placed(_matrix(closed, len(CLOSED_COLUMNS)))
    n = grid.placed(_matrix(new, len(NEW_COLUMNS)))
    p = grid.placed(_matrix(pushed, len(PUSHED_COLUMNS)))
    d = grid.placed(_matrix(current, len(CURRENT_COLUMNS)))
    return RepMonthPanel(
        window=window,
        rep_ids=ids,
        active=active,
        won_count=c[0],
        lost_count=c[1],
        won_value=c[2],
        lost_value=c[3],
        won_cycle_days=c[4],
        new_deals=n[0],
        deadline_yes=n[1],
        deadline_known=n[2],
        buyer_yes=n[3],
        buyer_known=n[4],
        qualified_yes=n[5],
        qualified_known=n[6],
        due=d[0] + p[0],
        slipped=d[1] + p[0],
        unconverted_deals=int(c[5].sum()),
    )


def duration_days(value: Any) -> float:
    """Days from a summed duration: a timedelta, or microseconds as SQLite sums them."""
    if value is None:
        return 0.0
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400.0
    return float(value) / 86_400_000_000.0


class _Grid:
    """Places aggregated rows (owner, month number, values...) into rep x month arrays."""

    def __init__(self, rep_ids: IntArray, window: PanelWindow) -> None:
        self.rep_ids = rep_ids
        self.first = month_number(window.first)
        self.shape = (rep_ids.size, window.n_months)

    def placed(self, rows: FloatArray) -> list[FloatArray]:
        """One rep x month array per value column (columns 2...); rows of other reps or months
        outside the window are left out."""
        n_values = max(rows.shape[1] - 2, 0)
        out = [np.zeros(self.shape, dtype=np.float64) for _ in range(n_values)]
        if rows.shape[0] == 0 or self.rep_ids.size == 0:
            return out
        owners = rows[:, 0].astype(np.int64)
        months = rows[:, 1].astype(np.int64) - self.first
        index = np.minimum(np.searchsorted(self.rep_ids, owners), self.rep_ids.size - 1)
        keep = (self.rep_ids[index] == owners) & (months >= 0) & (months < self.shape[1])
        for column in range(n_values):
            np.add.at(out[column], (index[keep], months[keep]), rows[keep, column + 2])
        return out


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _active(
    tenure: Sequence[Sequence[Any]], window: PanelWindow, shape: tuple[int, int]
) -> BoolArray:
    """A rep is on the team from their hire (or first deal) to today, or to their last deal if
    they have left; never before the CRM's data starts (the month of the first deal of anyone
    in the panel), since months without data are not months without sales."""
    first, last = month_number(window.first), month_number(window.last)
    start = np.full(shape[0], last + 1, dtype=np.int64)
    end = np.full(shape[0], last, dtype=np.int64)
    starts = [_utc_month(row[6]) for row in tenure[:1] if row[6] is not None]
    data_start = starts[0] if starts else last + 1
    for i, (_pk, hire_date, is_active, first_deal, last_created, last_closed, _s) in enumerate(
        tenure
    ):
        begins = [month_number(d) for d in (hire_date,) if d] + (
            [_utc_month(first_deal)] if first_deal else []
        )
        if not begins:
            continue  # no hire date and no deal: nothing to observe
        start[i] = max(min(begins), data_start)
        if not is_active:
            ends = [_utc_month(d) for d in (last_created, last_closed) if d]
            end[i] = max(ends) if ends else start[i] - 1
    columns = np.arange(first, last + 1, dtype=np.int64)[None, :]
    return (columns >= start[:, None]) & (columns <= end[:, None])


def _utc_month(moment: Any) -> int:
    if isinstance(moment, dt.datetime):
        return month_number(moment.astimezone(UTC).date())
    return month_number(_as_date(moment))
