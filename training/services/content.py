"""Writes to training content: courses, programs, lessons, quiz questions.

Validation failures raise django's ValidationError with a message per field, so forms, the API and
the importer report the same reasons. Positions are kept dense (0, 1, 2, ...) after every change.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from training.models import (
    PLAN_FIELDS,
    Choice,
    Course,
    Lesson,
    LessonKind,
    Program,
    ProgramCourse,
    ProgramPlanChange,
    PublishStatus,
    Question,
    QuestionKind,
    StoryOutcome,
)
from training.rendering import VIDEO_HOSTS, video_embed_parse

MAX_TAGS = 12
MAX_TAG_LENGTH = 40
MIN_CHOICES = 2
MAX_CHOICES = 8
MAX_CHOICES_IN_FORM = 6  # blank answer rows the editing form offers
STORY_DRAFTS_SLUG = "story-drafts"

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
LESSON_FIELDS = (
    "title",
    "status",
    "minutes",
    "body",
    "story_outcome",
    "story_industry",
    "story_deal_size",
    "story_cycle_days",
    "story_what_happened",
    "story_what_we_learned",
    "video_url",
    "pass_mark_pct",
    "max_attempts",
)
# Fields that only mean something for one kind of lesson; blanked for the others.
_KIND_FIELDS: dict[str, dict[str, Any]] = {
    LessonKind.STORY: {
        "story_outcome": "",
        "story_industry": "",
        "story_deal_size": None,
        "story_cycle_days": None,
        "story_what_happened": "",
        "story_what_we_learned": "",
    },
    LessonKind.VIDEO: {"video_url": ""},
}


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


def _save_validated(obj: Any, *, exclude: Sequence[str] = ()) -> None:
    obj.full_clean(exclude=list(exclude))
    obj.save()


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
    _save_validated(course, exclude=["created_by"])
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
    _save_validated(course, exclude=["created_by"])
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
        _save_validated(program)
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
        _save_validated(program)
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
    program_courses_set(program=program, courses=_moved(current, course.pk, direction))


def _moved(items: list[Any], pk: int, direction: str) -> list[Any]:
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move up or down.")]})
    index = next((i for i, item in enumerate(items) if item.pk == pk), None)
    if index is None:
        return items
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    return items


# Lessons


def _lesson_validate_kind(lesson: Lesson) -> None:
    for kind, blanks in _KIND_FIELDS.items():
        if lesson.kind != kind:
            for name, blank in blanks.items():
                setattr(lesson, name, blank)
    errors: dict[str, list[str]] = {}
    if lesson.kind == LessonKind.STORY:
        if lesson.story_outcome not in StoryOutcome.values:
            errors["story_outcome"] = [_("Say whether the deal was won or lost.")]
        if not lesson.story_what_happened.strip():
            errors["story_what_happened"] = [_("Tell what happened.")]
        if not lesson.story_what_we_learned.strip():
            errors["story_what_we_learned"] = [_("Say what we learned.")]
    if lesson.kind == LessonKind.VIDEO and video_embed_parse(lesson.video_url) is None:
        errors["video_url"] = [_("Link a video on %(hosts)s.") % {"hosts": ", ".join(VIDEO_HOSTS)}]
    if lesson.kind == LessonKind.METHOD and not lesson.body.strip():
        errors["body"] = [_("Write the lesson.")]
    if errors:
        raise ValidationError(errors)


def _unique_lesson_slug(course: Course, wanted: str) -> str:
    base = slugify(wanted)[:70] or "lesson"
    taken = set(
        Lesson.objects.filter(course=course, slug__startswith=base).values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def lesson_create(
    *,
    course: Course,
    kind: str,
    title: str,
    slug: str = "",
    created_by: User | None = None,
    **fields: Any,
) -> Lesson:
    """Append a lesson to the course. The slug is made from the title when not given."""
    unknown = set(fields) - set(LESSON_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    with transaction.atomic():
        # Lock the course row so that two lessons added at once get different positions.
        Course.objects.select_for_update().filter(pk=course.pk).first()
        last = course.lessons.aggregate(last=Max("position"))["last"]
        lesson = Lesson(
            course=course,
            kind=kind,
            title=title,
            slug=slug or _unique_lesson_slug(course, title),
            position=0 if last is None else last + 1,
            created_by=created_by,
            **fields,
        )
        _lesson_validate_kind(lesson)
        _save_validated(lesson, exclude=["created_by"])
    return lesson


def lesson_update(*, lesson: Lesson, **changes: Any) -> Lesson:
    unknown = set(changes) - set(LESSON_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    for name, value in changes.items():
        setattr(lesson, name, value)
    _lesson_validate_kind(lesson)
    _save_validated(lesson, exclude=["created_by"])
    return lesson


def lesson_move(*, lesson: Lesson, direction: str) -> None:
    with transaction.atomic():
        lessons = list(Lesson.objects.select_for_update().filter(course_id=lesson.course_id))
        _renumber(_moved(lessons, lesson.pk, direction))


def lesson_delete(*, lesson: Lesson) -> None:
    """Delete a lesson with its questions and learners' progress and attempts on it."""
    with transaction.atomic():
        course_id = lesson.course_id
        lesson.delete()
        _renumber(list(Lesson.objects.select_for_update().filter(course_id=course_id)))


def _renumber(items: Sequence[Lesson | Question]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            type(item).objects.filter(pk=item.pk).update(position=position)
            item.position = position


@dataclass(frozen=True)
class ChoiceInput:
    text: str
    is_correct: bool


def _questions_validate(
    *, lesson: Lesson, prompt: str, kind: str, choices: Sequence[ChoiceInput]
) -> list[ChoiceInput]:
    if lesson.kind != LessonKind.QUIZ:
        raise ValidationError({"lesson": [_("Questions belong to quiz lessons.")]})
    errors: dict[str, list[str]] = {}
    if not prompt.strip():
        errors["prompt"] = [_("Write the question.")]
    if kind not in QuestionKind.values:
        errors["kind"] = [_("Choose single or multiple choice.")]
    kept = [ChoiceInput(c.text.strip(), c.is_correct) for c in choices if c.text.strip()]
    correct = sum(c.is_correct for c in kept)
    if not MIN_CHOICES <= len(kept) <= MAX_CHOICES:
        errors["choices"] = [
            _("Give %(min)d to %(max)d answers.") % {"min": MIN_CHOICES, "max": MAX_CHOICES}
        ]
    elif kind == QuestionKind.SINGLE and correct != 1:
        errors["choices"] = [_("Mark exactly one answer as correct.")]
    elif kind == QuestionKind.MULTIPLE and correct < 1:
        errors["choices"] = [_("Mark at least one answer as correct.")]
    elif any(len(c.text) > 500 for c in kept):
        errors["choices"] = [_("An answer has at most 500 characters.")]
    if errors:
        raise ValidationError(errors)
    return kept


def question_create(
    *,
    lesson: Lesson,
    prompt: str,
    choices: Sequence[ChoiceInput],
    kind: str = QuestionKind.SINGLE,
    explanation: str = "",
) -> Question:
    kept = _questions_validate(lesson=lesson, prompt=prompt, kind=kind, choices=choices)
    with transaction.atomic():
        Lesson.objects.select_for_update().filter(pk=lesson.pk).first()
        last = lesson.questions.aggregate(last=Max("position"))["last"]
        question = Question.objects.create(
            lesson=lesson,
            prompt=prompt.strip(),
            kind=kind,
            explanation=explanation.strip(),
            position=0 if last is None else last + 1,
        )
        Choice.objects.bulk_create(
            Choice(question=question, position=i, text=c.text, is_correct=c.is_correct)
            for i, c in enumerate(kept)
        )
    return question


def question_update(
    *,
    question: Question,
    prompt: str,
    choices: Sequence[ChoiceInput],
    kind: str,
    explanation: str = "",
) -> Question:
    """Rewrite a question. Choices are updated in place by position, so past attempts still
    point at the same answer ids."""
    kept = _questions_validate(lesson=question.lesson, prompt=prompt, kind=kind, choices=choices)
    with transaction.atomic():
        question.prompt, question.kind = prompt.strip(), kind
        question.explanation = explanation.strip()
        question.save(update_fields=["prompt", "kind", "explanation"])
        existing = list(question.choices.select_for_update().order_by("position", "pk"))
        for position, wanted in enumerate(kept):
            if position < len(existing):
                choice = existing[position]
                if (choice.text, choice.is_correct, choice.position) != (
                    wanted.text,
                    wanted.is_correct,
                    position,
                ):
                    choice.text, choice.is_correct = wanted.text, wanted.is_correct
                    choice.position = position
                    choice.save(update_fields=["text", "is_correct", "position"])
            else:
                Choice.objects.create(
                    question=question,
                    position=position,
                    text=wanted.text,
                    is_correct=wanted.is_correct,
                )
        Choice.objects.filter(pk__in=[c.pk for c in existing[len(kept) :]]).delete()
    return question


def question_move(*, question: Question, direction: str) -> None:
    with transaction.atomic():
        questions = list(Question.objects.select_for_update().filter(lesson_id=question.lesson_id))
        _renumber(_moved(questions, question.pk, direction))


def question_delete(*, question: Question) -> None:
    with transaction.atomic():
        lesson_id = question.lesson_id
        question.delete()
        _renumber(list(Question.objects.select_for_update().filter(lesson_id=lesson_id)))


# Stories from post-mortems


def story_lesson_create_draft(
    *,
    course: Course | None,
    title: str,
    industry: str,
    deal_size: Decimal | None,
    cycle_days: int | None,
    outcome: str,
    what_happened: str,
    what_we_learned: str,
    author: User | None,
) -> Lesson:
    """A draft story lesson (invisible to learners until an editor publishes it).

    Coaching calls this to turn a deal post-mortem into a story; it keeps the link to the deal
    itself. Without a course the story lands in the draft course "Story drafts".
    """
    with transaction.atomic():
        if course is None:
            course, _created = Course.objects.get_or_create(
                slug=STORY_DRAFTS_SLUG,
                defaults={
                    "title": _("Story drafts"),
                    "summary": _("Stories from deal post-mortems, waiting for an editor."),
                    "tags": ["Win/loss"],
                    "status": PublishStatus.DRAFT,
                },
            )
        return lesson_create(
            course=course,
            kind=LessonKind.STORY,
            title=title,
            status=PublishStatus.DRAFT,
            story_outcome=outcome,
            story_industry=industry,
            story_deal_size=deal_size,
            story_cycle_days=cycle_days,
            story_what_happened=what_happened,
            story_what_we_learned=what_we_learned,
            created_by=author,
        )
