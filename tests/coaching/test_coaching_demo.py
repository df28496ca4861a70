import random

import pytest
from django.db.models import Count, Q

from accounts import demo as accounts_demo
from coaching import demo
from coaching.models import (
    AvailabilityWindow,
    CoachingSession,
    Commitment,
    Rubric,
    Scorecard,
    SessionParticipant,
)

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_a_believable_history_without_double_booking_and_is_idempotent():
    org = accounts_demo.DemoOrg()
    accounts_demo.seed(org, random.Random(1))

    demo.seed(org, random.Random(2))
    counts = (
        CoachingSession.objects.count(),
        Scorecard.objects.count(),
        Commitment.objects.count(),
    )
    demo.seed(org, random.Random(3))

    assert (
        CoachingSession.objects.count(),
        Scorecard.objects.count(),
        Commitment.objects.count(),
    ) == counts
    assert counts[0] > 1000
    assert AvailabilityWindow.objects.count() == 2 * 5 * len(org.coaches)
    rubric = Rubric.objects.get(name="Discovery call")
    assert set(rubric.criteria.values_list("methodology", flat=True)) == {
        "spin",
        "meddic",
        "general",
    }
    # every rep has sessions ahead and about 18 months behind
    per_rep = CoachingSession.objects.values("rep").annotate(
        ahead=Count("pk", filter=Q(status="scheduled")), total=Count("pk")
    )
    assert all(row["ahead"] >= 1 and row["total"] >= 25 for row in per_rep)
    # nobody holds two overlapping active slots
    holds = list(
        SessionParticipant.objects.filter(is_active=True)
        .order_by("user_id", "start")
        .values_list("user_id", "start", "end")
    )
    assert all(not (a[0] == b[0] and b[1] < a[2]) for a, b in zip(holds, holds[1:], strict=False))
    # scores improve: the mean of the last six months beats the first six
    first = Scorecard.objects.order_by("session__start")[:100]
    last = Scorecard.objects.order_by("-session__start")[:100]
    assert sum(s.overall for s in last) > sum(s.overall for s in first) + 1000
