"""Reads about retakes: a learner's attempt limit, whom they can ask, and the open requests a
coach or manager should answer."""

from django.db.models import Q, QuerySet, Sum

from accounts.access import coachable_users
from accounts.models import User
from accounts.roles import Role
from training.models import Lesson, RetakeGrant, RetakeRequest


def quiz_attempt_limit(*, user: User, lesson: Lesson) -> int:
    """The quiz's own limit plus every retake granted to `user`. One query."""
    extra = RetakeGrant.objects.filter(user=user, lesson=lesson).aggregate(n=Sum("extra_attempts"))[
        "n"
    ]
    return lesson.max_attempts + (extra or 0)


def retake_granters(*, user: User) -> QuerySet[User]:
    """The people `user` can ask for a retake: their coaches, their manager and their team's
    manager (active ones). Admins may grant too but are not named: they are nobody's first ask."""
    q = Q(coachee_links__coachee=user)
    if user.manager_id:
        q |= Q(pk=user.manager_id)
    if user.team_id:
        q |= Q(managed_teams__pk=user.team_id)
    return (
        User.objects.filter(q, is_active=True, role__in=(Role.COACH, Role.MANAGER, Role.ADMIN))
        .exclude(pk=user.pk)
        .distinct()
        .order_by("full_name", "pk")
    )


def retake_requests_open(*, viewer: User) -> list[RetakeRequest]:
    """Open requests from the people `viewer` may grant retakes to, oldest first. One query."""
    return list(
        RetakeRequest.objects.filter(
            resolved_at__isnull=True,
            user__in=coachable_users(viewer).values("pk"),
            user__is_active=True,
        )
        .select_related("user", "lesson", "lesson__course")
        .order_by("requested_at", "pk")
    )
