"""What the coaching pages share: who may book, fetching a person, showing service errors."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.access import principal_of, user_get_visible
from accounts.models import User
from coaching.access import may_coach
from coaching.models import CoachingSession, RubricCriterion

# Services name fields as the API does; forms name some differently.
FIELD_ALIASES = {"rep_id": "rep", "deal_id": "deal", "reason": "reason"}


def require_coach(user: User) -> None:
    if not may_coach(user):
        raise PermissionDenied(_("Only coaches and managers book coaching sessions."))


def active_criteria() -> QuerySet[RubricCriterion]:
    return (
        RubricCriterion.objects.filter(rubric__is_active=True)
        .select_related("rubric")
        .order_by("rubric__name", "position", "pk")
    )


def visible_person(viewer: User, raw_id: str) -> User:
    if not raw_id.isdecimal():
        raise Http404(_("No such person."))
    return user_get_visible(viewer, user_id=int(raw_id))


def may_run_session(user: User, session: CoachingSession) -> bool:
    return principal_of(user).may_run_session(coach_id=session.coach_id)
