"""Coaching API: one view per operation; access through coaching.access, writes through the
services. Bad input answers 400 with the field and the reason, a double booking 409 naming the
conflicting session; either way nothing is written.

The views live by concern in this package; urls.py reaches them through this module.
"""

from coaching.api.views.calendar import CalendarFeedApi, RubricListApi, SlotListApi
from coaching.api.views.reviews import (
    CommitmentCreateApi,
    CommitmentListApi,
    PostMortemApi,
    ScorecardApi,
)
from coaching.api.views.sessions import (
    SessionCancelApi,
    SessionCompleteApi,
    SessionDetailApi,
    SessionListCreateApi,
    SessionRescheduleApi,
)

__all__ = [
    "CalendarFeedApi",
    "CommitmentCreateApi",
    "CommitmentListApi",
    "PostMortemApi",
    "RubricListApi",
    "ScorecardApi",
    "SessionCancelApi",
    "SessionCompleteApi",
    "SessionDetailApi",
    "SessionListCreateApi",
    "SessionRescheduleApi",
    "SlotListApi",
]
