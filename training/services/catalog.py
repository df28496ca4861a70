"""Writes to the training catalog: courses and programs, and each program's measurement plan.

Validation failures raise django's ValidationError with a message per field, so forms, the API and
the importer report the same reasons.
"""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from training.models import (
    PLAN_FIELDS,
    Course,
    Program,
    ProgramCourse,
    ProgramPlanChange,
    PublishStatus,
)
from training.services.editing import moved, save_validated

MAX_TAGS = 12
MAX_TAG_LENGTH = 40
COURSE_FIELDS = ("title", "summary", "tags", "estimated_minutes", "status")
PROGRAM_FIELDS = (
    "title",
    "summary",
    "status",
    "content_cost",
    "cost_per_seat",
    "expected_learner_hours",
    "primary_metric",
    "horizon_months",
    "plausible_effect_pct",
    "anticipation_months",
    "is_evaluation",
)


def tags_clean(raw: Any) -> list[str]:
    """A list of distinct, trimmed tags (first spelling wins), or ValidationError."""
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, (list, tuple)) or not all(isinstance(t, str) for t in raw):
        raise ValidationError({"tags": [_("Give the tags as a list of words.")]})
    tags: list[str] = []
    seen: set[str] = set()
    for tag in (t.strip() for t in raw):
        if not tag or tag.casefold() in seen:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                {"tags": [_("A tag has at most %(n)d characters.") % {"n": MAX_TAG_LENGTH}]}
            )
        seen.add(tag.casefold())
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": [_("At most %(n)d tags.") % {"n": MAX_TAGS}]})
    return tags


# Courses


def course_create(
    *,
    slug: str,
    title: str,
    summary: str = "",
    tags: Iterable[str] = (),
    estimated_minutes: int = 30,
    status: str = PublishStatus.DRAFT,
    created_by: User | None = None,
) -> Course:
    course = Course(
        slug=slug,
        title=title,
        summary=summary,
        tags=tags_clean(list(tags)),
        estimated_minutes=estimated_minutes,
        status=status,
        created_by=created_by,
    )
    save_validated(course, exclude=["created_by"])
    return course


def course_update(*, course: Course, **changes: Any) -> Course:
    """Change the given fields (a subset of COURSE_FIELDS). The slug never changes: integrations
    and exported folders refer to courses by it."""
    unknown = set(changes) - set(COURSE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    if "tags" in changes:
        changes["tags"] = tags_clean(changes["tags"])
    for name, value in changes.items():
        setattr(course, name, value)
    save_validated(course, exclude=["created_by"])
    return course


# Programs


def program_create(
    *, slug: str, title: str, courses: Sequence[Course] = (), **fields: Any
) -> Program:
    unknown = set(fields) - set(PROGRAM_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    program = Program(slug=slug, title=title, **fields)
    with transaction.atomic():
        save_validated(program)
        program_courses_set(program=program, courses=courses)
    return program


def program_update(
    *,
    program: Program,
    courses: Sequence[Course] | None = None,
    changed_by: User | None = None,
    **changes: Any,
) -> Program:
    """Change the given fields (a subset of PROGRAM_FIELDS). An edit of the measurement plan
    (PLAN_FIELDS) is recorded with who made it and when: the ROI reports show a plan changed
    after results instead of silently re-grading."""
    unknown = set(changes) - set(PROGRAM_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    with transaction.atomic():
        before = program_plan_stored(program=program)
        for name, value in changes.items():
            setattr(program, name, value)
        save_validated(program)
        program_plan_changes_record(program=program, before=before, changed_by=changed_by)
        if courses is not None:
            program_courses_set(program=program, courses=courses)
    return program


def _plan_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def program_plan_stored(*, program: Program) -> dict[str, str]:
    """The plan as the database holds it (a bound form may already have changed `program`)."""
    stored = Program.objects.filter(pk=program.pk).values(*PLAN_FIELDS).first() or {}
    return {name: _plan_value(stored.get(name)) for name in PLAN_FIELDS}


def program_plan_changes_record(
    *, program: Program, before: dict[str, str], changed_by: User | None
) -> int:
    """Record each plan field of `program` (as saved) that differs from `before`; how many."""
    rows = [
        ProgramPlanChange(
            program=program,
            field=name,
            old_value=before[name],
            new_value=_plan_value(getattr(program, name)),
            changed_by=changed_by,
        )
        for name in PLAN_FIELDS
        if before.get(name, "") != _plan_value(getattr(program, name))
    ]
    ProgramPlanChange.objects.bulk_create(rows)
    return len(rows)


def program_courses_set(*, program: Program, courses: Sequence[Course]) -> None:
    """Make the program's courses exactly `courses`, in that order."""
    if len({c.pk for c in courses}) != len(courses):
        raise ValidationError({"courses": [_("A course can be in a program only once.")]})
    with transaction.atomic():
        links = {link.course_id: link for link in program.program_courses.select_for_update()}
        wanted = [c.pk for c in courses]
        program.program_courses.exclude(course_id__in=wanted).delete()
        for position, course_id in enumerate(wanted):
            link = links.get(course_id)
            if link is None:
                ProgramCourse.objects.create(
                    program=program, course_id=course_id, position=position
                )
            elif link.position != position:
                ProgramCourse.objects.filter(pk=link.pk).update(position=position)


def program_course_add(*, program: Program, course: Course) -> None:
    current = [link.course for link in program.program_courses.select_related("course")]
    if any(c.pk == course.pk for c in current):
        return
    program_courses_set(program=program, courses=[*current, course])


def program_course_remove(*, program: Program, course: Course) -> None:
    current = [link.course for link in program.program_courses.select_related("course")]
    program_courses_set(program=program, courses=[c for c in current if c.pk != course.pk])


def program_course_move(*, program: Program, course: Course, direction: str) -> None:
    current = [link.course for link in program.program_courses.select_related("course")]
    program_courses_set(program=program, courses=moved(current, course.pk, direction))
