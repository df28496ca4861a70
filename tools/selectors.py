"""Reads of tools: the stack with its seats, and tool spend per person and month.

Spend rules (docs/roi.md, "Efficiency and effectiveness"):
- a per-seat tool costs its monthly cost for every month a seat of it covers at least one day
  (SaaS bills by the month), once per person: a person holding a seat in person and through
  their team pays once;
- a team seat is held by the team's current members (Coachline keeps no team history);
- a flat tool's monthly cost is shared equally among the people holding its seats that month,
  or among all active reps when it has no seats;
- amounts are converted to the home currency at the rate valid on the month's first day; a
  month of a tool with no rate is counted as unconverted, never as zero.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from accounts.roles import Role
from deals.selectors import exchange_rates_load
from tools.models import Tool, ToolPricing, ToolSeat


def tool_list() -> QuerySet[Tool]:
    """Tools with their seats and holders (2 queries)."""
    return Tool.objects.prefetch_related(
        Prefetch(
            "seats",
            queryset=ToolSeat.objects.select_related("user", "team").order_by("starts_on", "pk"),
        )
    ).order_by("name")


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _covers(starts_on: dt.date, ends_on: dt.date | None, month: dt.date) -> bool:
    return starts_on <= _month_end(month) and (ends_on is None or ends_on >= month)


@dataclass
class ToolSpend:
    home_currency: str
    # {(user id, first day of month): spend in the home currency}
    by_person_month: dict[tuple[int, dt.date], Decimal] = field(default_factory=dict)
    # {(user id, first day of month): {category: spend}}
    by_category: dict[tuple[int, dt.date], dict[str, Decimal]] = field(default_factory=dict)
    unconverted: int = 0  # tool-months without an exchange rate

    def total(self, user_id: int, month: dt.date) -> Decimal:
        return self.by_person_month.get((user_id, month), Decimal(0))


def tool_spend_by_person_month(*, start: dt.date, end: dt.date) -> ToolSpend:
    """Tool spend per person and month from `start` to `end` (both months included).

    Queries: tools, seats (with holders), team members, active reps, the home currency and the
    exchange rates: six, whatever the size.
    """
    rates = exchange_rates_load()
    spend = ToolSpend(home_currency=rates.home_currency)
    tools = list(
        Tool.objects.prefetch_related(
            Prefetch("seats", queryset=ToolSeat.objects.order_by("pk"))
        ).order_by("pk")
    )
    if not tools:
        return spend
    members: dict[int, list[int]] = defaultdict(list)
    for pk, team_id in User.objects.filter(is_active=True, team__isnull=False).values_list(
        "pk", "team_id"
    ):
        members[team_id].append(pk)
    reps = list(User.objects.filter(is_active=True, role=Role.REP).values_list("pk", flat=True))
    totals: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
    categories: dict[tuple[int, dt.date], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for tool in tools:
        seats = list(tool.seats.all())
        for month in _months(start, end):
            if not _covers(tool.starts_on, tool.ends_on, month):
                continue
            holders: set[int] = set()
            for seat in seats:
                if _covers(seat.starts_on, seat.ends_on, month):
                    if seat.user_id is not None:
                        holders.add(seat.user_id)
                    elif seat.team_id is not None:
                        holders.update(members.get(seat.team_id, []))
            if tool.pricing == ToolPricing.FLAT and not seats:
                holders = set(reps)
            if not holders:
                continue
            cost = rates.to_home(tool.monthly_cost, tool.currency, month)
            if cost is None:
                spend.unconverted += 1
                continue
            each = cost if tool.pricing == ToolPricing.PER_SEAT else cost / len(holders)
            for user_id in holders:
                totals[(user_id, month)] += each
                categories[(user_id, month)][tool.category] += each
    spend.by_person_month = {k: v.quantize(Decimal("0.01")) for k, v in totals.items()}
    spend.by_category = {k: dict(v) for k, v in categories.items()}
    return spend
