"""The assignment state engine: done, in progress, not started or overdue, with a resume link."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from training.models import Assignment, Course
from training.selectors.progress import (
    CourseInfo,
    LearnerFacts,
    LessonStub,
    Status,
    courses_of_programs,
    learner_facts,
    lesson_count_by_course,
    lesson_stubs,
    percent_of,
    resume_lesson,
)

# An assignment is "due soon" this many days ahead (the reminder email uses the same window).
DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class AssignmentState:
    status: str
    percent: int
    courses_done: int
    courses_total: int
    completed_at: dt.datetime | None
    # The course and lesson to continue with (None when done or empty).
    resume_course_slug: str | None = None
    resume_lesson_slug: str | None = None
    course_ids: tuple[int, ...] = ()

    @property
    def is_done(self) -> bool:
        return self.status == Status.DONE

    @property
    def label(self) -> str:
        return str(Status.LABELS[self.status])

    @property
    def badge(self) -> str:
        return Status.BADGES[self.status]


def _assigned_courses(assignments: Sequence[Assignment]) -> dict[int, list[Course | CourseInfo]]:
    """Each assignment's courses: its program's, in order (one query), or its course."""
    program_courses = courses_of_programs({a.program_id for a in assignments if a.program_id})
    courses_of: dict[int, list[Course | CourseInfo]] = {}
    for a in assignments:
        if a.program_id:
            courses_of[a.pk] = list(program_courses.get(a.program_id, []))
        else:
            assert a.course is not None
            courses_of[a.pk] = [a.course]
    return courses_of


def _status(*, is_done: bool, is_late: bool, touched: bool) -> str:
    if is_done:
        return Status.DONE
    if is_late:
        return Status.OVERDUE
    return Status.IN_PROGRESS if touched else Status.NOT_STARTED


def _state(
    a: Assignment,
    courses: list[Course | CourseInfo],
    *,
    facts: LearnerFacts,
    lesson_counts: dict[int, int],
    stubs: dict[int, list[LessonStub]],
    with_resume: bool,
    today: dt.date,
) -> AssignmentState:
    total = done = courses_done = 0
    touched = False
    last_completed: dt.datetime | None = None
    resume: tuple[str, str] | None = None
    for course in courses:
        key = (a.assignee_id, course.pk)
        count = lesson_counts.get(course.pk, 0)
        completion = facts.completed.get(key)
        total += count
        if completion is not None:
            done += count
            courses_done += 1
            touched = True
            if last_completed is None or completion.completed_at > last_completed:
                last_completed = completion.completed_at
            continue
        done += min(count, facts.done_count(*key))
        touched = touched or bool(facts.viewed.get(key))
        if resume is None and with_resume:
            stub = resume_lesson(
                stubs.get(course.pk, []), facts.done.get(key, set()), facts.last_viewed.get(key)
            )
            if stub is not None:
                resume = (course.slug, stub.slug)
    is_done = bool(courses) and courses_done == len(courses)
    return AssignmentState(
        status=_status(is_done=is_done, is_late=a.due_date < today, touched=touched),
        percent=100 if is_done else percent_of(done, total),
        courses_done=courses_done,
        courses_total=len(courses),
        completed_at=last_completed if is_done else None,
        resume_course_slug=None if resume is None else resume[0],
        resume_lesson_slug=None if resume is None else resume[1],
        course_ids=tuple(c.pk for c in courses),
    )


def assignment_states(
    *,
    assignments: Sequence[Assignment],
    today: dt.date | None = None,
    with_resume: bool = False,
    facts: "LearnerFacts | None" = None,
    lesson_counts: dict[int, int] | None = None,
) -> dict[int, AssignmentState]:
    """Status and progress of each assignment (select_related course), in 4 queries: program
    courses, lesson counts, progress rows, completions (+1 for lessons with_resume). A caller
    that already loaded the assignees' progress passes it as `facts`, and the lesson counts of
    courses it loaded as `lesson_counts` (fewer queries)."""
    today = today or timezone.localdate()
    if not assignments:
        return {}
    courses_of = _assigned_courses(assignments)
    all_course_ids = {c.pk for cs in courses_of.values() for c in cs}
    lesson_counts = dict(lesson_counts or {})
    lesson_counts.update(lesson_count_by_course(all_course_ids - set(lesson_counts)))
    if facts is None:
        facts = learner_facts(
            user_ids=list({a.assignee_id for a in assignments}), course_ids=all_course_ids
        )
    stubs = lesson_stubs(all_course_ids) if with_resume else {}
    return {
        a.pk: _state(
            a,
            courses_of[a.pk],
            facts=facts,
            lesson_counts=lesson_counts,
            stubs=stubs,
            with_resume=with_resume,
            today=today,
        )
        for a in assignments
    }


@dataclass(frozen=True)
class AssignmentRow:
    assignment: Assignment
    state: AssignmentState

    @property
    def is_program(self) -> bool:
        return self.assignment.program_id is not None

    @property
    def is_due_soon(self) -> bool:
        days = (self.assignment.due_date - timezone.localdate()).days
        return not self.state.is_done and 0 <= days <= DUE_SOON_DAYS
