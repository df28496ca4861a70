"""An admin resets a learner's quiz attempts from the person's page."""

import pytest

from tests.training.factories import CompletionFactory, CourseFactory, answers, make_quiz
from training.models import Completion, QuizAttempt
from training.services import quiz_submit

pytestmark = pytest.mark.django_db


def _used_up(user, quiz) -> None:  # type: ignore[no-untyped-def]
    for _n in range(quiz.max_attempts):
        quiz_submit(user=user, lesson=quiz, answers=answers(quiz, right=0))


def test_resetting_one_quiz_lets_the_learner_try_again_and_keeps_the_rest(cast, client):
    course = CourseFactory()
    quiz, other = make_quiz(course, max_attempts=2), make_quiz(course, max_attempts=2)
    _used_up(cast.rep, quiz)
    _used_up(cast.rep, other)
    _used_up(cast.rep_peer, quiz)
    CompletionFactory(user=cast.rep, course=course)
    client.force_login(cast.admin)

    response = client.post(f"/learn/people/{cast.rep.pk}/attempts/", {"lesson": quiz.pk})

    assert response.status_code == 302
    assert QuizAttempt.objects.filter(user=cast.rep, lesson=quiz).count() == 0
    assert QuizAttempt.objects.filter(user=cast.rep, lesson=other).count() == 2
    assert QuizAttempt.objects.filter(user=cast.rep_peer).count() == 2
    assert Completion.objects.filter(user=cast.rep).count() == 1
    outcome = quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz))
    assert (outcome.attempt.number, outcome.attempt.passed) == (1, True)


def test_resetting_every_quiz(cast, client):
    course = CourseFactory()
    quiz, other = make_quiz(course), make_quiz(course)
    _used_up(cast.rep, quiz)
    quiz_submit(user=cast.rep, lesson=other, answers=answers(other))
    client.force_login(cast.admin)

    client.post(f"/learn/people/{cast.rep.pk}/attempts/")

    assert QuizAttempt.objects.filter(user=cast.rep).count() == 0


@pytest.mark.parametrize("lesson", ["abc", "-1", "99999999999999999999999", "1\x00"])
def test_a_bad_lesson_id_resets_nothing(cast, client, lesson):
    quiz = make_quiz(CourseFactory())
    _used_up(cast.rep, quiz)
    client.force_login(cast.admin)

    response = client.post(f"/learn/people/{cast.rep.pk}/attempts/", {"lesson": lesson})

    assert response.status_code == 302
    assert QuizAttempt.objects.filter(user=cast.rep).count() == 3


@pytest.mark.parametrize("quizzes", [1, 6])
def test_attempts_page_lists_each_quiz_in_constant_queries(
    cast, client, django_assert_num_queries, quizzes
):
    course = CourseFactory()
    for _n in range(quizzes):
        quiz_submit(user=cast.rep, lesson=make_quiz(course), answers=answers_for_new(course))
    client.force_login(cast.admin)

    # session, user, the person, their attempts grouped by quiz
    with django_assert_num_queries(4):
        response = client.get(f"/learn/people/{cast.rep.pk}/attempts/")

    assert response.content.decode().count('name="lesson"') == quizzes


def answers_for_new(course):  # type: ignore[no-untyped-def]
    return answers(course.lessons.order_by("-pk").first())
