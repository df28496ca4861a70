"""Stage-advance time: how long deals stayed in a stage before moving on, from their history.

A *stage advance* is a stage change in the deal's history (DealChange, field stage): the deal
left `old_value` for another stage. Its days run from when the deal entered that stage (the
previous stage change, else the deal's creation: ingestion keeps no row for the first stage) to
the change, in whole UTC days. A stage change made together with the deal being lost is a loss,
not an advance, and is left out (the same rule as deals.meetings).

Advances are counted in the period in which they happened; readers take medians per stage, per
rep or per team (roi.efficiency). One query, whatever the number of deals.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from deals.models import DealChange, DealField, DealStatus

__all__ = ["StageAdvance", "stage_advances"]


@dataclass(frozen=True)
class StageAdvance:
    owner_id: int
    stage: str  # the stage the deal left
    days: int


def _lost_with(outer: str = "changed_at") -> QuerySet[DealChange]:
    return DealChange.objects.filter(
        deal=OuterRef("deal"),
        field=DealField.STATUS,
        new_value=DealStatus.LOST,
        changed_at=OuterRef(outer),
    )


def stage_advances(
    *, owner_ids: Iterable[int] | QuerySet[Any, int], start_at: dt.datetime, end_at: dt.datetime
) -> list[StageAdvance]:
    """Every stage advance of the deals of `owner_ids` made in [start_at, end_at)."""
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
    rows = (
        DealChange.objects.filter(
            field=DealField.STAGE,
            changed_at__gte=start_at,
            changed_at__lt=end_at,
            deal__owner_id__in=owners,
        )
        .exclude(old_value="")
        .exclude(Exists(_lost_with()))
        .annotate(entered_at=Coalesce(Subquery(entered), F("deal__created_at")))
        .values_list("deal__owner_id", "old_value", "entered_at", "changed_at")
        .order_by()
    )
    utc = dt.UTC
    return [
        StageAdvance(
            owner_id=owner,
            stage=stage,
            days=max((left.astimezone(utc).date() - came.astimezone(utc).date()).days, 0),
        )
        for owner, stage, came, left in rows
    ]
