"""The file-upload fallback (issue 18): a recording chosen as a file, through the same checks as
the recorder's chunked upload; refused files leave no attempt and no file."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from practice.models import AttemptStatus, PracticeAttempt, PracticeSettings
from tests.practice.factories import WEBM_HEAD, make_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _post(user, lesson_id: int, data: bytes, content_type: str):
    client = Client()
    client.force_login(user)
    upload = SimpleUploadedFile("pitch.webm", data, content_type=content_type)
    return client.post(f"/practice/lessons/{lesson_id}/upload/", {"recording": upload})


def test_a_recorded_file_is_submitted_like_a_recording(
    cast, media, django_capture_on_commit_callbacks
):
    scenario = make_scenario()
    data = WEBM_HEAD + b"v" * 500

    with django_capture_on_commit_callbacks(execute=True):  # the chunk file goes after commit
        answer = _post(cast.rep, scenario.lesson_id, data, "video/webm")

    attempt = PracticeAttempt.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/practice/attempts/{attempt.pk}/"
    assert (attempt.rep, attempt.status, attempt.media_type) == (
        cast.rep,
        AttemptStatus.SUBMITTED,
        "video/webm",
    )
    with attempt.recording.open("rb") as stored:
        assert stored.read() == data
    assert [p.name for p in _files(media)] == [Path(attempt.recording.name).name]


@pytest.mark.parametrize(
    ("data", "content_type", "field", "message"),
    [
        (b"hello", "text/plain", "media_type", "text/plain is not accepted"),
        (b"not a webm at all", "video/webm", "chunk", "This is not a video/webm recording."),
        (WEBM_HEAD + b"v" * (1024 * 1024), "video/webm", "size_bytes", "up to 1 MB"),
    ],
)
def test_a_refused_file_answers_400_with_the_reason_and_stores_nothing(
    cast, media, data, content_type, field, message
):
    PracticeSettings.objects.create(pk=1, max_recording_mb=1)
    scenario = make_scenario()

    answer = _post(cast.rep, scenario.lesson_id, data, content_type)

    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert field in answer.context["errors"]
    assert PracticeAttempt.objects.count() == 0
    assert _files(media) == []


def test_without_a_file_the_form_says_so(cast):
    scenario = make_scenario()
    client = Client()
    client.force_login(cast.rep)

    answer = client.post(f"/practice/lessons/{scenario.lesson_id}/upload/")

    assert answer.status_code == 400
    assert answer.context["errors"] == {"recording": ["Choose the file."]}
