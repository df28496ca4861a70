"""The SCORM run-time on the server: attempts, the data a SCO starts with, commits, and a
passed or completed module completing the lesson and the course like a native lesson."""

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import UserFactory
from tests.training.factories import CourseFactory
from tests.training.scorm_packages import scorm12_zip, scorm2004_zip
from training.models import Completion, LessonProgress, ScormAttempt
from training.services import (
    scorm_attempt_open,
    scorm_commit,
    scorm_initial_cmi,
    scorm_package_import,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def imported(data: bytes, **course):
    course = CourseFactory(**course)
    return scorm_package_import(course=course, upload=io.BytesIO(data), size=len(data)).lessons


SUSPENDED_12 = {
    "core": {
        "lesson_status": "incomplete",
        "lesson_location": "question-1",
        "exit": "suspend",
        "session_time": "00:02:05",
        "score": {"raw": "", "min": "", "max": ""},
    },
    "suspend_data": '{"answer":"cfo"}',
}
PASSED_12 = {
    "core": {
        "lesson_status": "passed",
        "lesson_location": "question-1",
        "exit": "",
        "session_time": "00:01:00.50",
        "score": {"raw": "45", "min": "0", "max": "50"},
    },
    "suspend_data": "",
}


def test_a_suspended_attempt_resumes_where_the_learner_left():
    (lesson,) = imported(scorm12_zip())
    rep = UserFactory(full_name="Remy Rep")
    attempt = scorm_attempt_open(user=rep, lesson=lesson)

    result = scorm_commit(user=rep, token=attempt.commit_token, cmi=SUSPENDED_12, is_final=True)

    assert result.is_lesson_done is False
    again = scorm_attempt_open(user=rep, lesson=lesson)
    assert again.pk == attempt.pk
    assert scorm_initial_cmi(attempt=again, version="1.2") == {
        "core": {
            "student_id": str(rep.pk),
            "student_name": "Remy Rep",
            "lesson_location": "question-1",
            "entry": "resume",
            "total_time": "0000:02:05",
            "lesson_status": "incomplete",
        },
        "suspend_data": '{"answer":"cfo"}',
    }


def test_passing_completes_the_lesson_and_the_course_with_the_score():
    (lesson,) = imported(scorm12_zip())
    rep = UserFactory()
    attempt = scorm_attempt_open(user=rep, lesson=lesson)
    scorm_commit(user=rep, token=attempt.commit_token, cmi=SUSPENDED_12, is_final=True)

    result = scorm_commit(user=rep, token=attempt.commit_token, cmi=PASSED_12, is_final=True)

    assert result.is_lesson_done is True
    assert result.completion is not None
    stored = ScormAttempt.objects.get(pk=attempt.pk)
    assert (stored.score, stored.total_seconds, stored.finished_at is not None) == (
        Decimal("90.00"),
        185,
        True,
    )
    assert LessonProgress.objects.get(user=rep, lesson=lesson).completed_at is not None
    assert Completion.objects.get(user=rep).score == Decimal("90.00")
    assert scorm_attempt_open(user=rep, lesson=lesson).number == 2


def test_a_2004_module_completes_on_completed_and_reads_the_scaled_score():
    (lesson,) = imported(scorm2004_zip())
    rep = UserFactory()
    attempt = scorm_attempt_open(user=rep, lesson=lesson)
    cmi = {
        "completion_status": "completed",
        "success_status": "unknown",
        "score": {"scaled": "0.75", "raw": "3"},
        "session_time": "PT1H2M3.5S",
        "exit": "normal",
        "location": "end",
        "suspend_data": "",
    }

    result = scorm_commit(user=rep, token=attempt.commit_token, cmi=cmi, is_final=True)

    assert result.completion is not None
    stored = ScormAttempt.objects.get(pk=attempt.pk)
    assert (stored.score, stored.total_seconds) == (Decimal("75.00"), 3723)


def test_a_commit_needs_the_learners_own_open_attempt():
    (lesson,) = imported(scorm12_zip())
    rep, other = UserFactory(), UserFactory()
    attempt = scorm_attempt_open(user=rep, lesson=lesson)

    with pytest.raises(ValidationError) as caught:
        scorm_commit(user=other, token=attempt.commit_token, cmi=PASSED_12)

    assert caught.value.error_dict["token"][0].code == "closed"
    assert ScormAttempt.objects.get(pk=attempt.pk).cmi == {}
    assert not Completion.objects.exists()


@pytest.mark.parametrize(
    "cmi",
    [
        [],
        {"core": {"session_time": "two minutes"}},
        {"core": {"score": {"raw": "lots"}}},
        {"core": {}, "suspend_data": "x" * 64_001},
    ],
)
def test_bad_run_time_data_is_refused_and_not_stored(cmi):
    (lesson,) = imported(scorm12_zip())
    rep = UserFactory()
    attempt = scorm_attempt_open(user=rep, lesson=lesson)

    with pytest.raises(ValidationError):
        scorm_commit(user=rep, token=attempt.commit_token, cmi=cmi)

    assert ScormAttempt.objects.get(pk=attempt.pk).cmi == {}


# The player's endpoints


def test_package_files_are_served_under_their_own_policy(cast, client):
    (lesson,) = imported(scorm12_zip(), slug="discovery")
    client.force_login(cast.rep)
    key = lesson.scorm_package.key

    response = client.get(f"/learn/scorm/{key}/sco/sco.js")

    assert response.status_code == 200
    assert response["Content-Type"] in ("text/javascript", "application/javascript")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "sandbox allow-scripts allow-same-origin allow-forms allow-popups" in policy
    assert "script-src 'self' 'unsafe-inline' 'unsafe-eval'" in policy
    assert b"API_1484_11" in b"".join(response.streaming_content)


@pytest.mark.parametrize("path", ["sco/missing.js", "sco/../imsmanifest.xml", "sco//sco.js"])
def test_a_path_outside_the_package_or_missing_is_404(cast, client, path):
    (lesson,) = imported(scorm12_zip(), slug="discovery")
    client.force_login(cast.rep)

    response = client.get(f"/learn/scorm/{lesson.scorm_package.key}/{path}")

    assert response.status_code == 404


def test_a_draft_courses_package_is_hidden_from_a_rep(cast, client):
    (lesson,) = imported(scorm12_zip(), slug="draft-one", status="draft")
    client.force_login(cast.rep)

    response = client.get(f"/learn/scorm/{lesson.scorm_package.key}/sco/index.html")

    assert response.status_code == 404


def test_the_commit_endpoint_stores_and_answers_as_scorm_again_expects(cast, client):
    (lesson,) = imported(scorm12_zip(), slug="discovery")
    client.force_login(cast.rep)
    page = client.get(f"/learn/courses/discovery/{lesson.slug}/")
    token = ScormAttempt.objects.get(user=cast.rep).commit_token
    assert page.status_code == 200

    ok = client.post(
        f"/learn/scorm-commits/{token}/?terminate=true",
        data=json.dumps({"cmi": PASSED_12}),
        content_type="text/plain;charset=UTF-8",
    )
    bad = client.post(f"/learn/scorm-commits/{token}/", data="{", content_type="application/json")

    assert ok.status_code == 200
    assert ok.json() == {"result": True, "errorCode": 0, "lessonDone": True}
    assert bad.status_code == 400
    assert Completion.objects.filter(user=cast.rep).count() == 1
