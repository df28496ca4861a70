"""Reads for the API and for other apps (the ROI engine's "trained at")."""

import datetime as dt

from django.db.models import Count, Max, Prefetch, QuerySet

from accounts.access import Actor, Principal, may_see_drafts, principal_of, visible_user_ids
from training.models import Assignment, Completion, Course, Program, ProgramCourse, PublishStatus
from training.selectors.progress import courses_with_lesson_counts


def program_completions(*, program: Program) -> dict[int, dt.datetime]:
    """{user id: when they completed the program}: a program is complete when all its courses
    are, at the time of the last one. The ROI engine treats this as "trained at". Two queries."""
    course_ids = list(program.program_courses.values_list("course_id", flat=True))
    if not course_ids:
        return {}
    rows = (
        Completion.objects.filter(course_id__in=course_ids)
        .values("user_id")
        .annotate(courses=Count("course_id", distinct=True), last=Max("completed_at"))
        .filter(courses=len(course_ids))
        .values_list("user_id", "last")
    )
    return dict(rows)


def _programs_with_courses() -> QuerySet[Program]:
    return Program.objects.prefetch_related(
        Prefetch(
            "program_courses",
            queryset=ProgramCourse.objects.select_related("course").order_by("position", "pk"),
        )
    ).order_by("title", "pk")


def program_with_courses(*, pk: int) -> Program:
    return _programs_with_courses().get(pk=pk)


def course_with_counts(*, pk: int) -> Course:
    return courses_with_lesson_counts().get(pk=pk)


def program_list(*, principal: Actor | Principal) -> QuerySet[Program]:
    """Programs with their ordered courses (two queries). Drafts only for whoever sees drafts:
    the same rule as the detail (training.access.program_get_for_learner)."""
    programs = _programs_with_courses()
    if may_see_drafts(principal):
        return programs
    return programs.filter(status=PublishStatus.PUBLISHED)


def course_list(*, principal: Actor | Principal) -> QuerySet[Course]:
    """Courses with lesson counts (one query). Drafts only for whoever sees drafts: the same
    rule as the detail (training.access.course_get_for_learner)."""
    courses = courses_with_lesson_counts().order_by("title", "pk")
    if may_see_drafts(principal):
        return courses
    return courses.filter(status=PublishStatus.PUBLISHED)


def assignment_list(*, principal: Actor | Principal) -> QuerySet[Assignment]:
    """Assignments of visible people (keys: with training:read, everyone's)."""
    assignments = Assignment.objects.select_related("assignee", "program", "course").order_by(
        "due_date", "pk"
    )
    p = principal_of(principal)
    if p.is_key:
        return assignments if p.has_scope("training:read") else assignments.none()
    return assignments.filter(assignee__in=visible_user_ids(p))
