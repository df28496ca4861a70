"""The commitment metrics, measured on one rep's deals over a window of dates (both ends included).

- economic_buyer_share: of the rep's deals *created* in the window, the share whose economic
  buyer is identified (`has_economic_buyer` is true; unknown counts as not identified).
- compelling_deadline_share: the same with `has_compelling_deadline`.
- win_rate: won / (won + lost) among the rep's deals *closed* in the window (DESIGN.md §4).
- slip_rate: among the rep's deals with an expected close date in the window that came due
  (deals.slips, the one definition hygiene also uses: passed, pushed later or closed), the share
  that missed one of those dates (still open after it, pushed past it, or closed later). Lower is
  better.

Each metric reads the deals tables only (two queries at most); nothing is written.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from coaching.models import CommitmentMetric
from deals.models import Deal, DealChange, DealField, DealStatus
from deals.slips import deal_due_dates


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


def _slip_rate(*, rep: User, start: dt.date, end: dt.date, today: dt.date) -> Measurement:
    in_window = {"old_value__gte": start.isoformat(), "old_value__lte": end.isoformat()}
    held_in_window = DealChange.objects.filter(
        deal=OuterRef("pk"), field=DealField.EXPECTED_CLOSE_DATE, **in_window
    )
    # Query 1: the rep's deals that held an expected close date in the window.
    deals = list(
        Deal.objects.filter(
            Q(expected_close_date__gte=start, expected_close_date__lte=end)
            | Q(Exists(held_in_window)),
            owner=rep,
        ).values_list("pk", "status", "expected_close_date", "closed_at")
    )
    # Query 2: their close-date history.
    changes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for deal_id, old_value, new_value in DealChange.objects.filter(
        deal_id__in=[row[0] for row in deals], field=DealField.EXPECTED_CLOSE_DATE
    ).values_list("deal_id", "old_value", "new_value"):
        changes[deal_id].append((old_value, new_value))
    slipped = total = 0
    for pk, status, expected, closed_at in deals:
        due = [
            d
            for d in deal_due_dates(
                status=status,
                expected_close_date=expected,
                closed_at=closed_at,
                close_date_changes=changes[pk],
                today=today,
            )
            if start <= d.day <= end
        ]
        total += bool(due)
        slipped += any(d.missed for d in due)
    return _percent(slipped, total)


def metric_measure(
    *, rep: User, metric: str, start: dt.date, end: dt.date, today: dt.date | None = None
) -> Measurement:
    """`today` (default: the current UTC day) decides which close dates have come due."""
    if metric == CommitmentMetric.ECONOMIC_BUYER_SHARE:
        return _share_of_new_deals(rep=rep, start=start, end=end, flag="has_economic_buyer")
    if metric == CommitmentMetric.COMPELLING_DEADLINE_SHARE:
        return _share_of_new_deals(rep=rep, start=start, end=end, flag="has_compelling_deadline")
    if metric == CommitmentMetric.WIN_RATE:
        return _win_rate(rep=rep, start=start, end=end)
    if metric == CommitmentMetric.SLIP_RATE:
        return _slip_rate(rep=rep, start=start, end=end, today=today or timezone.now().date())
    raise ValueError(f"Unknown metric {metric!r}")
