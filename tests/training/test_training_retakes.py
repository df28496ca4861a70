"""Retakes: an empty submit costs nothing; coaches and managers grant extra attempts to their own
people; the learner sees whom to ask and the request reaches them."""

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from tests.training.factories import CourseFactory, answers, make_quiz
from training.models import QuizAttempt, RetakeGrant, RetakeRequest
from training.selectors import retake_granters, retake_requests_open
from training.services import quiz_submit, retake_grant, retake_request_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz():
    return make_quiz(CourseFactory(slug="qualify"), slug="check", questions=2, max_attempts=1)


def _use_up(user, quiz):
    quiz_submit(user=user, lesson=quiz, answers=answers(quiz, right=0))


@pytest.mark.parametrize("empty", [{}, "every question blank"])
def test_an_empty_submit_is_refused_without_using_an_attempt(cast, quiz, empty):
    payload = {} if empty == {} else {str(q.pk): [] for q in quiz.questions.all()}

    with pytest.raises(ValidationError) as refused:
        quiz_submit(user=cast.rep, lesson=quiz, answers=payload)

    assert refused.value.error_dict["answers"][0].code == "no_answers"
    assert not QuizAttempt.objects.exists()


def test_an_empty_submit_in_the_browser_form_is_400_and_the_attempt_stays(cast, client, quiz):
    client.force_login(cast.rep)

    response = client.post("/learn/courses/qualify/check/quiz/", {})

    assert response.status_code == 400
    assert "Answer at least one question" in response.content.decode()
    assert "1 attempt left" in response.content.decode()
    assert not QuizAttempt.objects.exists()


def test_the_rep_sees_whom_to_ask_once_every_attempt_is_used(cast, client, quiz):
    _use_up(cast.rep, quiz)
    client.force_login(cast.rep)

    body = client.get("/learn/courses/qualify/check/").content.decode()

    assert "Ask for a retake" in body
    assert "Cole Coach" in body and "Mia Manager" in body
    assert "Otto" not in body and "Olga" not in body
    assert 'action="/learn/courses/qualify/check/retake/"' in body


def test_whom_to_ask_is_the_coaches_and_managers(cast):
    assert [u.full_name for u in retake_granters(user=cast.rep)] == ["Cole Coach", "Mia Manager"]
    assert [u.full_name for u in retake_granters(user=cast.other_rep)] == [
        "Olga Coach",
        "Omar Other",
    ]


def test_a_request_reaches_the_coach_and_the_manager_not_others(cast, client, quiz):
    _use_up(cast.rep, quiz)
    client.force_login(cast.rep)

    response = client.post("/learn/courses/qualify/check/retake/", {"note": "I misread Q2"})

    assert response.status_code == 302
    request = RetakeRequest.objects.get()
    assert (request.user, request.note, request.resolved_at) == (cast.rep, "I misread Q2", None)
    assert retake_requests_open(viewer=cast.coach) == [request]
    assert retake_requests_open(viewer=cast.manager) == [request]
    assert retake_requests_open(viewer=cast.admin) == [request]
    assert retake_requests_open(viewer=cast.other_coach) == []
    assert retake_requests_open(viewer=cast.other_manager) == []
    assert retake_requests_open(viewer=cast.rep_peer) == []
    client.force_login(cast.coach)
    page = client.get("/learn/team/retakes/").content.decode()
    assert "Remy Rep" in page and "I misread Q2" in page


def test_a_second_request_returns_the_open_one(cast, quiz):
    _use_up(cast.rep, quiz)

    first = retake_request_create(user=cast.rep, lesson=quiz)
    second = retake_request_create(user=cast.rep, lesson=quiz, note="again")

    assert first.pk == second.pk
    assert RetakeRequest.objects.count() == 1


def test_a_request_with_attempts_left_is_refused(cast, quiz):
    with pytest.raises(ValidationError) as refused:
        retake_request_create(user=cast.rep, lesson=quiz)

    assert refused.value.error_dict["lesson"][0].code == "attempts_left"
    assert not RetakeRequest.objects.exists()


@pytest.mark.parametrize(
    ("granter", "allowed"),
    [
        ("coach", True),
        ("manager", True),
        ("admin", True),
        ("other_coach", False),
        ("other_manager", False),
        ("leader", False),
        ("rep_peer", False),
        ("rep", False),
    ],
)
def test_who_may_grant_a_retake(cast, quiz, granter, allowed):
    _use_up(cast.rep, quiz)

    if allowed:
        retake_grant(granter=cast[granter], user=cast.rep, lesson=quiz, extra_attempts=2)
        assert RetakeGrant.objects.get().extra_attempts == 2
    else:
        with pytest.raises(ValidationError) as refused:
            retake_grant(granter=cast[granter], user=cast.rep, lesson=quiz)
        assert refused.value.error_dict["user"][0].code == "forbidden"
        assert not RetakeGrant.objects.exists()


@pytest.mark.parametrize("extra", [0, 11, -1])
def test_a_grant_outside_one_to_ten_is_refused(cast, quiz, extra):
    with pytest.raises(ValidationError) as refused:
        retake_grant(granter=cast.coach, user=cast.rep, lesson=quiz, extra_attempts=extra)

    assert refused.value.error_dict["extra_attempts"][0].code == "out_of_range"
    assert not RetakeGrant.objects.exists()


def test_a_grant_gives_another_attempt_closes_the_request_and_is_audited(cast, quiz):
    _use_up(cast.rep, quiz)
    retake_request_create(user=cast.rep, lesson=quiz)
    with pytest.raises(ValidationError):
        _use_up(cast.rep, quiz)

    grant = retake_grant(granter=cast.coach, user=cast.rep, lesson=quiz, note="Read lesson 2")
    outcome = quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz))

    assert outcome.attempt.number == 2 and outcome.attempt.passed
    request = RetakeRequest.objects.get()
    assert request.grant == grant and request.resolved_at is not None
    entry = LogEntry.objects.get_for_object(grant).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes_dict["extra_attempts"] == ["None", "1"]


def test_a_passed_quiz_gets_no_retake(cast, quiz):
    quiz_submit(user=cast.rep, lesson=quiz, answers=answers(quiz))

    with pytest.raises(ValidationError) as refused:
        retake_grant(granter=cast.coach, user=cast.rep, lesson=quiz)

    assert refused.value.error_dict["lesson"][0].code == "already_passed"


@pytest.mark.parametrize("who", ["other_coach", "rep", "leader"])
def test_the_grant_page_and_post_are_404_for_others(cast, client, quiz, who):
    _use_up(cast.rep, quiz)
    request = retake_request_create(user=cast.rep, lesson=quiz)
    client.force_login(cast[who])

    response = client.post(f"/learn/team/retakes/{request.pk}/grant/", {"extra_attempts": "1"})

    assert response.status_code == 404
    assert not RetakeGrant.objects.exists()
    if who in ("rep", "leader"):
        assert client.get("/learn/team/retakes/").status_code == 404


def test_the_manager_grants_from_the_page(cast, client, quiz):
    _use_up(cast.rep, quiz)
    request = retake_request_create(user=cast.rep, lesson=quiz)
    client.force_login(cast.manager)

    response = client.post(
        f"/learn/team/retakes/{request.pk}/grant/", {"extra_attempts": "2", "note": "Go"}
    )

    assert response.status_code == 302
    grant = RetakeGrant.objects.get()
    assert (grant.granted_by, grant.extra_attempts, grant.note) == (cast.manager, 2, "Go")
    client.force_login(cast.rep)
    assert "2 attempts left" in client.get("/learn/courses/qualify/check/").content.decode()


def test_a_bad_number_on_the_grant_form_is_refused_with_a_message(cast, client, quiz):
    _use_up(cast.rep, quiz)
    request = retake_request_create(user=cast.rep, lesson=quiz)
    client.force_login(cast.coach)

    response = client.post(
        f"/learn/team/retakes/{request.pk}/grant/", {"extra_attempts": "lots"}, follow=True
    )

    assert "Grant 1 to 10 extra attempts." in response.content.decode()
    assert not RetakeGrant.objects.exists()


def test_the_retake_page_runs_constant_queries(cast, client, django_assert_num_queries):
    client.force_login(cast.coach)
    for n in range(2):
        quiz = make_quiz(CourseFactory(), questions=1, max_attempts=1)
        _use_up(cast.rep, quiz)
        retake_request_create(user=cast.rep, lesson=quiz)
        if n == 0:
            _use_up(cast.rep_peer, quiz)
            retake_request_create(user=cast.rep_peer, lesson=quiz)
        # session, user, open requests with person, quiz and course
        with django_assert_num_queries(3):
            assert client.get("/learn/team/retakes/").status_code == 200
