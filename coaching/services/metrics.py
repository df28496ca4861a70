"""The commitment metrics, measured on one rep's deals over a window of dates (both ends included).

- economic_buyer_share: of the rep's deals *created* in the window, the share whose economic
  buyer is identified (`has_economic_buyer` is true; unknown counts as not identified).
- compelling_deadline_share: the same with `has_compelling_deadline`.
- win_rate: won / (won + lost) among the rep's deals *closed* in the window (DESIGN.md §4).
- slip_rate: among the rep's deals that were *due* in the window (an expected close date in the
  window that had passed by the end of it: the current date, or an earlier one recorded in the
  deal's history), the share that slipped: not closed by a due date (still open after it, pushed
  past it, or closed later). Lower is better.

Each metric reads the deals tables only (two queries at most); nothing is written.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from accounts.models import User
from coaching.models import CommitmentMetric
from deals.models import Deal, DealChange, DealField, DealStatus


@dataclass(frozen=True)
class Measurement:
    value: Decimal | None  # percent, one decimal; None when there was nothing to measure
    count: int  # deals in the denominator


def _percent(part: int, whole: int) -> Measurement:
    if whole == 0:
        return Measurement(value=None, count=0)
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Measurement(value=value, count=whole)


def _share_of_new_deals(*, rep: User, start: dt.date, end: dt.date, flag: str) -> Measurement:
    rows = Deal.objects.filter(
        owner=rep, created_at__date__gte=start, created_at__date__lte=end
    ).values_list(flag, flat=True)
    flags = list(rows)
    return _percent(sum(1 for value in flags if value is True), len(flags))


def _win_rate(*, rep: User, start: dt.date, end: dt.date) -> Measurement:
    statuses = list(
        Deal.objects.filter(
            owner=rep,
            status__in=[DealStatus.WON, DealStatus.LOST],
            closed_at__date__gte=start,
            closed_at__date__lte=end,
        ).values_list("status", flat=True)
    )
    return _percent(statuses.count(DealStatus.WON), len(statuses))


def _slip_rate(*, rep: User, start: dt.date, end: dt.date) -> Measurement:
    # Query 1: earlier expected close dates in the window, from the history (ISO text compares
    # in date order).
    history = DealChange.objects.filter(
        deal__owner=rep,
        field=DealField.EXPECTED_CLOSE_DATE,
        old_value__gte=start.isoformat(),
        old_value__lt=end.isoformat(),
    ).values_list("deal_id", "old_value")
    due: dict[int, set[dt.date]] = {}
    for deal_id, old_value in history:
        try:
            due.setdefault(deal_id, set()).add(dt.date.fromisoformat(old_value))
        except ValueError:
            continue
    # Query 2: the deals, those due now in the window and those found in the history.
    deals = Deal.objects.filter(
        Q(expected_close_date__gte=start, expected_close_date__lt=end) | Q(pk__in=list(due)),
        owner=rep,
    ).values_list("pk", "expected_close_date", "status", "closed_at")
    slipped = total = 0
    for pk, expected, status, closed_at in deals:
        dates = set(due.get(pk, ()))
        if expected is not None and start <= expected < end:
            dates.add(expected)
        if not dates:
            continue
        total += 1
        closed_on = closed_at.date() if status != DealStatus.OPEN and closed_at else None
        if any(closed_on is None or closed_on > day for day in dates):
            slipped += 1
    return _percent(slipped, total)


def metric_measure(*, rep: User, metric: str, start: dt.date, end: dt.date) -> Measurement:
    if metric == CommitmentMetric.ECONOMIC_BUYER_SHARE:
        return _share_of_new_deals(rep=rep, start=start, end=end, flag="has_economic_buyer")
    if metric == CommitmentMetric.COMPELLING_DEADLINE_SHARE:
        return _share_of_new_deals(rep=rep, start=start, end=end, flag="has_compelling_deadline")
    if metric == CommitmentMetric.WIN_RATE:
        return _win_rate(rep=rep, start=start, end=end)
    if metric == CommitmentMetric.SLIP_RATE:
        return _slip_rate(rep=rep, start=start, end=end)
    raise ValueError(f"Unknown metric {metric!r}")
