"""Building blocks every training read shares: learners' progress and completions, lessons in
order, courses of programs. Each loads in one query."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from training.models import Completion, Course, Lesson, LessonProgress, ProgramCourse, PublishStatus


class Status:
    DONE = "done"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    OVERDUE = "overdue"

    LABELS = {
        DONE: _("Done"),
        IN_PROGRESS: _("In progress"),
        NOT_STARTED: _("Not started"),
        OVERDUE: _("Overdue"),
    }
    BADGES = {DONE: "ok", IN_PROGRESS: "info", NOT_STARTED: "", OVERDUE: "bad"}


def percent_of(done: int, total: int) -> int:
    return 0 if total == 0 else min(100, round(100 * done / total))


def courses_with_lesson_counts() -> QuerySet[Course]:
    """Courses annotated with their number of published lessons (a subquery, not a join, so it
    combines with other annotations without multiplying rows)."""
    lessons = (
        Lesson.objects.published()
        .filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Course.objects.annotate(
        lesson_count=Coalesce(Subquery(lessons, output_field=IntegerField()), Value(0))
    )


@dataclass(frozen=True)
class CompletionFact:
    """A completion as pages need it (a plain row: cheaper than a model instance)."""

    pk: int
    user_id: int
    course_id: int
    completed_at: dt.datetime
    score: Decimal | None
    certificate_code: str


@dataclass(frozen=True)
class CourseInfo:
    """A published course as the catalog shows it."""

    pk: int
    slug: str
    title: str
    summary: str
    tags: list[str]
    estimated_minutes: int


@dataclass
class LearnerFacts:
    """One learner's (or several learners') progress, loaded in two queries."""

    # (user id, course id) -> lesson ids done / viewed, and the last viewed lesson
    done: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    viewed: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    last_viewed: dict[tuple[int, int], tuple[dt.datetime, int]] = field(default_factory=dict)
    completed: dict[tuple[int, int], CompletionFact] = field(default_factory=dict)

    def done_count(self, user_id: int, course_id: int) -> int:
        return len(self.done.get((user_id, course_id), ()))


def learner_facts(*, user_ids: Any, course_ids: Iterable[int] | None = None) -> LearnerFacts:
    """Progress on published lessons and completions. Queries: progress rows, completions."""
    facts = LearnerFacts()
    progress = LessonProgress.objects.filter(
        user_id__in=user_ids, lesson__status=PublishStatus.PUBLISHED
    )
    completions = Completion.objects.filter(user_id__in=user_ids)
    if course_ids is not None:
        course_ids = list(course_ids)
        progress = progress.filter(lesson__course_id__in=course_ids)
        completions = completions.filter(course_id__in=course_ids)
    rows = progress.values_list(
        "user_id", "lesson__course_id", "lesson_id", "last_viewed_at", "completed_at"
    )
    for user_id, course_id, lesson_id, viewed_at, completed_at in rows:
        key = (user_id, course_id)
        facts.viewed[key].add(lesson_id)
        if completed_at is not None:
            facts.done[key].add(lesson_id)
        if key not in facts.last_viewed or viewed_at > facts.last_viewed[key][0]:
            facts.last_viewed[key] = (viewed_at, lesson_id)
    for row in completions.values_list(
        "pk", "user_id", "course_id", "completed_at", "score", "certificate_code"
    ):
        fact = CompletionFact(*row)
        facts.completed[(fact.user_id, fact.course_id)] = fact
    return facts


@dataclass(frozen=True)
class LessonStub:
    pk: int
    slug: str
    title: str
    kind: str
    minutes: int
    position: int


def lesson_stubs(course_ids: Iterable[int]) -> dict[int, list[LessonStub]]:
    """Published lessons per course, in order. One query."""
    out: dict[int, list[LessonStub]] = defaultdict(list)
    rows = (
        Lesson.objects.published()
        .filter(course_id__in=list(course_ids))
        .order_by("course_id", "position", "pk")
        .values_list("course_id", "pk", "slug", "title", "kind", "minutes", "position")
    )
    for course_id, pk, slug, title, kind, minutes, position in rows:
        out[course_id].append(LessonStub(pk, slug, title, kind, minutes, position))
    return out


def resume_lesson(
    lessons: Sequence[LessonStub], done: set[int], last_viewed: tuple[dt.datetime, int] | None
) -> LessonStub | None:
    """Where to pick up: the lesson last opened if it is unfinished, else the next unfinished
    one after it, else the first unfinished one."""
    if not lessons:
        return None
    start = 0
    if last_viewed is not None:
        index = next((i for i, s in enumerate(lessons) if s.pk == last_viewed[1]), None)
        if index is not None:
            start = index
    for stub in [*lessons[start:], *lessons[:start]]:
        if stub.pk not in done:
            return stub
    return lessons[0]


def courses_of_programs(program_ids: Iterable[int]) -> dict[int, list[CourseInfo]]:
    """Each program's courses in order. One query."""
    out: dict[int, list[CourseInfo]] = defaultdict(list)
    rows = (
        ProgramCourse.objects.filter(program_id__in=list(program_ids))
        .order_by("program_id", "position", "pk")
        .values_list(
            "program_id",
            "course_id",
            "course__slug",
            "course__title",
            "course__summary",
            "course__tags",
            "course__estimated_minutes",
        )
    )
    for program_id, *course in rows:
        out[program_id].append(CourseInfo(*course))
    return out


def lesson_count_by_course(course_ids: Iterable[int]) -> dict[int, int]:
    """Published lessons per course. One query (none for no courses)."""
    return {pk: n for pk, (n, _minutes) in lesson_totals_by_course(course_ids).items()}


def lesson_totals_by_course(course_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(published lessons, their minutes) per course: a course's duration is the sum of its
    lessons' minutes, on cards and on its page alike. One query (none for no courses)."""
    ids = list(course_ids)
    if not ids:
        return {}
    rows = (
        Lesson.objects.published()
        .filter(course_id__in=ids)
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"), minutes=Sum("minutes"))
        .values_list("course_id", "n", "minutes")
    )
    return {pk: (n, minutes or 0) for pk, n, minutes in rows}
