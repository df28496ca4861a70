"""Managers' view of their people's assignments.

The page shows one page of assignments and a count per status over all of them. Both come from
SQL: each assignment's status is computed in the database (the same rule as
`assignment_states`, which a test holds them to), so the counts are one grouped query and a
page is a LIMIT/OFFSET over the filtered, ordered assignments; only the page's rows get their
full state (percent, completion date) in Python. Cost no longer grows with the team.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import overload

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import visible_users
from accounts.models import User
from training.models import (
    Assignment,
    Completion,
    LessonProgress,
    ProgramCourse,
    PublishStatus,
    QuizAttempt,
    RetakeGrant,
)
from training.selectors.assignments import AssignmentState, assignment_states
from training.selectors.progress import Status


@dataclass(frozen=True)
class TeamRow:
    assignment: Assignment
    state: AssignmentState


class TeamRows(Sequence[TeamRow]):
    """The filtered assignments as a sequence of known length: slicing reads only that slice
    from the database (what a Paginator's page does), then computes the slice's states."""

    def __init__(self, assignments: QuerySet[Assignment], length: int, today: dt.date) -> None:
        self._assignments = assignments
        self._length = length
        self._today = today

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> TeamRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[TeamRow]: ...
    def __getitem__(self, index: int | slice) -> TeamRow | list[TeamRow]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        loaded = list(self._assignments[index])
        states = assignment_states(assignments=loaded, today=self._today)
        return [TeamRow(a, states[a.pk]) for a in loaded]

    def __iter__(self) -> Iterator[TeamRow]:
        return iter(self[:])


STATUS_ANNOTATION = "progress_status"


def _courses_total_sql() -> Case:
    """How many courses the assignment covers: its program's, or 1."""
    program_courses = ProgramCourse.objects.filter(program=OuterRef("program"))
    return Case(
        When(
            program__isnull=False,
            then=Coalesce(
                Subquery(
                    program_courses.order_by()
                    .values("program")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
        ),
        default=Value(1),
        output_field=IntegerField(),
    )


def _courses_done_sql() -> Case:
    """How many of them the assignee completed."""
    courses_of_program = ProgramCourse.objects.filter(program=OuterRef(OuterRef("program")))
    mine = Completion.objects.filter(user=OuterRef("assignee")).order_by()
    return Case(
        When(
            program__isnull=False,
            then=Coalesce(
                Subquery(
                    mine.filter(course__in=courses_of_program.values("course"))
                    .values("user")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
        ),
        When(Exists(mine.filter(course=OuterRef("course"))), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def assignments_with_status(
    assignments: QuerySet[Assignment], *, today: dt.date
) -> QuerySet[Assignment]:
    """Annotate `progress_status`: the status `assignment_states` gives, computed in SQL.

    Done: every course of the target completed (a program without courses is never done);
    else overdue: due before today; else in progress: a completion, or progress on a published
    lesson, of one of its courses; else not started."""
    # The courses of the assignment's program, from inside the completions' and the progress'
    # subqueries.
    courses_of_program = ProgramCourse.objects.filter(program=OuterRef(OuterRef("program")))
    total, done = _courses_total_sql(), _courses_done_sql()
    viewed = LessonProgress.objects.filter(
        user=OuterRef("assignee"), lesson__status=PublishStatus.PUBLISHED
    )
    has_viewed = Q(
        Exists(viewed.filter(lesson__course__in=courses_of_program.values("course"))),
        program__isnull=False,
    ) | Q(Exists(viewed.filter(lesson__course=OuterRef("course"))), course__isnull=False)
    return assignments.annotate(
        courses_total_sql=total,
        courses_done_sql=done,
        **{
            STATUS_ANNOTATION: Case(
                When(
                    Q(courses_total_sql__gt=0, courses_done_sql=F("courses_total_sql")),
                    then=Value(Status.DONE),
                ),
                When(due_date__lt=today, then=Value(Status.OVERDUE)),
                When(courses_done_sql__gt=0, then=Value(Status.IN_PROGRESS)),
                When(has_viewed, then=Value(Status.IN_PROGRESS)),
                default=Value(Status.NOT_STARTED),
            )
        },
    )


@dataclass
class TeamProgress:
    rows: TeamRows
    counts: dict[str, int]
    targets: list[tuple[str, str]]  # (value for the filter, title)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def team_progress_assignments(*, viewer: User) -> QuerySet[Assignment]:
    """Assignments of the people `viewer` may see, except the viewer's own."""
    return (
        Assignment.objects.filter(assignee__in=visible_users(viewer).values("pk"))
        .exclude(assignee=viewer)
        .select_related("assignee", "assignee__team", "program", "course")
    )


def team_progress(
    *,
    viewer: User,
    target: str = "",
    status: str = "",
    team_id: int | None = None,
    today: dt.date | None = None,
) -> TeamProgress:
    """Who is done, in progress, not started or overdue. Queries: the count per status (SQL);
    the programs and courses assigned, for the filter; and when a page of `rows` is
    read: that page's assignments (with person, team, target), their program courses, lesson
    counts, progress rows and completions."""
    assignments = team_progress_assignments(viewer=viewer)
    kind, _sep, slug = target.partition(":")
    if kind == "program" and slug:
        assignments = assignments.filter(program__slug=slug)
    elif kind == "course" and slug:
        assignments = assignments.filter(course__slug=slug)
    if team_id:
        assignments = assignments.filter(assignee__team_id=team_id)
    today = today or timezone.localdate()
    assignments = assignments_with_status(assignments, today=today)
    counts = {s: 0 for s in Status.LABELS}
    # The annotation is named by a variable: django-stubs only knows the model's own fields.
    by_status = STATUS_ANNOTATION
    for key, n in assignments.order_by().values_list(by_status).annotate(n=Count("pk")):
        counts[key] = n
    if status:
        assignments = assignments.filter(**{by_status: status})
    rows = TeamRows(
        assignments.order_by("assignee__full_name", "assignee_id", "due_date", "pk"),
        length=counts[status] if status else sum(counts.values()),
        today=today,
    )
    # One query: each assignment names a program or a course, so the distinct pairs are the
    # programs and the courses assigned.
    targets = sorted(
        {
            (f"program:{p_slug}", _("Program: %(title)s") % {"title": p_title})
            if p_slug
            else (f"course:{c_slug}", _("Course: %(title)s") % {"title": c_title})
            for p_slug, p_title, c_slug, c_title in team_progress_assignments(viewer=viewer)
            .values_list("program__slug", "program__title", "course__slug", "course__title")
            .order_by()
            .distinct()
        },
        # Programs and courses of the same name sit next to each other, told apart by the label.
        key=lambda pair: pair[1].partition(": ")[2].casefold() + pair[1],
    )
    return TeamProgress(rows=rows, counts=counts, targets=targets)


@dataclass(frozen=True)
class QuizResult:
    lesson_id: int
    lesson_title: str
    course_title: str
    course_slug: str
    attempts: int
    attempt_limit: int
    best_score: Decimal | None
    is_passed: bool
    last_attempted_at: dt.datetime

    @property
    def is_blocked(self) -> bool:
        """Every attempt used without a pass: a retake is the only way on."""
        return not self.is_passed and self.attempts >= self.attempt_limit


@dataclass
class PersonProgress:
    person: User
    rows: list[TeamRow]
    quizzes: list[QuizResult]


def person_progress(*, person: User, today: dt.date | None = None) -> PersonProgress:
    """One person's assignments with their state and every quiz they attempted. The caller has
    checked that the viewer may see `person` (accounts.access). Queries: assignments, program
    courses, progress, completions, quiz attempts (aggregated per quiz), retake grants."""
    assignments = list(
        Assignment.objects.filter(assignee=person)
        .select_related("program", "course")
        .order_by("due_date", "pk")
    )
    states = assignment_states(assignments=assignments, today=today)
    attempts = list(
        QuizAttempt.objects.filter(user=person)
        .values("lesson_id", "lesson__title", "lesson__course__title", "lesson__course__slug")
        .annotate(
            n=Count("pk"),
            best=Max("score"),
            passed=Max(Cast("passed", IntegerField())),
            last=Max("attempted_at"),
            limit=Max("lesson__max_attempts"),
        )
        .order_by("-last")
    )
    extra = dict(
        RetakeGrant.objects.filter(user=person)
        .values("lesson_id")
        .annotate(n=Sum("extra_attempts"))
        .values_list("lesson_id", "n")
    )
    return PersonProgress(
        person=person,
        rows=[TeamRow(a, states[a.pk]) for a in assignments],
        quizzes=[
            QuizResult(
                lesson_id=row["lesson_id"],
                lesson_title=row["lesson__title"],
                course_title=row["lesson__course__title"],
                course_slug=row["lesson__course__slug"],
                attempts=row["n"],
                attempt_limit=row["limit"] + extra.get(row["lesson_id"], 0),
                best_score=row["best"],
                is_passed=bool(row["passed"]),
                last_attempted_at=row["last"],
            )
            for row in attempts
        ],
    )
