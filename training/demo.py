"""Demo training: the starter library, the "Sales foundations" program assigned to every demo rep,
and a history of completions spread over the past 17 months (anchored to months, so that the
ROI story is the same on every day of a month).

Idempotent: courses are imported by slug (unchanged content writes nothing), the program and
assignments are found by their natural keys, and reps who already completed the program keep
their dates. The ROI demo may call `seed_completions` again with dates of its own.
"""

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from training.models import (
    Assignment,
    Completion,
    CompletionSource,
    Course,
    CourseRating,
    Lesson,
    LessonKind,
    LessonProgress,
    PrimaryMetric,
    Program,
    PublishStatus,
    QuizAttempt,
)
from training.services import course_folders, course_import, program_create

CONTENT = Path(__file__).resolve().parent / "content"
# The same courses (same slugs, lessons and quizzes) written in each language the demo speaks;
# `seed_demo --language de` loads the German ones. English is the default.
CONTENT_BY_LANGUAGE = {"en": CONTENT, "de": Path(__file__).resolve().parent / "content_de"}
PROGRAM_SLUG = "sales-foundations"
PROGRAM_COURSES = ["qualification-that-holds-up", "discovery-conversations", "win-loss-stories"]
# Share of demo reps who have completed the program when dates are not given: 25 of the 39
# field reps with seed_demo's seed, a margin above the ROI report's gate of 20 trained reps.
COMPLETED_SHARE = 0.6
# Completions fall 2 to 17 whole months before the current month (at least two months after
# training to compare), on a day of the month drawn once: the month each rep trained in, and
# with it the ROI story, is the same on every day of a month.
HISTORY_MONTHS = (2, 17)
FEEDBACK = [
    gettext_noop("The story lessons were the most useful part."),
    gettext_noop("Testing the deadline changed how I run my forecast calls."),
    gettext_noop("Good, practical. I would like more examples from our own deals."),
    gettext_noop("Short enough to do between calls."),
    "",
    "",
]


def load_library(created_by: User | None = None, language: str = "en") -> list[Course]:
    """Import every course folder of the demo library in `language` (the same importer as
    course_import)."""
    root = CONTENT_BY_LANGUAGE[language]
    return [
        course_import(folder=folder, created_by=created_by).course
        for folder in course_folders(root)
    ]


def seed(org: Any, rng: random.Random) -> None:
    load_library(created_by=org.admin, language=getattr(org, "language", "en"))
    program = _program()
    completed = seed_completions(org.reps, rng, None)
    _seed_assignments(org, program, completed, rng)


def _program() -> Program:
    program = Program.objects.filter(slug=PROGRAM_SLUG).first()
    if program is not None:
        return program
    courses = {c.slug: c for c in Course.objects.filter(slug__in=PROGRAM_COURSES)}
    return program_create(
        slug=PROGRAM_SLUG,
        title=gettext("Sales foundations"),
        summary=gettext(
            "The shared basics for every rep: qualify deals on evidence, run discovery "
            "conversations that uncover real problems, and learn from our own wins and losses."
        ),
        status=PublishStatus.PUBLISHED,
        courses=[courses[slug] for slug in PROGRAM_COURSES],
        content_cost=Decimal("12000.00"),
        cost_per_seat=Decimal("150.00"),
        expected_learner_hours=Decimal("3.00"),
        primary_metric=PrimaryMetric.WIN_RATE,
        horizon_months=6,
        plausible_effect_pct=Decimal("5.00"),
        is_evaluation=False,
    )


def _program_courses() -> list[Course]:
    program = Program.objects.get(slug=PROGRAM_SLUG)
    return [
        link.course
        for link in program.program_courses.select_related("course").order_by("position")
    ]


def seed_completions(
    reps: Sequence[User], rng: random.Random, dates: dict[int, dt.date] | None
) -> dict[int, dt.date]:
    """Give reps a completed "Sales foundations" program, and return {rep id: completion date}.

    With `dates`, exactly the reps in it complete the program on that date (its last course on
    that day, the earlier ones a few days before) and the other reps in `reps` lose their
    completions of the program's courses. Without `dates`, about 60% of reps who have not yet
    completed it get a date 2 to 17 months back; the demo's own rep (rep@...) stays mid-course
    so the demo login has something to take.

    Each completion comes with what a real one leaves behind: every lesson done, a passed quiz
    (sometimes after a failed try) and, for most people, a rating. Idempotent for the same dates.
    """
    courses = _program_courses()
    course_ids = [c.pk for c in courses]
    lessons = {
        c.pk: list(
            Lesson.objects.published().filter(course=c).prefetch_related("questions__choices")
        )
        for c in courses
    }
    existing: dict[tuple[int, int], Completion] = {
        (c.user_id, c.course_id): c
        for c in Completion.objects.filter(user__in=[r.pk for r in reps], course_id__in=course_ids)
    }
    result: dict[int, dt.date] = {}
    if dates is None:
        today = timezone.localdate()
        dates = {}
        for rep in reps:
            # Draw for every rep, every time, so the sequence (and the result) is stable.
            chosen = rng.random() < COMPLETED_SHARE
            when = _months_before(today, rng.randint(*HISTORY_MONTHS)).replace(
                day=rng.randint(3, 26)
            )
            done = [existing.get((rep.pk, cid)) for cid in course_ids]
            if all(done):
                # Already trained (perhaps on dates the ROI demo planted): left as it is.
                result[rep.pk] = max(c.completed_at for c in done if c).date()
            elif chosen and not rep.email.startswith("rep@"):
                dates[rep.pk] = when
    else:
        untrained = [r.pk for r in reps if r.pk not in dates]
        _forget(user_ids=untrained, course_ids=course_ids)
    for rep in reps:
        if rep.pk in dates:
            _complete_program(rep, courses, lessons, dates[rep.pk], existing, rng)
    return {**result, **dates}


def _months_before(today: dt.date, n: int) -> dt.date:
    """The first day of the month n months before today's."""
    index = today.year * 12 + today.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _forget(*, user_ids: list[int], course_ids: list[int]) -> None:
    Completion.objects.filter(user_id__in=user_ids, course_id__in=course_ids).delete()
    CourseRating.objects.filter(user_id__in=user_ids, course_id__in=course_ids).delete()
    QuizAttempt.objects.filter(user_id__in=user_ids, lesson__course_id__in=course_ids).delete()
    LessonProgress.objects.filter(user_id__in=user_ids, lesson__course_id__in=course_ids).delete()


def _complete_program(
    rep: User,
    courses: list[Course],
    lessons: dict[int, list[Lesson]],
    last_day: dt.date,
    existing: dict[tuple[int, int], Completion],
    rng: random.Random,
) -> None:
    day = last_day
    plan: list[tuple[Course, dt.datetime]] = []
    for course in reversed(courses):
        hour, minute = rng.randint(8, 17), rng.choice((0, 15, 30, 45))
        at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)
        plan.append((course, at))
        day -= dt.timedelta(days=rng.randint(2, 12))
    for course, at in reversed(plan):
        first_try_failed = rng.random() < 0.25
        stars = rng.choices((5, 4, 3, 2), weights=(45, 35, 15, 5))[0]
        rated = rng.random() < 0.75
        comment = gettext(rng.choice(FEEDBACK))
        current = existing.get((rep.pk, course.pk))
        if current is not None and current.completed_at == at:
            continue
        _forget(user_ids=[rep.pk], course_ids=[course.pk])
        quizzes = [lesson for lesson in lessons[course.pk] if lesson.kind == LessonKind.QUIZ]
        scores = [
            _seed_quiz(rep, quiz, at, first_try_failed=first_try_failed, rng=rng)
            for quiz in quizzes
        ]
        LessonProgress.objects.bulk_create(
            LessonProgress(
                user=rep,
                lesson=lesson,
                last_viewed_at=at - dt.timedelta(minutes=5 * (len(lessons[course.pk]) - i)),
                completed_at=at - dt.timedelta(minutes=5 * (len(lessons[course.pk]) - i - 1)),
            )
            for i, lesson in enumerate(lessons[course.pk])
        )
        Completion.objects.create(
            user=rep,
            course=course,
            completed_at=at,
            score=(sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01"))
            if scores
            else None,
            source=CompletionSource.BROWSER,
        )
        if rated:
            rating = CourseRating.objects.create(
                user=rep, course=course, stars=stars, comment=comment
            )
            CourseRating.objects.filter(pk=rating.pk).update(created_at=at, updated_at=at)


def _seed_quiz(
    rep: User, quiz: Lesson, at: dt.datetime, *, first_try_failed: bool, rng: random.Random
) -> Decimal:
    questions = list(quiz.questions.all())
    right = {str(q.pk): sorted(c.pk for c in q.choices.all() if c.is_correct) for q in questions}
    wrong = {
        str(q.pk): [next(c.pk for c in q.choices.all() if not c.is_correct)] for q in questions
    }
    attempts = []
    if first_try_failed and len(questions) >= 3:
        misses = set(rng.sample(sorted(right), k=max(2, len(questions) // 3)))
        answers = {k: (wrong[k] if k in misses else v) for k, v in right.items()}
        score = Decimal(100 * (len(questions) - len(misses)) / len(questions)).quantize(
            Decimal("0.01")
        )
        attempts.append((answers, score, at - dt.timedelta(minutes=25)))
    misses = set(rng.sample(sorted(right), k=rng.choice((0, 0, 1)))) if questions else set()
    answers = {k: (wrong[k] if k in misses else v) for k, v in right.items()}
    score = Decimal(100 * (len(questions) - len(misses)) / max(1, len(questions))).quantize(
        Decimal("0.01")
    )
    attempts.append((answers, score, at - dt.timedelta(minutes=2)))
    QuizAttempt.objects.bulk_create(
        QuizAttempt(
            user=rep,
            lesson=quiz,
            number=n,
            score=s,
            passed=s >= quiz.pass_mark_pct,
            answers=a,
            attempted_at=when,
        )
        for n, (a, s, when) in enumerate(attempts, start=1)
    )
    return attempts[-1][1]


def _seed_assignments(
    org: Any, program: Program, completed: dict[int, dt.date], rng: random.Random
) -> None:
    """The program is assigned to every rep by their manager: done for those who completed it,
    and for the others a mix of on track, due soon and overdue, some of them started."""
    today = timezone.localdate()
    have = set(Assignment.objects.filter(program=program).values_list("assignee_id", flat=True))
    courses = _program_courses()
    first_lessons = list(Lesson.objects.published().filter(course=courses[0]).order_by("position"))
    new: list[Assignment] = []
    for rep in org.reps:
        offset = rng.randint(-20, 30)
        started = rng.random() < 0.6
        done_lessons = rng.randint(1, max(1, len(first_lessons) - 1))
        if rep.pk in have:
            continue
        if rep.pk in completed:
            due = completed[rep.pk] + dt.timedelta(days=rng.randint(2, 20))
        elif rep.email.startswith("rep@"):
            due, started, done_lessons = today + dt.timedelta(days=10), True, 2
        else:
            due = today + dt.timedelta(days=offset)
        new.append(
            Assignment(
                program=program,
                assignee=rep,
                due_date=due,
                assigned_by=rep.manager,
                team=rep.team,
            )
        )
        if started and rep.pk not in completed:
            base = timezone.now() - dt.timedelta(days=rng.randint(1, 12))
            LessonProgress.objects.bulk_create(
                [
                    LessonProgress(
                        user=rep,
                        lesson=lesson,
                        last_viewed_at=base + dt.timedelta(minutes=10 * i),
                        completed_at=base + dt.timedelta(minutes=10 * i + 8),
                    )
                    for i, lesson in enumerate(first_lessons[:done_lessons])
                    if lesson.kind != LessonKind.QUIZ
                ],
                ignore_conflicts=True,
            )
    Assignment.objects.bulk_create(new, ignore_conflicts=True)
