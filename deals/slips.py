"""The one definition of a slipped deal, read by pipeline hygiene, the deals list, coaching
commitments and the efficiency page (DESIGN.md §4; docs/roi.md says it in a leader's words).

Every expected close date a deal held *comes due*:
- a date that was pushed later (a close-date change with new > old) comes due when it is
  pushed, even before the day itself;
- the deal's current expected close date comes due on the day after it, or when the deal closes.

It is *missed* (the deal slipped) when the deal was not closed on or before it: still open, or
closed (won or lost) on a later day. A deal that is open now is open, whatever close time it
kept from before it was reopened. A date pulled in (new < old) is not a slip, and a push made
after the deal had closed by the old date is bookkeeping. A deal without any expected close
date never slips. Days are UTC days (the ROI panel buckets the same way).

`deals_slipped_q` (SQL) and `deal_is_slipped` (a loaded deal) answer the same question; the
tests in tests/deals/test_slips.py hold them to each other on the edge cases.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.db.models.lookups import Exact, GreaterThan

from deals.models import Deal, DealChange, DealField, DealStatus

__all__ = [
    "DueDate",
    "TextDate",
    "deal_due_dates",
    "deal_is_slipped",
    "deals_pushed_changes",
    "deals_pushed_ids",
    "deals_slipped_q",
]

UTC = dt.UTC


class TextDate(Func):
    """A history value (ISO text, '' for none) as a date, on PostgreSQL and SQLite alike."""

    output_field = DateField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="NULLIF(%(expressions)s, '')::date")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps dates as ISO text; date('') is NULL.
        return self.as_sql(compiler, connection, template="date(%(expressions)s)")


def _outer_close_day() -> TruncDate:
    closed_at = ExpressionWrapper(OuterRef("closed_at"), output_field=DateTimeField())
    return TruncDate(closed_at, tzinfo=UTC)


def _pushed(changes: QuerySet[DealChange], *, status: Any, close_day: Any) -> QuerySet[DealChange]:
    """Close-date changes that pushed a date later that the deal (its `status`, the UTC day of
    its close time) did not close by (see the module doc). ISO dates compare correctly as text."""
    return (
        changes.filter(field=DealField.EXPECTED_CLOSE_DATE)
        .exclude(old_value="")
        .exclude(new_value="")
        .filter(new_value__gt=F("old_value"))
        .filter(
            Q(Exact(status, DealStatus.OPEN)) | Q(GreaterThan(close_day, TextDate("old_value")))
        )
    )


def deals_pushed_changes() -> QuerySet[DealChange]:
    """The pushes (_pushed) of the outer deal."""
    # The outer deal's status and close time are read through OuterRef, not by joining the deal
    # again: a condition on an outer column besides the key keeps PostgreSQL from turning the
    # EXISTS into a hashed scan of every close-date change (it estimates the calls before
    # LIMIT), so a page of 50 deals probes the (deal, field) index 50 times whatever the size.
    return _pushed(
        DealChange.objects.filter(deal=OuterRef("pk")),
        status=OuterRef("status"),
        close_day=_outer_close_day(),
    )


def deals_pushed_ids() -> QuerySet[DealChange, Any]:
    """The ids of the deals with a push (_pushed), as one uncorrelated set: for counting over
    many deals, where PostgreSQL hashes it once instead of probing the index per deal (at 880
    reps the slip figure probed it 213,000 times)."""
    pushed = _pushed(
        DealChange.objects.all(),
        status=F("deal__status"),
        close_day=TruncDate("deal__closed_at", tzinfo=UTC),
    )
    return pushed.values("deal_id")


def deals_slipped_q(*, today: dt.date, over_many: bool = False) -> Q:
    """Deals that missed an expected close date that came due by `today` (see the module doc).
    `over_many`: the same rule written for counting many deals (deals_pushed_ids)."""
    current_missed = Q(status=DealStatus.OPEN, expected_close_date__lt=today) | (
        ~Q(status=DealStatus.OPEN)
        & Q(GreaterThan(TruncDate("closed_at", tzinfo=UTC), F("expected_close_date")))
    )
    if over_many:
        return current_missed | Q(pk__in=deals_pushed_ids())
    return current_missed | Q(Exists(deals_pushed_changes()))


@dataclass(frozen=True)
class DueDate:
    day: dt.date
    missed: bool


def _parse(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def deal_due_dates(
    *,
    status: str,
    expected_close_date: dt.date | None,
    closed_at: dt.datetime | None,
    close_date_changes: Iterable[tuple[str, str]],
    today: dt.date,
) -> list[DueDate]:
    """The expected close dates of one deal that came due by `today`, each met or missed.
    `close_date_changes` are the (old, new) values of its close-date history."""
    closed_on = None
    if status != DealStatus.OPEN and closed_at is not None:
        closed_on = closed_at.astimezone(UTC).date()
    due: dict[dt.date, bool] = {}
    for old_value, new_value in close_date_changes:
        old, new = _parse(old_value), _parse(new_value)
        if old is None or new is None or new <= old:
            continue
        if closed_on is not None and closed_on <= old:
            continue  # closed by the old date: the push is bookkeeping
        due[old] = True
    current = expected_close_date
    if current is not None and (closed_on is not None or current < today):
        missed = closed_on is None or closed_on > current
        due[current] = due.get(current, False) or missed
    return [DueDate(day, missed) for day, missed in sorted(due.items())]


def deal_is_slipped(*, deal: Deal, today: dt.date) -> bool:
    """For a deal loaded with its `changes` (deal_get_visible does), without a query."""
    changes = [
        (c.old_value, c.new_value)
        for c in deal.changes.all()
        if c.field == DealField.EXPECTED_CLOSE_DATE
    ]
    due = deal_due_dates(
        status=deal.status,
        expected_close_date=deal.expected_close_date,
        closed_at=deal.closed_at,
        close_date_changes=changes,
        today=today,
    )
    return any(d.missed for d in due)
