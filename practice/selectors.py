"""Reads of the practice pages, each in a fixed number of queries."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts.access import Actor, Principal, practice_reviewable_rep_ids, practice_visible_rep_ids
from coaching.models import RubricCriterion
from practice.models import (
    AttemptStatus,
    PracticeAttempt,
    PracticeComment,
    PracticeReview,
    PracticeScenario,
    PracticeScore,
)


def attempts_of_rep(*, rep_id: int, scenario: PracticeScenario) -> list[PracticeAttempt]:
    """The rep's submitted and reviewed attempts of a scenario, newest first (one query)."""
    return list(
        PracticeAttempt.objects.filter(scenario=scenario, rep_id=rep_id)
        .exclude(status=AttemptStatus.UPLOADING)
        .select_related("review")
        .order_by("-number")
    )


def review_queue(*, user: Actor | Principal) -> QuerySet[PracticeAttempt]:
    """Submitted attempts waiting for the caller's review, oldest first (one query)."""
    return (
        PracticeAttempt.objects.filter(
            status=AttemptStatus.SUBMITTED, rep__in=practice_reviewable_rep_ids(user)
        )
        .select_related("rep", "scenario__lesson")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class AttemptPage:
    attempt: PracticeAttempt
    criteria: list[RubricCriterion]
    comments: list[PracticeComment]
    review: PracticeReview | None
    scores: list[PracticeScore]


def attempt_page(*, attempt: PracticeAttempt) -> AttemptPage:
    """The rubric's criteria, the comments, the review with its scores: four queries."""
    criteria = list(RubricCriterion.objects.filter(rubric_id=attempt.scenario.rubric_id))
    comments = list(attempt.comments.select_related("author"))
    review = (
        PracticeReview.objects.filter(attempt=attempt)
        .select_related("reviewer")
        .prefetch_related(
            Prefetch("scores", queryset=PracticeScore.objects.select_related("criterion"))
        )
        .first()
    )
    scores = list(review.scores.all()) if review else []
    return AttemptPage(attempt, criteria, comments, review, scores)


def review_trend_scores(
    *, viewer: Principal, rubric_id: int, rep_id: int | None
) -> QuerySet[Any, dict[str, Any]]:
    """Practice reviews' share of coaching's score trends (coaching.score_sources, registered in
    PracticeConfig.ready): reviews of the reps whose recordings `viewer` may see, by the month
    the attempt was submitted (when the rep performed)."""
    scores = PracticeScore.objects.filter(
        review__rubric_id=rubric_id, review__attempt__rep__in=practice_visible_rep_ids(viewer)
    )
    if rep_id is not None:
        scores = scores.filter(review__attempt__rep_id=rep_id)
    return (
        scores.annotate(month=TruncMonth("review__attempt__submitted_at"))
        .values("criterion_id", "month")
        .annotate(total=Sum("score"), n=Count("pk"), items=Count("review", distinct=True))
        .order_by()
    )
