"""Training test data: published courses, lessons of each kind, quizzes with known answers."""

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tests.factories import UserFactory
from training.models import (
    Assignment,
    Choice,
    Completion,
    CompletionSource,
    Course,
    Lesson,
    LessonKind,
    Program,
    ProgramCourse,
    PublishStatus,
    Question,
    QuestionKind,
)


class CourseFactory(DjangoModelFactory[Course]):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "What this course teaches."
    tags = factory.LazyFunction(lambda: ["MEDDIC"])
    estimated_minutes = 30
    status = PublishStatus.PUBLISHED


class LessonFactory(DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    kind = LessonKind.METHOD
    body = "Some **method** text."
    position = factory.Sequence(lambda n: n)
    status = PublishStatus.PUBLISHED


class StoryLessonFactory(LessonFactory):
    kind = LessonKind.STORY
    body = ""
    story_outcome = "lost"
    story_industry = "Logistics"
    story_deal_size = Decimal("140000.00")
    story_cycle_days = 167
    story_what_happened = "The date was ours, not theirs."
    story_what_we_learned = "Test every date."


class ProgramFactory(DjangoModelFactory[Program]):
    class Meta:
        model = Program

    slug = factory.Sequence(lambda n: f"program-{n}")
    title = factory.Sequence(lambda n: f"Program {n}")
    status = PublishStatus.PUBLISHED
    content_cost = Decimal("1000.00")
    cost_per_seat = Decimal("50.00")
    expected_learner_hours = Decimal("2.00")
    horizon_months = 6
    plausible_effect_pct = Decimal("5.00")


def program_with(*courses: Course, **fields: Any) -> Program:
    program = ProgramFactory(**fields)
    for position, course in enumerate(courses):
        ProgramCourse.objects.create(program=program, course=course, position=position)
    return program


def make_quiz(
    course: Course,
    *,
    questions: int = 3,
    pass_mark_pct: int = 80,
    max_attempts: int = 3,
    multiple_last: bool = False,
    **fields: Any,
) -> Lesson:
    """A quiz whose right answer is always the choice with text "right" (and, for a
    multiple-choice question, also "also right")."""
    quiz = LessonFactory(
        course=course,
        kind=LessonKind.QUIZ,
        body="",
        pass_mark_pct=pass_mark_pct,
        max_attempts=max_attempts,
        **fields,
    )
    for n in range(questions):
        multiple = multiple_last and n == questions - 1
        question = Question.objects.create(
            lesson=quiz,
            position=n,
            prompt=f"Question {n + 1}?",
            kind=QuestionKind.MULTIPLE if multiple else QuestionKind.SINGLE,
            explanation=f"Because of reason {n + 1}.",
        )
        texts = [("wrong", False), ("right", True)]
        if multiple:
            texts.append(("also right", True))
        for position, (text, correct) in enumerate(texts):
            Choice.objects.create(
                question=question, position=position, text=text, is_correct=correct
            )
    return quiz


def answers(quiz: Lesson, *, right: int | None = None) -> dict[str, list[int]]:
    """Answers to `quiz`: the first `right` questions right (all when None), the rest wrong."""
    out: dict[str, list[int]] = {}
    for n, question in enumerate(quiz.questions.order_by("position")):
        good = right is None or n < right
        out[str(question.pk)] = [c.pk for c in question.choices.all() if c.is_correct == good][
            : None if good else 1
        ]
    return out


class CompletionFactory(DjangoModelFactory[Completion]):
    class Meta:
        model = Completion

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    completed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    score = Decimal("90.00")
    source = CompletionSource.BROWSER


class AssignmentFactory(DjangoModelFactory[Assignment]):
    class Meta:
        model = Assignment

    assignee = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))


def course_with_lesson(**fields: Any) -> Course:
    """A course with one published lesson: something to assign, complete and rate."""
    course = CourseFactory(**fields)
    LessonFactory(course=course)
    return course
