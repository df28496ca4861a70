"""LTI Assignment and Grade Services end to end: a learner launched from the simulated platform
(tests/training/lti_platform.py) completes the course in Coachline, and the score reaches the
launch's line item through PyLTI1p3's AGS client, from the Celery task, once. The platform's
token endpoint verifies the client assertion against the key set Coachline publishes at
/lti/jwks/; its scores endpoint wants the token it issued."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from config.celery import app as celery_app
from tests.factories import UserFactory
from tests.fakes.server import Reply
from tests.training.factories import (
    CompletionFactory,
    CourseFactory,
    LessonFactory,
    answers,
    make_quiz,
)
from tests.training.lti_platform import FakePlatform, lti_launch
from training.models import Completion, Course, Lesson, LtiLaunch, LtiPlatform
from training.services.lti_scores import SEND_MAX_RETRIES
from training.tasks import send_lti_score

pytestmark = pytest.mark.django_db

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


@pytest.fixture
def course() -> Course:
    course = CourseFactory()
    make_quiz(course, questions=4, pass_mark_pct=75)
    return course


@pytest.fixture
def learner() -> Any:
    return UserFactory(email="learner@example.com")


@pytest.fixture
def launched(
    client: Client,
    platform_server: FakePlatform,
    registered: LtiPlatform,
    course: Course,
    learner: Any,
) -> LtiLaunch:
    """The learner arrived from the platform; the platform knows Coachline's published keys."""
    platform_server.tool_jwks = client.get("/lti/jwks/").json()
    assert lti_launch(client, platform_server, course=course.slug).status_code == 302
    return LtiLaunch.objects.get()


def _pass_quiz(client: Client, quiz: Lesson, *, right: int | None = None) -> Any:
    data = {f"q-{qid}": ids for qid, ids in answers(quiz, right=right).items()}
    return client.post(f"/learn/courses/{quiz.course.slug}/{quiz.slug}/quiz/", data)


@pytest.fixture
def run_task(monkeypatch: pytest.MonkeyPatch) -> Callable[[LtiLaunch], Any]:
    """The task as a worker runs it, retries included (eagerly, without their waits): without
    eager propagation Celery re-runs a retried task instead of raising its Retry."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)

    def run(launch: LtiLaunch) -> Any:
        return send_lti_score.apply(args=[launch.pk]).get()

    return run


def _score_posts(server: FakePlatform) -> list[str]:
    return [r.path for r in server.requests if r.path.endswith("/scores")]


def test_completing_the_launched_course_sends_its_score_to_the_line_item(
    client: Client,
    platform_server: FakePlatform,
    launched: LtiLaunch,
    course: Course,
    django_capture_on_commit_callbacks: Any,
) -> None:
    quiz = course.lessons.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = _pass_quiz(client, quiz, right=3)
    assert response["Location"] == f"/learn/courses/{course.slug}/completed/"

    completion = Completion.objects.get()
    assert completion.score == Decimal("75.00")
    [score] = platform_server.scores
    assert score["path"] == "/lineitems/1/scores"
    assert score["content_type"] == SCORE_TYPE
    assert score["body"] == {
        "scoreGiven": 75.0,
        "scoreMaximum": 100,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": completion.completed_at.isoformat(),
        "userId": "user-42",
    }
    token = score["auth"].removeprefix("Bearer ")
    assert platform_server.access_tokens[token] == sorted(launched.ags_scopes)
    assert platform_server.refusals == []
    launched.refresh_from_db()
    assert launched.score_sent_at is not None


def test_sending_again_changes_nothing(
    client: Client,
    platform_server: FakePlatform,
    launched: LtiLaunch,
    course: Course,
    django_capture_on_commit_callbacks: Any,
    run_task: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _pass_quiz(client, course.lessons.get())
    assert len(platform_server.scores) == 1

    # The task delivered twice (at-least-once outbox): the second finds the score sent.
    assert run_task(launched) == "already sent"
    # The learner launches the completed course again from the same link: same line item.
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        assert lti_launch(client, platform_server, course=course.slug).status_code == 302
    assert len(platform_server.scores) == 1
    assert not LtiLaunch.objects.filter(score_sent_at__isnull=True).exists()


def test_a_course_completed_before_the_launch_sends_its_score_on_launch(
    client: Client,
    platform_server: FakePlatform,
    registered: LtiPlatform,
    course: Course,
    learner: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    completion = CompletionFactory(user=learner, course=course, score=Decimal("90.00"))
    platform_server.tool_jwks = client.get("/lti/jwks/").json()
    with django_capture_on_commit_callbacks(execute=True):
        assert lti_launch(client, platform_server, course=course.slug).status_code == 302
    [score] = platform_server.scores
    assert (score["body"]["scoreGiven"], score["body"]["timestamp"]) == (
        90.0,
        completion.completed_at.isoformat(),
    )


def test_a_course_without_a_scored_lesson_counts_as_full_marks(
    client: Client,
    platform_server: FakePlatform,
    registered: LtiPlatform,
    learner: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    course = CourseFactory()
    lesson = LessonFactory(course=course)
    platform_server.tool_jwks = client.get("/lti/jwks/").json()
    lti_launch(client, platform_server, course=course.slug)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/learn/courses/{course.slug}/{lesson.slug}/done/")
    assert response.status_code == 302
    assert [s["body"]["scoreGiven"] for s in platform_server.scores] == [100.0]


def test_a_platform_that_is_down_gets_the_score_when_it_is_back(
    platform_server: FakePlatform, launched: LtiLaunch, learner: Any, course: Course, run_task: Any
) -> None:
    CompletionFactory(user=learner, course=course)
    platform_server.fail_next(
        Reply(503, {"error": "down"}, headers={"Retry-After": "1"}), path_contains="/scores"
    )
    platform_server.fail_next(Reply(502, {"error": "bad gateway"}), path_contains="/token")
    assert run_task(launched) == "sent"
    assert len(_score_posts(platform_server)) == 2  # the 503, then the score
    assert len(platform_server.scores) == 1
    launched.refresh_from_db()
    assert launched.score_sent_at is not None


def test_a_platform_that_stays_down_is_given_up_after_the_last_retry(
    platform_server: FakePlatform, launched: LtiLaunch, learner: Any, course: Course, run_task: Any
) -> None:
    CompletionFactory(user=learner, course=course)
    platform_server.fail_next(
        Reply(500, {"error": "down"}), times=SEND_MAX_RETRIES + 1, path_contains="/scores"
    )
    assert run_task(launched) == "given up"
    assert len(_score_posts(platform_server)) == SEND_MAX_RETRIES + 1
    launched.refresh_from_db()
    assert launched.score_sent_at is None


def test_a_score_the_platform_refuses_is_not_retried(
    platform_server: FakePlatform, launched: LtiLaunch, learner: Any, course: Course, run_task: Any
) -> None:
    CompletionFactory(user=learner, course=course)
    platform_server.fail_next(Reply(404, {"error": "no such line item"}), path_contains="/scores")
    assert run_task(launched) == "refused"
    assert len(_score_posts(platform_server)) == 1
    launched.refresh_from_db()
    assert launched.score_sent_at is None


def test_a_token_request_the_platform_cannot_verify_sends_no_score(
    platform_server: FakePlatform, launched: LtiLaunch, learner: Any, course: Course, run_task: Any
) -> None:
    CompletionFactory(user=learner, course=course)
    platform_server.tool_jwks = {"keys": []}  # the platform does not know Coachline's key
    assert run_task(launched) == "refused"
    assert platform_server.scores == []
    assert "KeyError" in platform_server.refusals[0]


def test_a_launch_without_the_score_scope_sends_nothing(
    client: Client,
    platform_server: FakePlatform,
    registered: LtiPlatform,
    course: Course,
    learner: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    lti_launch(client, platform_server, course=course.slug, ags=False)
    with django_capture_on_commit_callbacks(execute=True):
        _pass_quiz(client, course.lessons.get())
    assert Completion.objects.exists()
    assert _score_posts(platform_server) == []
    assert [r.path for r in platform_server.requests if r.path == "/token"] == []
