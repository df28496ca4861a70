from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import UserFactory
from tests.training.factories import CourseFactory, LessonFactory, make_quiz
from training.models import Course, Lesson, LessonKind, ProgramCourse, PublishStatus, Question
from training.services import (
    ChoiceInput,
    course_create,
    course_update,
    lesson_create,
    lesson_delete,
    lesson_move,
    lesson_update,
    program_course_add,
    program_course_move,
    program_course_remove,
    program_create,
    question_create,
    question_move,
    question_update,
    story_lesson_create_draft,
)

pytestmark = pytest.mark.django_db


def test_course_create_cleans_tags_and_keeps_the_slug():
    course = course_create(
        slug="meddic-101", title="MEDDIC 101", tags=[" MEDDIC", "meddic", "SPIN", ""]
    )

    assert Course.objects.get(slug="meddic-101").tags == ["MEDDIC", "SPIN"]
    assert course.status == PublishStatus.DRAFT


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "Not a slug!", "title": "T"}, "slug"),
        ({"slug": "ok", "title": ""}, "title"),
        ({"slug": "ok", "title": "T", "status": "archived"}, "status"),
        ({"slug": "ok", "title": "T", "tags": ["x" * 41]}, "tags"),
    ],
)
def test_course_create_refuses_bad_fields_and_writes_nothing(fields, field):
    with pytest.raises(ValidationError) as caught:
        course_create(**fields)

    assert field in caught.value.message_dict
    assert not Course.objects.exists()


def test_course_slug_is_unique():
    CourseFactory(slug="taken")

    with pytest.raises(ValidationError) as caught:
        course_create(slug="taken", title="Again")

    assert "slug" in caught.value.message_dict


def test_course_update_cannot_change_the_slug():
    course = CourseFactory(slug="stable")

    with pytest.raises(ValidationError):
        course_update(course=course, slug="moved")

    course_update(course=course, title="New title")
    assert Course.objects.get(slug="stable").title == "New title"


def test_lessons_are_appended_in_order_with_slugs_from_titles():
    course = CourseFactory()

    first = lesson_create(course=course, kind=LessonKind.METHOD, title="Why deals die", body="x")
    second = lesson_create(course=course, kind=LessonKind.METHOD, title="Why deals die", body="y")

    assert (first.position, first.slug) == (0, "why-deals-die")
    assert (second.position, second.slug) == (1, "why-deals-die-2")


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        (LessonKind.METHOD, {"body": " "}, "body"),
        (LessonKind.STORY, {"story_outcome": "", "story_what_happened": "a"}, "story_outcome"),
        (
            LessonKind.STORY,
            {"story_outcome": "won", "story_what_happened": "", "story_what_we_learned": "b"},
            "story_what_happened",
        ),
        (LessonKind.VIDEO, {"video_url": "https://evil.example/v/1"}, "video_url"),
    ],
)
def test_lesson_create_checks_what_each_kind_needs(kind, fields, field):
    course = CourseFactory()

    with pytest.raises(ValidationError) as caught:
        lesson_create(course=course, kind=kind, title="T", **fields)

    assert field in caught.value.message_dict
    assert not Lesson.objects.exists()


def test_fields_of_other_kinds_are_blanked():
    course = CourseFactory()

    lesson = lesson_create(
        course=course,
        kind=LessonKind.METHOD,
        title="T",
        body="text",
        story_industry="Retail",
        video_url="https://youtu.be/dQw4w9WgXcQ",
    )

    lesson.refresh_from_db()
    assert (lesson.story_industry, lesson.video_url) == ("", "")


def test_lessons_move_up_and_down_and_stay_dense_after_delete():
    course = CourseFactory()
    a, b, c = (LessonFactory(course=course, position=i) for i in range(3))

    lesson_move(lesson=c, direction="up")
    lesson_move(lesson=a, direction="up")  # already first: nothing moves
    lesson_delete(lesson=b)

    assert list(course.lessons.order_by("position").values_list("pk", "position")) == [
        (a.pk, 0),
        (c.pk, 1),
    ]


def test_lesson_move_refuses_other_directions():
    lesson = LessonFactory()

    with pytest.raises(ValidationError):
        lesson_move(lesson=lesson, direction="sideways")


@pytest.mark.parametrize(
    ("kind", "choices", "field"),
    [
        ("single", [("a", True), ("b", True)], "choices"),
        ("single", [("a", False), ("b", False)], "choices"),
        ("multiple", [("a", False), ("b", False)], "choices"),
        ("single", [("only", True)], "choices"),
        ("single", [("a", True), ("", False)], "choices"),  # blank answers are dropped
        ("either", [("a", True), ("b", False)], "kind"),
    ],
)
def test_question_create_checks_the_answers(kind, choices, field):
    quiz = make_quiz(CourseFactory(), questions=0)

    with pytest.raises(ValidationError) as caught:
        question_create(
            lesson=quiz,
            prompt="Q?",
            kind=kind,
            choices=[ChoiceInput(text, correct) for text, correct in choices],
        )

    assert field in caught.value.message_dict
    assert not Question.objects.exists()


def test_questions_only_go_on_quizzes():
    with pytest.raises(ValidationError):
        question_create(
            lesson=LessonFactory(),
            prompt="Q?",
            choices=[ChoiceInput("a", True), ChoiceInput("b", False)],
        )


def test_question_update_keeps_answer_ids_by_position():
    quiz = make_quiz(CourseFactory(), questions=1)
    question = quiz.questions.get()
    before = list(question.choices.values_list("pk", flat=True))

    question_update(
        question=question,
        prompt="Reworded?",
        kind="single",
        choices=[
            ChoiceInput("first", True),
            ChoiceInput("second", False),
            ChoiceInput("third", False),
        ],
        explanation="Why.",
    )

    after = list(question.choices.order_by("position").values_list("pk", "text", "is_correct"))
    assert [pk for pk, *_rest in after[:2]] == before
    assert [(t, c) for _pk, t, c in after] == [("first", True), ("second", False), ("third", False)]


def test_questions_reorder():
    quiz = make_quiz(CourseFactory(), questions=2)
    first, second = quiz.questions.order_by("position")

    question_move(question=second, direction="up")

    assert list(quiz.questions.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


def test_program_courses_are_ordered_added_moved_and_removed():
    a, b, c = CourseFactory(), CourseFactory(), CourseFactory()
    program = program_create(slug="foundations", title="Foundations", courses=[a, b])

    program_course_add(program=program, course=c)
    program_course_add(program=program, course=a)  # already in: nothing changes
    program_course_move(program=program, course=c, direction="up")
    program_course_remove(program=program, course=a)

    assert list(
        ProgramCourse.objects.filter(program=program)
        .order_by("position")
        .values_list("course_id", "position")
    ) == [(c.pk, 0), (b.pk, 1)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"horizon_months": 0}, "__all__"),
        ({"content_cost": Decimal("-1")}, "__all__"),
        ({"primary_metric": "vibes"}, "primary_metric"),
    ],
)
def test_program_create_refuses_a_bad_plan(fields, field):
    with pytest.raises(ValidationError) as caught:
        program_create(slug="p", title="P", **fields)

    assert field in caught.value.message_dict


def test_program_refuses_the_same_course_twice():
    course = CourseFactory()

    with pytest.raises(ValidationError):
        program_create(slug="dup", title="Dup", courses=[course, course])

    assert not ProgramCourse.objects.exists()


def test_story_lesson_create_draft_lands_in_story_drafts_as_a_draft():
    author = UserFactory()

    lesson = story_lesson_create_draft(
        course=None,
        title="Lost: a 90,000 USD deal",
        industry="Retail",
        deal_size=Decimal("90000"),
        cycle_days=120,
        outcome="lost",
        what_happened="It slipped twice.",
        what_we_learned="Test the date.",
        author=author,
    )

    lesson.refresh_from_db()
    assert lesson.course.slug == "story-drafts"
    assert lesson.course.status == PublishStatus.DRAFT
    assert (lesson.kind, lesson.status, lesson.created_by) == ("story", "draft", author)
    assert (lesson.story_outcome, lesson.story_cycle_days) == ("lost", 120)


def test_story_lesson_create_draft_into_a_course_stays_hidden_from_learners():
    course = CourseFactory()
    existing = LessonFactory(course=course)

    lesson = story_lesson_create_draft(
        course=course,
        title="Won",
        industry="",
        deal_size=None,
        cycle_days=None,
        outcome="won",
        what_happened="a",
        what_we_learned="b",
        author=None,
    )

    assert lesson.position == existing.position + 1
    assert not course.lessons.published().filter(pk=lesson.pk).exists()


def test_lesson_update_publishes_a_draft():
    lesson = LessonFactory(status=PublishStatus.DRAFT)

    lesson_update(lesson=lesson, status=PublishStatus.PUBLISHED)

    assert Lesson.objects.get(pk=lesson.pk).status == PublishStatus.PUBLISHED
