"""Practice pages and endpoints through the client: the upload's JSON errors, a refused review
that changes nothing, the rep reading the review, and the queries each page makes at two sizes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from practice.models import AttemptStatus, PracticeAttempt, PracticeComment, PracticeReview
from practice.services import comment_add, review_submit
from tests.practice.factories import WEBM_HEAD, AttemptFactory, make_scenario

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _file(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("chunk", data, content_type="application/octet-stream")


def test_a_wrong_media_type_and_an_oversized_start_answer_400_with_field_and_store_nothing(
    cast, settings
):
    settings.PRACTICE_MAX_RECORDING_BYTES = 1000
    scenario = make_scenario()
    body = '{"media_type": "video/ogg", "size_bytes": 5000, "total_chunks": 2}'

    response = _client(cast.rep).post(
        f"/practice/lessons/{scenario.lesson_id}/attempts/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["media_type", "size_bytes"]
    assert PracticeAttempt.objects.count() == 0


def test_the_rep_uploads_in_chunks_and_their_coach_plays_it(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scenario = make_scenario()
    data = WEBM_HEAD + b"x" * 84
    rep = _client(cast.rep)
    start = rep.post(
        f"/practice/lessons/{scenario.lesson_id}/attempts/",
        f'{{"media_type": "video/webm", "size_bytes": {len(data)}, "total_chunks": 2}}',
        content_type="application/json",
    ).json()

    answers = [
        rep.post(
            start["chunkUrl"],
            {"index": i, "total": 2, "chunk": _file(data[i * 50 : i * 50 + 50])},
        )
        for i in (0, 0, 1)
    ]

    assert [a.json() for a in answers] == [
        {"received": 1, "total": 2, "complete": False},
        {"received": 1, "total": 2, "complete": False},
        {"received": 2, "total": 2, "complete": True},
    ]
    played = _client(cast.coach).get(f"/practice/attempts/{start['id']}/recording")
    assert b"".join(played.streaming_content) == data
    ranged = _client(cast.coach).get(
        f"/practice/attempts/{start['id']}/recording", HTTP_RANGE="bytes=16-21"
    )
    assert (ranged.status_code, ranged.content) == (206, b"x" * 6)


def test_a_review_by_the_manager_is_refused_and_changes_nothing(cast):
    scenario = make_scenario()
    attempt = AttemptFactory(scenario=scenario, rep=cast.rep)
    first, second = scenario.rubric.criteria.order_by("position")
    form = {f"score_{first.pk}": 3, f"score_{second.pk}": 3}

    refused = _client(cast.manager).post(f"/practice/attempts/{attempt.pk}/review/", form)

    assert refused.status_code == 403
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert PracticeReview.objects.count() == 0
    accepted = _client(cast.coach).post(f"/practice/attempts/{attempt.pk}/review/", form)
    assert accepted.status_code == 302
    assert PracticeReview.objects.get().overall == 50


def _reviewed(cast, comments: int) -> PracticeAttempt:
    scenario = make_scenario()
    attempt = AttemptFactory(scenario=scenario, rep=cast.rep)
    for second in range(comments):
        comment_add(author=cast.coach, attempt=attempt, at_second=second, text=f"Moment {second}")
    first, last = scenario.rubric.criteria.order_by("position")
    review_submit(reviewer=cast.coach, attempt=attempt, scores={first.pk: 5, last.pk: 1})
    return attempt


@pytest.mark.parametrize("comments", [1, 20])
def test_the_rep_sees_the_review_with_comments_at_their_moments_in_fixed_queries(
    cast, django_assert_num_queries, comments
):
    attempt = _reviewed(cast, comments)
    client = _client(cast.rep)

    # session, user, the attempt (with rep, scenario, lesson, course, rubric), the may-review
    # check, criteria, comments with authors, the review with its reviewer, its scores
    with django_assert_num_queries(8):
        response = client.get(f"/practice/attempts/{attempt.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="button small seek"') == comments
    assert 'data-second="0">0:00</button> Moment 0' in page
    assert "25.0 / 100" in page  # (1 x 100 + 3 x 0) / 4
    assert PracticeComment.objects.count() == comments


@pytest.mark.parametrize("waiting", [1, 15])
def test_the_review_queue_lists_the_coaches_waiting_attempts_in_fixed_queries(
    cast, django_assert_num_queries, waiting
):
    scenario = make_scenario()
    for _ in range(waiting):
        AttemptFactory(scenario=scenario, rep=cast.rep)
    AttemptFactory(scenario=scenario, rep=cast.other_rep)  # not their coachee
    client = _client(cast.coach)

    # session, user, the waiting attempts with rep and lesson
    with django_assert_num_queries(3):
        response = client.get("/practice/reviews/")

    assert response.content.decode().count("/practice/attempts/") == waiting
