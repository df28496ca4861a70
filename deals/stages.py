"""Stage-advance time: how long deals stayed in a stage before moving on, from their history.

A *stage advance* is a stage change in the deal's history (DealChange, field stage): the deal
left `old_value` for another stage. Its days run from when the deal entered that stage (the
previous stage change, else the deal's creation: ingestion keeps no row for the first stage) to
the change, in whole UTC days. A stage change made together with the deal being lost is a loss,
not an advance, and is left out (the same rule as deals.meetings).

Advances are counted in the period in which they happened, and come back already counted in SQL
per group (the deal's owner or the owner's team), stage and number of days, so that a large
organisation's year of history is a few thousand rows, not one per stage change. Readers take
medians per stage, per rep or per team (roi.efficiency). One query.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Count, Exists, F, Func, IntegerField, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate

from deals.models import DealChange, DealField, DealStatus

__all__ = ["StageAdvances", "stage_advances"]


class DaysBetween(Func):
    """Whole days from the second date to the first, on PostgreSQL and SQLite alike."""

    arity = 2
    output_field = IntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


@dataclass(frozen=True)
class StageAdvances:
    """How many advances out of `stage` took `days`, for one owner or team (`group_id`)."""

    group_id: int | None
    stage: str
    days: int
    count: int


def _lost_with() -> QuerySet[DealChange]:
    return DealChange.objects.filter(
        deal=OuterRef("deal"),
        field=DealField.STATUS,
        new_value=DealStatus.LOST,
        changed_at=OuterRef("changed_at"),
    )


def stage_advances(
    *,
    owner_ids: Iterable[int] | QuerySet[Any, int],
    start_at: dt.datetime,
    end_at: dt.datetime,
    by: Literal["owner", "team"] = "owner",
) -> list[StageAdvances]:
    """The stage advances of the deals of `owner_ids` made in [start_at, end_at), counted per
    owner (or their current team), stage left and days."""
    entered = (
        DealChange.objects.filter(
            deal=OuterRef("deal"), field=DealField.STAGE, changed_at__lt=OuterRef("changed_at")
        )
        .order_by()
        .values("deal")
        .annotate(last=Max("changed_at"))
        .values("last")
    )
    owners = owner_ids if isinstance(owner_ids, QuerySet) else list(owner_ids)
    group = "deal__owner_id" if by == "owner" else "deal__owner__team_id"
    utc = dt.UTC
    rows = (
        DealChange.objects.filter(
            field=DealField.STAGE,
            changed_at__gte=start_at,
            changed_at__lt=end_at,
            deal__owner_id__in=owners,
        )
        .exclude(old_value="")
        .exclude(Exists(_lost_with()))
        .alias(entered_at=Coalesce(Subquery(entered), F("deal__created_at")))
        .annotate(
            group=F(group),
            days=DaysBetween(
                TruncDate("changed_at", tzinfo=utc), TruncDate("entered_at", tzinfo=utc)
            ),
        )
        .values("group", "old_value", "days")
        .annotate(n=Count("pk"))
        .values_list("group", "old_value", "days", "n")
        .order_by()
    )
    return [
        StageAdvances(group_id=g, stage=stage, days=max(int(days), 0), count=n)
        for g, stage, days, n in rows
    ]
