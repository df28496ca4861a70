"""Who may open a practice scenario, see a recording, upload it and review it. The rules are
accounts.access's (`practice_reps_q`, `practice_reviewable_rep_ids`); this composes them with
practice's models. Missing and not visible both answer 404; visible but not yours to review 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.access import (
    Actor,
    Principal,
    practice_reviewable_rep_ids,
    practice_visible_rep_ids,
    principal_of,
)
from practice.models import PracticeAttempt, PracticeScenario
from training.access import lessons_visible


def scenario_get_for_learner(*, user: Actor | Principal, lesson_id: int) -> PracticeScenario:
    """The scenario of a practice lesson the caller may open (training's rule), or 404."""
    scenario = (
        PracticeScenario.objects.select_related("lesson__course", "rubric")
        .filter(lesson__in=lessons_visible(user=user), lesson_id=lesson_id)
        .first()
    )
    if scenario is None:
        raise Http404("No such practice")
    return scenario


def attempts_visible(*, user: Actor | Principal) -> QuerySet[PracticeAttempt]:
    return PracticeAttempt.objects.select_related(
        "rep", "scenario__lesson__course", "scenario__rubric"
    ).filter(rep__in=practice_visible_rep_ids(user))


def attempt_get_visible(*, user: Actor | Principal, attempt_id: int) -> PracticeAttempt:
    """An attempt of someone whose recordings the caller may see, or 404."""
    attempt = attempts_visible(user=user).filter(pk=attempt_id).first()
    if attempt is None:
        raise Http404("No such attempt")
    return attempt


def attempt_get_for_uploader(*, user: Actor | Principal, attempt_id: int) -> PracticeAttempt:
    """The caller's own attempt (only the rep uploads their recording), or 404."""
    p = principal_of(user)
    attempt = PracticeAttempt.objects.filter(pk=attempt_id, rep=p.user_id).first()
    if attempt is None or not p.is_person:
        raise Http404("No such attempt")
    return attempt


def may_review(*, user: Actor | Principal, attempt: PracticeAttempt) -> bool:
    return practice_reviewable_rep_ids(user).filter(pk=attempt.rep_id).exists()


def attempt_get_for_reviewer(*, user: Actor | Principal, attempt_id: int) -> PracticeAttempt:
    """An attempt the caller may score and comment on: 404 when they may not see it, 403 when
    they see it but do not coach the rep (the rep themself, their manager)."""
    attempt = attempt_get_visible(user=user, attempt_id=attempt_id)
    if not may_review(user=user, attempt=attempt):
        raise PermissionDenied("Only the rep's coaches review their practice.")
    return attempt
