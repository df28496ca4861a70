"""Writes to what a course is made of: lessons, quiz questions and their answers, and lessons
drafted from post-mortem stories.

Validation failures raise django's ValidationError with a message per field, so forms, the API and
the importer report the same reasons. Positions are kept dense (0, 1, 2, ...) after every change.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.kinds import Kind
from notifications.services import notify
from training.models import (
    Choice,
    Course,
    Lesson,
    LessonKind,
    PublishStatus,
    Question,
    QuestionKind,
    StoryOutcome,
)
from training.rendering import VIDEO_HOSTS, video_embed_parse
from training.services.editing import moved, renumber, save_validated

MIN_CHOICES = 2
MAX_CHOICES = 8
MAX_CHOICES_IN_FORM = 6  # blank answer rows the editing form offers
STORY_DRAFTS_SLUG = "story-drafts"

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
    "scorm_package",
    "scorm_launch",
    "scorm_item",
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
    LessonKind.SCORM: {"scorm_package": None, "scorm_launch": "", "scorm_item": ""},
}


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
    if lesson.kind == LessonKind.SCORM and (
        lesson.scorm_package is None or not lesson.scorm_launch
    ):
        errors["kind"] = [_("A SCORM lesson is made by importing a SCORM package.")]
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
        save_validated(lesson, exclude=["created_by"])
        if lesson.status == PublishStatus.PUBLISHED:
            _story_published_notify(lesson=lesson, actor=created_by)
    return lesson


def lesson_update(*, lesson: Lesson, actor: User | None = None, **changes: Any) -> Lesson:
    unknown = set(changes) - set(LESSON_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    was_published = (
        lesson.pk is not None
        and Lesson.objects.filter(pk=lesson.pk, status=PublishStatus.PUBLISHED).exists()
    )
    for name, value in changes.items():
        setattr(lesson, name, value)
    _lesson_validate_kind(lesson)
    with transaction.atomic():
        save_validated(lesson, exclude=["created_by"])
        if lesson.status == PublishStatus.PUBLISHED and not was_published:
            _story_published_notify(lesson=lesson, actor=actor)
    return lesson


def _story_published_notify(*, lesson: Lesson, actor: User | None) -> None:
    """A win or loss story just went live: tell the people the course is assigned to (directly
    or through a program). Nothing for other kinds, or while the course is a draft."""
    if lesson.kind != LessonKind.STORY or lesson.course.status != PublishStatus.PUBLISHED:
        return
    course = lesson.course
    people = User.objects.filter(
        Q(training_assignments__course=course)
        | Q(training_assignments__program__program_courses__course=course),
        is_active=True,
    ).distinct()
    notify(
        recipients=list(people),
        kind=Kind.STORY_PUBLISHED,
        params={"title": lesson.title, "course": course.title},
        url=reverse("training:lesson_detail", args=[course.slug, lesson.slug]),
        actor=actor,
    )


def lesson_move(*, lesson: Lesson, direction: str) -> None:
    with transaction.atomic():
        lessons = list(Lesson.objects.select_for_update().filter(course_id=lesson.course_id))
        renumber(moved(lessons, lesson.pk, direction))


def lesson_delete(*, lesson: Lesson) -> None:
    """Delete a lesson with its questions and learners' progress and attempts on it."""
    with transaction.atomic():
        course_id = lesson.course_id
        lesson.delete()
        renumber(list(Lesson.objects.select_for_update().filter(course_id=course_id)))


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
        renumber(moved(questions, question.pk, direction))


def question_delete(*, question: Question) -> None:
    with transaction.atomic():
        lesson_id = question.lesson_id
        question.delete()
        renumber(list(Question.objects.select_for_update().filter(lesson_id=lesson_id)))


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
