import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import UserFactory
from tests.training.factories import (
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    answers,
    make_quiz,
    program_with,
)
from training.models import Completion, CourseRating, LessonProgress, PublishStatus, QuizAttempt
from training.selectors import program_completions
from training.services import course_rate, lesson_complete, lesson_view_record, quiz_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def emitted(monkeypatch):
    """The events training emits, as (type, payload) pairs."""
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        "training.services.learning.event_emit",
        lambda *, event_type, payload: calls.append((event_type, payload)),
    )
    return calls


def test_opening_a_lesson_records_where_the_learner_is():
    user, lesson = UserFactory(), LessonFactory()

    lesson_view_record(user=user, lesson=lesson)
    first = LessonProgress.objects.get().last_viewed_at
    lesson_view_record(user=user, lesson=lesson)

    progress = LessonProgress.objects.get()
    assert progress.last_viewed_at >= first
    assert progress.completed_at is None


def test_completing_the_last_lesson_completes_the_course_once(emitted):
    user, course = UserFactory(), CourseFactory()
    first, last = LessonFactory(course=course), LessonFactory(course=course)
    LessonFactory(course=course, status=PublishStatus.DRAFT)  # drafts do not count

    assert lesson_complete(user=user, lesson=first) is None
    completion = lesson_complete(user=user, lesson=last)
    again = lesson_complete(user=user, lesson=last)

    assert completion is not None and again is None
    stored = Completion.objects.get()
    assert (stored.user, stored.course, stored.score, stored.source) == (
        user,
        course,
        None,
        "browser",
    )
    assert [t for t, _p in emitted] == ["course.completed"]
    assert emitted[0][1]["course"] == {"slug": course.slug, "title": course.title}
    assert emitted[0][1]["user"]["email"] == user.email


def test_quizzes_are_not_marked_done_by_hand():
    quiz = make_quiz(CourseFactory())

    with pytest.raises(ValidationError):
        lesson_complete(user=UserFactory(), lesson=quiz)

    assert not LessonProgress.objects.exists()


def test_a_quiz_is_graded_on_the_server():
    user = UserFactory()
    quiz = make_quiz(CourseFactory(), questions=4, pass_mark_pct=75, multiple_last=True)

    outcome = quiz_submit(user=user, lesson=quiz, answers=answers(quiz, right=3))

    attempt = QuizAttempt.objects.get()
    assert (attempt.number, attempt.score, attempt.passed) == (1, Decimal("75.00"), True)
    assert [f.is_correct for f in outcome.feedback] == [True, True, True, False]
    assert LessonProgress.objects.get(user=user, lesson=quiz).completed_at is not None


def test_a_multiple_choice_question_needs_every_right_answer():
    user = UserFactory()
    quiz = make_quiz(CourseFactory(), questions=1, multiple_last=True)
    question = quiz.questions.get()
    one_right = question.choices.get(text="right").pk

    outcome = quiz_submit(user=user, lesson=quiz, answers={str(question.pk): [one_right]})

    assert outcome.attempt.score == Decimal("0.00")
    assert outcome.attempt.passed is False


def test_unanswered_questions_count_as_wrong():
    quiz = make_quiz(CourseFactory(), questions=2)
    first = quiz.questions.order_by("position").first()
    # One question answered right, the other left blank (a fully blank submit is refused:
    # test_training_retakes).
    one_answered = {str(first.pk): [c.pk for c in first.choices.all() if c.is_correct]}

    outcome = quiz_submit(user=UserFactory(), lesson=quiz, answers=one_answered)

    assert outcome.attempt.score == Decimal("50.00")


@pytest.mark.parametrize(
    "bad",
    [
        {"999999": []},
        {"not-a-number": []},
        "choice of another question",
        "two answers to a single-choice question",
        "a choice that is not a number",
    ],
)
def test_answers_outside_the_quiz_are_refused_and_nothing_is_recorded(bad):
    user = UserFactory()
    quiz = make_quiz(CourseFactory(), questions=2)
    other = make_quiz(CourseFactory(), questions=1)
    q1, _q2 = quiz.questions.order_by("position")
    if bad == "choice of another question":
        bad = {str(q1.pk): [other.questions.get().choices.first().pk]}
    elif bad == "two answers to a single-choice question":
        bad = {str(q1.pk): list(q1.choices.values_list("pk", flat=True))}
    elif bad == "a choice that is not a number":
        bad = {str(q1.pk): ["abc"]}

    with pytest.raises(ValidationError):
        quiz_submit(user=user, lesson=quiz, answers=bad)

    assert not QuizAttempt.objects.exists()
    assert not LessonProgress.objects.exists()


def test_fail_then_pass_then_no_more_attempts(emitted):
    user, course = UserFactory(), CourseFactory()
    reading = LessonFactory(course=course)
    quiz = make_quiz(course, questions=5)
    lesson_complete(user=user, lesson=reading)

    failed = quiz_submit(user=user, lesson=quiz, answers=answers(quiz, right=2))
    passed = quiz_submit(user=user, lesson=quiz, answers=answers(quiz, right=4))

    assert (failed.attempt.passed, failed.completion) == (False, None)
    assert passed.attempt.passed and passed.completion is not None
    assert passed.completion.score == Decimal("80.00")  # the best quiz score
    with pytest.raises(ValidationError) as caught:
        quiz_submit(user=user, lesson=quiz, answers=answers(quiz))
    assert caught.value.error_dict["answers"][0].code == "already_passed"
    assert QuizAttempt.objects.count() == 2
    assert [t for t, _p in emitted] == ["course.completed"]


def test_the_attempt_limit_is_enforced():
    user = UserFactory()
    quiz = make_quiz(CourseFactory(), questions=2, max_attempts=2)
    quiz_submit(user=user, lesson=quiz, answers=answers(quiz, right=0))
    quiz_submit(user=user, lesson=quiz, answers=answers(quiz, right=1))

    with pytest.raises(ValidationError) as caught:
        quiz_submit(user=user, lesson=quiz, answers=answers(quiz))

    assert caught.value.error_dict["answers"][0].code == "attempt_limit"
    assert list(QuizAttempt.objects.values_list("number", flat=True)) == [1, 2]


def test_finishing_a_programs_last_course_emits_program_completed(emitted):
    user = UserFactory()
    first, second = CourseFactory(), CourseFactory()
    program = program_with(first, second)
    CompletionFactory(user=user, course=first)
    lesson = LessonFactory(course=second)

    lesson_complete(user=user, lesson=lesson)

    assert [t for t, _p in emitted] == ["course.completed", "program.completed"]
    assert emitted[1][1]["program"] == {"slug": program.slug, "title": program.title}


def test_program_completions_is_the_date_of_the_last_course():
    early, late = timezone.now() - dt.timedelta(days=30), timezone.now() - dt.timedelta(days=2)
    done, half = UserFactory(), UserFactory()
    first, second = CourseFactory(), CourseFactory()
    program = program_with(first, second)
    CompletionFactory(user=done, course=first, completed_at=late)
    CompletionFactory(user=done, course=second, completed_at=early)
    CompletionFactory(user=half, course=first, completed_at=early)
    CompletionFactory(user=half, course=CourseFactory(), completed_at=early)  # not in program

    assert program_completions(program=program) == {done.pk: late}


def test_program_completions_of_an_empty_program_is_empty():
    assert program_completions(program=program_with()) == {}


@pytest.mark.usefixtures("field_encryption_key")
def test_completion_events_reach_subscribers_after_commit(django_capture_on_commit_callbacks):
    from events.models import WebhookDelivery, WebhookSubscription

    WebhookSubscription.objects.create(
        name="HR", url="https://hr.example/hook", event_types=["course.completed"], secret="s3"
    )
    user, lesson = UserFactory(), LessonFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        lesson_complete(user=user, lesson=lesson)

    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "course.completed"
    assert len(callbacks) == 1


def test_a_rating_needs_a_completion_and_can_be_changed():
    user, course = UserFactory(), CourseFactory()
    LessonFactory(course=course)

    with pytest.raises(ValidationError):
        course_rate(user=user, course=course, stars=5)
    CompletionFactory(user=user, course=course)
    course_rate(user=user, course=course, stars=5, comment="Useful")
    course_rate(user=user, course=course, stars=4, comment=" Less so ")

    assert list(CourseRating.objects.values_list("stars", "comment")) == [(4, "Less so")]


@pytest.mark.parametrize("stars", [0, 6])
def test_ratings_are_one_to_five(stars):
    user, course = UserFactory(), CourseFactory()
    CompletionFactory(user=user, course=course)

    with pytest.raises(ValidationError):
        course_rate(user=user, course=course, stars=stars)

    assert not CourseRating.objects.exists()


def test_a_course_without_lessons_cannot_be_rated_even_with_an_imported_completion():
    user, course = UserFactory(), CourseFactory()
    CompletionFactory(user=user, course=course)

    with pytest.raises(ValidationError, match="no lessons yet"):
        course_rate(user=user, course=course, stars=5)

    assert not CourseRating.objects.exists()
