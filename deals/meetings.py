"""Meeting effectiveness: the one definition of a meeting that *advances* its deal.

A meeting advances its deal when, within N days after it (the organisation's setting, 14 by
default: roi.RoiSettings.meeting_advance_days), the deal

- moves to another stage, unless it was lost in the same change (CRMs rarely move deals back,
  and Coachline keeps stage names, not the CRM's stage order), or
- closes won (a status change to won, or a won deal whose close time falls in the window).

Gaining a compelling deadline or economic-buyer access also counts in the issue's definition,
but deals keep no dated history of those facts yet, so they cannot be placed in the window; see
docs/roi.md. Meetings without a deal are counted as meetings and never as advancing.

The ROI panel (roi.panel.queries.meetings_query) and the efficiency page read this definition.
"""

import datetime as dt
from typing import Final

from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import CombinedExpression

from deals.models import Activity, ActivityKind, Deal, DealChange, DealField, DealStatus

DEFAULT_ADVANCE_DAYS: Final = 14


def _window_end(days: int) -> ExpressionWrapper[CombinedExpression]:
    return ExpressionWrapper(
        OuterRef("occurred_at") + Value(dt.timedelta(days=days)), output_field=DateTimeField()
    )


def meeting_advanced_q(*, days: int) -> Q:
    """True for the outer Activity (a meeting) when its deal advanced within `days` after it."""
    in_window = Q(changed_at__gt=OuterRef("occurred_at"), changed_at__lte=_window_end(days))
    lost_then = DealChange.objects.filter(
        deal=OuterRef("deal"),
        field=DealField.STATUS,
        new_value=DealStatus.LOST,
        changed_at=OuterRef("changed_at"),
    )
    moved = (
        DealChange.objects.filter(in_window, deal=OuterRef("deal"), field=DealField.STAGE)
        .exclude(Exists(lost_then))
        .values("pk")
    )
    won_change = DealChange.objects.filter(
        in_window, deal=OuterRef("deal"), field=DealField.STATUS, new_value=DealStatus.WON
    ).values("pk")
    won_deal = Deal.objects.filter(
        pk=OuterRef("deal"),
        status=DealStatus.WON,
        closed_at__gt=OuterRef("occurred_at"),
        closed_at__lte=_window_end(days),
    ).values("pk")
    return Q(Exists(moved)) | Q(Exists(won_change)) | Q(Exists(won_deal))


def meetings_annotate_advanced(
    activities: QuerySet[Activity], *, days: int = DEFAULT_ADVANCE_DAYS
) -> QuerySet[Activity]:
    """The meetings among `activities`, each with `is_advanced` (see the module doc)."""
    return activities.filter(kind=ActivityKind.MEETING).annotate(
        is_advanced=ExpressionWrapper(
            Q(deal__isnull=False) & meeting_advanced_q(days=days), output_field=BooleanField()
        )
    )
