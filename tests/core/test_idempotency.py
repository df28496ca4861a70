"""Idempotency-Key on the creating POSTs: a retry answers the first response and does nothing
again; another body with the key is 422; a key over 255 characters is 422; keys are per
principal and expire after 24 hours."""

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from coaching.models import CalendarFeed, CoachingSession, Commitment
from core.idempotency import CLAIM_LEASE, idempotency_key_claim, request_fingerprint
from core.models import IdempotencyKey
from core.tasks import expire_idempotency_keys
from tests.coaching.factories import PostMortemFactory, tomorrow_at
from tests.factories import make_api_key
from tests.fakes.fixtures import field_encryption_key  # noqa: F401
from tests.training.factories import CourseFactory, answers, course_with_lesson, make_quiz
from training.models import Assignment, Completion, Course, Program, QuizAttempt

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("field_encryption_key")]


@dataclass
class Create:
    """One creating endpoint: who calls it, where, with what, and how many things it made."""

    who: str
    url: Callable[[Any], str]
    body: Callable[[Any], Any]
    made: Callable[[Any], int]
    status: int = 201


def _session_body(cast: Any) -> dict[str, Any]:
    start = tomorrow_at(10)
    return {
        "rep_id": cast.rep.pk,
        "kind": "one_on_one",
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=1)).isoformat(),
    }


def _post_mortem_url(cast: Any) -> str:
    pm = PostMortemFactory(session__coach=cast.coach, session__rep=cast.rep)
    return f"/api/v1/coaching/post-mortems/{pm.pk}/commitments"


def _quiz_url(cast: Any) -> str:
    quiz = make_quiz(CourseFactory(slug="quizzed"), questions=1, max_attempts=3)
    return f"/api/v1/courses/quizzed/lessons/{quiz.slug}/attempts/"


def _quiz_body(cast: Any) -> dict[str, Any]:
    quiz = Course.objects.get(slug="quizzed").lessons.get()
    return {"answers": answers(quiz, right=0)}


def _feeds(cast: Any) -> int:
    return CalendarFeed.objects.filter(user=cast.coach).count()


CREATES = {
    "sessions": Create(
        "coach",
        lambda cast: "/api/v1/coaching/sessions/",
        _session_body,
        lambda cast: CoachingSession.objects.count(),
    ),
    "assignments": Create(
        "admin",
        lambda cast: (course_with_lesson(slug="assigned"), "/api/v1/assignments/")[1],
        lambda cast: {
            "course": "assigned",
            "assignees": [cast.rep.email],
            "due_date": "2030-01-31",
        },
        lambda cast: Assignment.objects.count(),
    ),
    "courses": Create(
        "admin",
        lambda cast: "/api/v1/courses/",
        lambda cast: {"slug": "new-course", "title": "New course"},
        lambda cast: Course.objects.count(),
    ),
    "programs": Create(
        "admin",
        lambda cast: "/api/v1/programs/",
        lambda cast: {"slug": "new-program", "title": "New program"},
        lambda cast: Program.objects.count(),
    ),
    "commitments": Create(
        "coach",
        _post_mortem_url,
        lambda cast: {
            "metric": "win_rate",
            "target": "40",
            "check_date": (timezone.localdate() + dt.timedelta(days=60)).isoformat(),
            "description": "Win more",
        },
        lambda cast: Commitment.objects.count(),
    ),
    "calendar feed": Create(
        "coach",
        lambda cast: "/api/v1/coaching/calendar-feed",
        lambda cast: None,
        _feeds,
    ),
    "quiz attempts": Create("rep", _quiz_url, _quiz_body, lambda cast: QuizAttempt.objects.count()),
    "users bulk": Create(
        "admin",
        lambda cast: "/api/v1/users/bulk",
        lambda cast: [{"email": "new@example.com", "full_name": "New Person", "role": "rep"}],
        lambda cast: User.objects.count(),
        status=200,
    ),
    "completions bulk": Create(
        "admin",
        lambda cast: (CourseFactory(slug="imported"), "/api/v1/completions/bulk")[1],
        lambda cast: [
            {"email": cast.rep.email, "course": "imported", "completed_at": "2024-03-01"}
        ],
        lambda cast: Completion.objects.count(),
        status=200,
    ),
}


@pytest.mark.parametrize("name", CREATES)
def test_a_retry_with_the_same_key_answers_the_first_response_and_does_nothing(
    name: str, cast: Any, client_for: Any
) -> None:
    create = CREATES[name]
    client = client_for(create.who)
    url, body = create.url(cast), create.body(cast)

    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    made = create.made(cast)
    retry = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == create.status, first.content
    assert (retry.status_code, retry.json()) == (create.status, first.json())
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert create.made(cast) == made


@pytest.mark.parametrize("name", CREATES)
def test_the_same_key_with_another_body_is_422_and_does_nothing(
    name: str, cast: Any, client_for: Any
) -> None:
    create = CREATES[name]
    client = client_for(create.who)
    url, body = create.url(cast), create.body(cast)
    client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    made = create.made(cast)

    other = client.post(url, {"other": "body"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert "another request" in other.json()["detail"]
    assert create.made(cast) == made


def _post_course(client: Any, body: dict[str, str], *, key: str) -> Any:
    return client.post("/api/v1/courses/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_key_longer_than_255_characters_is_422_with_the_reason(cast, client_for):
    response = _post_course(client_for("admin"), {"slug": "c", "title": "C"}, key="k" * 256)

    assert response.status_code == 422
    assert response.json() == {
        "code": "idempotency_key_invalid",
        "detail": "Idempotency-Key must be 1 to 255 characters; this one has 256.",
        "errors": [],
    }
    assert not Course.objects.exists()


def test_a_key_of_255_characters_is_fine(cast, client_for):
    response = _post_course(client_for("admin"), {"slug": "c", "title": "C"}, key="k" * 255)

    assert response.status_code == 201


def test_keys_are_per_principal(cast, client_for):
    _key, raw = make_api_key("training:write")
    integration = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {"slug": "same", "title": "Same"}

    by_admin = _post_course(client_for("admin"), body, key="shared")
    by_key = _post_course(integration, body, key="shared")

    # The key's request ran (and found the slug taken): it was not answered with the admin's.
    assert by_admin.status_code == 201
    assert by_key.status_code == 400
    assert by_key.json()["errors"][0]["field"] == "slug"
    assert sorted(IdempotencyKey.objects.values_list("principal", flat=True)) == [
        f"user:{cast.admin.pk}"
    ]


def test_a_failed_request_frees_its_key(cast, client_for):
    client = client_for("admin")

    bad = _post_course(client, {"slug": "x"}, key="k")
    good = _post_course(client, {"slug": "x", "title": "X"}, key="k")

    assert (bad.status_code, good.status_code) == (400, 201)
    assert Course.objects.filter(slug="x").count() == 1


def test_a_request_while_the_first_still_runs_is_409(cast, client_for):
    body = b'{"slug": "x", "title": "X"}'
    idempotency_key_claim(
        principal=f"user:{cast.admin.pk}",
        key="busy",
        fingerprint=request_fingerprint(method="POST", path="/api/v1/courses/", body=body),
    )

    response = client_for("admin").post(
        "/api/v1/courses/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="busy"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert not Course.objects.exists()


def test_a_claim_whose_holder_died_is_taken_over_after_its_lease(cast, client_for):
    body = b'{"slug": "x", "title": "X"}'
    idempotency_key_claim(
        principal=f"user:{cast.admin.pk}",
        key="orphan",
        fingerprint=request_fingerprint(method="POST", path="/api/v1/courses/", body=body),
        now=timezone.now() - CLAIM_LEASE - dt.timedelta(seconds=1),
    )

    response = client_for("admin").post(
        "/api/v1/courses/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="orphan"
    )

    assert response.status_code == 201
    assert IdempotencyKey.objects.get(key="orphan").status_code == 201


def test_keys_expire_after_24_hours(cast, client_for):
    client = client_for("admin")
    _post_course(client, {"slug": "a", "title": "A"}, key="old")
    _post_course(client, {"slug": "b", "title": "B"}, key="new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=24, seconds=1)
    )

    deleted = expire_idempotency_keys()
    reused = _post_course(client, {"slug": "c", "title": "C"}, key="old")

    assert deleted == 1
    assert reused.status_code == 201
    assert sorted(Course.objects.values_list("slug", flat=True)) == ["a", "b", "c"]


def test_the_stored_answer_is_encrypted_at_rest(cast, client_for):
    client_for("coach").post("/api/v1/coaching/calendar-feed", HTTP_IDEMPOTENCY_KEY="feed")

    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body FROM core_idempotencykey")
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:")
    assert "feed" not in stored


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_with_one_key_run_once(cast, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent transactions need PostgreSQL (CI runs it there)")
    from training.api import views as training_views

    both_claiming = threading.Barrier(2, timeout=10)
    loser_answered = threading.Event()
    original_create = training_views.course_create

    def slow_create(**kwargs: Any) -> Any:
        # The winner is inside its create while the other request arrives.
        # ...and stays there until the loser has its answer, so the loser never arrives after
        # the winner committed (it would then get the stored 201 replayed, which is also right).
        both_claiming.wait()
        loser_answered.wait(timeout=10)
        return original_create(**kwargs)

    monkeypatch.setattr(training_views, "course_create", slow_create)
    results: list[int] = []

    def attempt() -> None:
        try:
            client = APIClient()
            client.force_authenticate(cast.admin)
            response = _post_course(client, {"slug": "once", "title": "Once"}, key="race")
            results.append(response.status_code)
        finally:
            connections.close_all()

    def loser_arrives() -> None:
        try:
            both_claiming.wait()  # the winner holds the claim and is inside its create
            client = APIClient()
            client.force_authenticate(cast.admin)
            response = _post_course(client, {"slug": "once", "title": "Once"}, key="race")
            results.append(response.status_code)
            loser_answered.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt), threading.Thread(target=loser_arrives)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == [201, 409]
    assert Course.objects.filter(slug="once").count() == 1
