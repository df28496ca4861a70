"""Retakes: a learner who used every attempt at a quiz asks for another, and one of the people
responsible for them (a coach, their manager, an admin) grants extra attempts.

Who may grant is the policy layer's answer to "whom may this person coach" (accounts.access
coachable_users): a coach for their coachees, a manager for their team and reports, an admin
for everyone. Leaders see everyone but change nothing, so they do not grant.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import coachable_users
from accounts.models import User
from notifications.kinds import Kind
from notifications.services import notify
from training.models import Lesson, LessonKind, QuizAttempt, RetakeGrant, RetakeRequest
from training.selectors.retakes import quiz_attempt_limit, retake_granters

MAX_EXTRA_ATTEMPTS = 10
NOTE_MAX_LENGTH = 500


def _refuse(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def may_grant_retake(*, granter: User, user: User) -> bool:
    if not granter.is_authenticated or not granter.is_active or granter.pk == user.pk:
        return False
    return coachable_users(granter).filter(pk=user.pk).exists()


def _note_clean(note: str) -> str:
    note = note.replace("\x00", "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise _refuse(
            "note",
            _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX_LENGTH},
            "too_long",
        )
    return note


def _attempts_used_up(*, user: User, lesson: Lesson) -> bool:
    attempts = list(
        QuizAttempt.objects.filter(user=user, lesson=lesson).values_list("passed", flat=True)
    )
    if any(attempts):
        raise _refuse("lesson", _("This quiz is already passed."), "already_passed")
    return len(attempts) >= quiz_attempt_limit(user=user, lesson=lesson)


def retake_request_create(*, user: User, lesson: Lesson, note: str = "") -> RetakeRequest:
    """File a request for another attempt. Idempotent: an open request is returned as it is.
    Refused when the learner still has attempts left or has passed."""
    if lesson.kind != LessonKind.QUIZ:
        raise _refuse("lesson", _("This lesson is not a quiz."), "not_a_quiz")
    note = _note_clean(note)
    if not _attempts_used_up(user=user, lesson=lesson):
        raise _refuse("lesson", _("You still have attempts left."), "attempts_left")
    open_request = RetakeRequest.objects.filter(
        user=user, lesson=lesson, resolved_at__isnull=True
    ).first()
    if open_request is not None:
        return open_request
    try:
        with transaction.atomic():
            request = RetakeRequest.objects.create(user=user, lesson=lesson, note=note)
            notify(
                recipients=list(retake_granters(user=user)),
                kind=Kind.RETAKE_REQUESTED,
                params={"title": lesson.title, "actor": user.full_name, "note": note},
                url=reverse("training:retakes"),
                actor=user,
            )
    except IntegrityError:
        # A parallel click filed it between our read and our insert: the open one stands.
        return RetakeRequest.objects.get(user=user, lesson=lesson, resolved_at__isnull=True)
    return request


def retake_grant(
    *, granter: User, user: User, lesson: Lesson, extra_attempts: int = 1, note: str = ""
) -> RetakeGrant:
    """Give `user` extra attempts at `lesson` and close their open request, if any.

    Refused (ValidationError, nothing written) when `granter` may not coach `user`, when the
    number is outside 1..10, or when the quiz is already passed. Audited (django-auditlog)."""
    if not may_grant_retake(granter=granter, user=user):
        raise _refuse("user", _("You can grant retakes only to your own people."), "forbidden")
    if lesson.kind != LessonKind.QUIZ:
        raise _refuse("lesson", _("This lesson is not a quiz."), "not_a_quiz")
    if not 1 <= extra_attempts <= MAX_EXTRA_ATTEMPTS:
        raise _refuse(
            "extra_attempts",
            _("Grant 1 to %(n)d extra attempts.") % {"n": MAX_EXTRA_ATTEMPTS},
            "out_of_range",
        )
    note = _note_clean(note)
    _attempts_used_up(user=user, lesson=lesson)  # refuses a passed quiz
    with transaction.atomic():
        grant = RetakeGrant.objects.create(
            user=user, lesson=lesson, extra_attempts=extra_attempts, granted_by=granter, note=note
        )
        RetakeRequest.objects.filter(user=user, lesson=lesson, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), grant=grant
        )
        notify(
            recipients=[user],
            kind=Kind.RETAKE_GRANTED,
            params={
                "title": lesson.title,
                "actor": granter.full_name,
                "n": str(extra_attempts),
                "note": note,
            },
            url=reverse("training:lesson_detail", args=[lesson.course.slug, lesson.slug]),
            actor=granter,
        )
    return grant
