"""Writes a learner makes: opening and finishing lessons, quiz attempts, completions, ratings."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from events.services import event_emit
from training.models import (
    Completion,
    CompletionSource,
    Course,
    CourseRating,
    Lesson,
    LessonKind,
    LessonProgress,
    ProgramCourse,
    PublishStatus,
    Question,
    QuestionKind,
    QuizAttempt,
    ScormAttempt,
)
from training.selectors.retakes import quiz_attempt_limit
from training.services.lti_scores import lti_scores_enqueue

CENT = Decimal("0.01")


def _refuse(field: str, message: str, code: str) -> ValidationError:
    """A refusal naming the field, with a code callers can tell apart (error_dict[field][0])."""
    return ValidationError({field: ValidationError(message, code=code)})


def lesson_view_record(*, user: User, lesson: Lesson) -> None:
    """Remember that `user` opened `lesson` just now ("resume where I left off")."""
    now = timezone.now()
    if LessonProgress.objects.filter(user=user, lesson=lesson).update(last_viewed_at=now):
        return
    # ignore_conflicts: a parallel request (another tab) may have created it first; its
    # timestamp is as good as ours.
    LessonProgress.objects.bulk_create(
        [LessonProgress(user=user, lesson=lesson, last_viewed_at=now)], ignore_conflicts=True
    )


def lesson_complete(*, user: User, lesson: Lesson) -> Completion | None:
    """Mark a reading, story or video lesson done. Returns the course completion when this was
    the last lesson of the course. Quizzes are completed by passing them, not by this."""
    if lesson.kind == LessonKind.QUIZ:
        raise _refuse("lesson", _("Pass the quiz to complete it."), "quiz")
    if lesson.kind == LessonKind.SCORM:
        raise _refuse("lesson", _("This module completes when you finish it."), "scorm")
    with transaction.atomic():
        now = timezone.now()
        _progress_mark_done(user=user, lesson=lesson, at=now)
        return _course_complete_if_done(user=user, course=lesson.course, at=now)


def _progress_mark_done(*, user: User, lesson: Lesson, at: dt.datetime) -> None:
    progress, _created = LessonProgress.objects.get_or_create(
        user=user, lesson=lesson, defaults={"last_viewed_at": at, "completed_at": at}
    )
    if progress.completed_at is None:
        LessonProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
            completed_at=at
        )


@dataclass(frozen=True)
class QuestionFeedback:
    question: Question
    chosen: frozenset[int]
    correct: frozenset[int]

    @property
    def is_correct(self) -> bool:
        return self.chosen == self.correct


@dataclass(frozen=True)
class QuizOutcome:
    attempt: QuizAttempt
    feedback: list[QuestionFeedback]
    completion: Completion | None  # set when passing the quiz finished the course


def quiz_answers_parse(
    *, questions: list[Question], answers: Mapping[Any, Any]
) -> dict[int, frozenset[int]]:
    """Chosen answer ids per question id. Anything that is not a question of this quiz, or not
    one of that question's answers, is refused as a whole: nothing is graded from bad input."""
    by_id = {q.pk: q for q in questions}
    chosen: dict[int, frozenset[int]] = {}
    for raw_key, raw_value in answers.items():
        try:
            question_id = int(raw_key)
        except (TypeError, ValueError):
            question_id = -1
        question = by_id.get(question_id)
        if question is None:
            raise _refuse(
                "answers",
                _("Question %(id)s is not in this quiz.") % {"id": raw_key},
                "unknown_question",
            )
        values = raw_value if isinstance(raw_value, (list, tuple)) else [raw_value]
        try:
            ids = frozenset(int(v) for v in values if v not in ("", None))
        except (TypeError, ValueError):
            ids = frozenset({-1})
        allowed = {c.pk for c in question.choices.all()}
        if not ids <= allowed:
            raise _refuse(
                "answers",
                _("An answer to question %(id)s is not one of its choices.") % {"id": question_id},
                "unknown_choice",
            )
        if question.kind == QuestionKind.SINGLE and len(ids) > 1:
            raise _refuse(
                "answers",
                _("Question %(id)s takes one answer.") % {"id": question_id},
                "too_many_choices",
            )
        chosen[question_id] = ids
    return chosen


def quiz_submit(*, user: User, lesson: Lesson, answers: Mapping[Any, Any]) -> QuizOutcome:
    """Grade a quiz attempt on the server and record it.

    Refused with ValidationError, recording nothing, when the answers name questions or choices
    outside this quiz, when the attempt limit is used up, or when the quiz is already passed.
    """
    if lesson.kind != LessonKind.QUIZ:
        raise _refuse("lesson", _("This lesson is not a quiz."), "not_a_quiz")
    questions = list(lesson.questions.prefetch_related("choices"))
    if not questions:
        raise _refuse("lesson", _("This quiz has no questions yet."), "empty")
    chosen = quiz_answers_parse(questions=questions, answers=answers)
    if not any(chosen.values()):
        # An empty or accidental submit is not an attempt: nothing is graded or counted.
        raise _refuse("answers", _("Answer at least one question before submitting."), "no_answers")
    feedback = [
        QuestionFeedback(
            question=q,
            chosen=chosen.get(q.pk, frozenset()),
            correct=frozenset(c.pk for c in q.choices.all() if c.is_correct),
        )
        for q in questions
    ]
    right = sum(f.is_correct for f in feedback)
    score = (Decimal(100) * right / len(questions)).quantize(CENT, rounding=ROUND_HALF_UP)
    passed = score >= lesson.pass_mark_pct
    # Two tries: a parallel submission may take the number we counted; the second count then
    # sees it, and refuses if that was the last allowed attempt.
    for _try in range(2):
        try:
            with transaction.atomic():
                attempt = _attempt_create(
                    user=user,
                    lesson=lesson,
                    score=score,
                    passed=passed,
                    answers={str(qid): sorted(ids) for qid, ids in chosen.items()},
                )
                completion = None
                if passed:
                    _progress_mark_done(user=user, lesson=lesson, at=attempt.attempted_at)
                    completion = _course_complete_if_done(
                        user=user, course=lesson.course, at=attempt.attempted_at
                    )
                return QuizOutcome(attempt=attempt, feedback=feedback, completion=completion)
        except IntegrityError:
            continue
    raise _refuse("answers", _("Please submit again."), "conflict")


def _attempt_create(
    *, user: User, lesson: Lesson, score: Decimal, passed: bool, answers: dict[str, list[int]]
) -> QuizAttempt:
    previous = list(
        QuizAttempt.objects.filter(user=user, lesson=lesson).values_list("number", "passed")
    )
    if any(was_passed for _n, was_passed in previous):
        raise _refuse("answers", _("You have already passed this quiz."), "already_passed")
    limit = quiz_attempt_limit(user=user, lesson=lesson)
    if len(previous) >= limit:
        raise _refuse(
            "answers",
            _("You have used all %(n)d attempts at this quiz.") % {"n": limit},
            "attempt_limit",
        )
    return QuizAttempt.objects.create(
        user=user,
        lesson=lesson,
        number=max((n for n, _p in previous), default=0) + 1,
        score=score,
        passed=passed,
        answers=answers,
    )


def _best_scores(*, user: User, course: Course) -> list[Decimal]:
    """The best score of each published quiz and scored SCORM lesson of the course."""
    published = {"lesson__course": course, "lesson__status": PublishStatus.PUBLISHED}
    quizzes = (
        QuizAttempt.objects.filter(user=user, lesson__kind=LessonKind.QUIZ, **published)
        .values("lesson_id")
        .annotate(best=Max("score"))
        .values_list("best", flat=True)
    )
    modules = (
        ScormAttempt.objects.filter(user=user, score__isnull=False, **published)
        .values("lesson_id")
        .annotate(best=Max("score"))
        .values_list("best", flat=True)
    )
    return [*quizzes, *modules]


def _course_complete_if_done(*, user: User, course: Course, at: dt.datetime) -> Completion | None:
    """Write the course completion when every published lesson is done. Returns it only when
    this call created it, so events go out once."""
    lesson_ids = set(course.lessons.published().values_list("pk", flat=True))
    if not lesson_ids:
        return None
    done = set(
        LessonProgress.objects.filter(
            user=user, lesson_id__in=lesson_ids, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    if done != lesson_ids:
        return None
    best_scores = _best_scores(user=user, course=course)
    score = (
        (sum(best_scores, Decimal(0)) / len(best_scores)).quantize(CENT) if best_scores else None
    )
    try:
        with transaction.atomic():
            completion = Completion.objects.create(
                user=user,
                course=course,
                completed_at=at,
                score=score,
                source=CompletionSource.BROWSER,
            )
    except IntegrityError:
        return None  # already complete (earlier, or a parallel request just now)
    completion_events_emit(completion=completion)
    lti_scores_enqueue(user_id=user.pk, course_id=course.pk)
    return completion


def completion_events_emit(*, completion: Completion) -> None:
    """Emit course.completed, and program.completed for each program this completion finished.
    Delivery happens after the surrounding transaction commits (events.services)."""
    user, course = completion.user, completion.course
    person = {"id": user.pk, "email": user.email, "full_name": user.full_name}
    event_emit(
        event_type="course.completed",
        payload={
            "user": person,
            "course": {"slug": course.slug, "title": course.title},
            "completed_at": completion.completed_at.isoformat(),
            "score": None if completion.score is None else str(completion.score),
            "source": completion.source,
            "certificate_code": completion.certificate_code,
        },
    )
    links = list(
        ProgramCourse.objects.filter(program__program_courses__course=course).values_list(
            "program_id", "program__slug", "program__title", "course_id"
        )
    )
    if not links:
        return
    done = set(
        Completion.objects.filter(
            user=user, course_id__in={course_id for *_p, course_id in links}
        ).values_list("course_id", flat=True)
    )
    programs: dict[int, tuple[str, str, set[int]]] = {}
    for program_id, slug, title, course_id in links:
        programs.setdefault(program_id, (slug, title, set()))[2].add(course_id)
    for slug, title, course_ids in programs.values():
        if course_ids <= done:
            event_emit(
                event_type="program.completed",
                payload={
                    "user": person,
                    "program": {"slug": slug, "title": title},
                    "completed_at": completion.completed_at.isoformat(),
                },
            )


def course_rate(*, user: User, course: Course, stars: int, comment: str = "") -> CourseRating:
    """Record (or change) the learner's reaction to a course they completed."""
    if not 1 <= stars <= 5:
        raise ValidationError({"stars": [_("Choose 1 to 5 stars.")]})
    if not course.lessons.published().exists():
        raise ValidationError(
            {"stars": [_("This course has no lessons yet, so there is nothing to rate.")]}
        )
    if not Completion.objects.filter(user=user, course=course).exists():
        raise ValidationError({"stars": [_("Rate a course once you have completed it.")]})
    rating, _created = CourseRating.objects.update_or_create(
        user=user, course=course, defaults={"stars": stars, "comment": comment.strip()[:2000]}
    )
    return rating


def quiz_attempts_reset(*, user: User, lesson_id: int | None = None) -> int:
    """An admin lets a learner start a quiz (or every quiz) over: their attempts go, so the
    attempt limit counts from zero. Lesson progress and completions stay: a completion is the
    fact the ROI reports treat as "trained at", and a reset does not undo training."""
    attempts = QuizAttempt.objects.filter(user=user)
    if lesson_id is not None:
        attempts = attempts.filter(lesson_id=lesson_id)
    deleted, _by_model = attempts.delete()
    return deleted
