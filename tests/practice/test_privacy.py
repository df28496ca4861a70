"""Practice privacy (issue 18): an audit row for each view of a recording by someone other than
the rep (django-auditlog's ACCESS action), the rep deleting an attempt before it is reviewed,
and the organisation's retention and limits."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from practice.models import AttemptStatus, PracticeAttempt, PracticeSettings
from practice.services import attempt_start, practice_purge, review_submit
from tests.practice.factories import WEBM_HEAD, AttemptFactory, make_scenario

pytestmark = pytest.mark.django_db

ACCESS, DELETE = LogEntry.Action.ACCESS, LogEntry.Action.DELETE


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _recorded(cast, **kwargs) -> PracticeAttempt:
    attempt = AttemptFactory(scenario=make_scenario(), rep=cast.rep, **kwargs)
    attempt.recording.save("take.webm", ContentFile(WEBM_HEAD + b"x" * 84), save=True)
    return attempt


def _views(attempt: PracticeAttempt) -> list[tuple[str, int]]:
    return list(
        LogEntry.objects.get_for_object(attempt)
        .filter(action=ACCESS)
        .order_by("pk")
        .values_list("actor__email", "object_id")
    )


def test_each_viewing_by_someone_other_than_the_rep_writes_one_access_row(cast):
    attempt = _recorded(cast)
    coach, manager, rep = _client(cast.coach), _client(cast.manager), _client(cast.rep)
    url = f"/practice/attempts/{attempt.pk}/recording"

    # a player's fetches: the whole file, then two byte ranges; the rep's own; the manager's
    answers = [
        coach.get(url).status_code,
        coach.get(url, HTTP_RANGE="bytes=0-9").status_code,
        coach.get(url, HTTP_RANGE="bytes=40-").status_code,
        rep.get(url).status_code,
        manager.get(url, HTTP_RANGE="bytes=16-").status_code,
    ]

    assert answers == [200, 206, 206, 200, 206]
    assert _views(attempt) == [
        ("coach@example.com", attempt.pk),
        ("manager@example.com", attempt.pk),
    ]
    # ten minutes later the coach plays it again: another viewing
    LogEntry.objects.filter(action=ACCESS).update(
        timestamp=timezone.now() - dt.timedelta(minutes=11)
    )
    coach.get(url, HTTP_RANGE="bytes=0-")
    assert [email for email, _pk in _views(attempt)] == [
        "coach@example.com",
        "manager@example.com",
        "coach@example.com",
    ]


def test_a_refused_fetch_writes_no_access_row(cast):
    attempt = _recorded(cast)

    answer = _client(cast.other_rep).get(f"/practice/attempts/{attempt.pk}/recording")

    assert answer.status_code == 404
    assert _views(attempt) == []


def test_the_rep_deletes_an_attempt_before_review_with_its_file(
    cast, django_capture_on_commit_callbacks
):
    attempt = _recorded(cast)
    path = attempt.recording.name

    with django_capture_on_commit_callbacks(execute=True):
        answer = _client(cast.rep).post(f"/practice/attempts/{attempt.pk}/delete/")

    assert answer.status_code == 302
    assert answer["Location"] == f"/practice/lessons/{attempt.scenario.lesson_id}/"
    assert not PracticeAttempt.objects.filter(pk=attempt.pk).exists()
    assert not default_storage.exists(path)
    deleted = LogEntry.objects.get_for_object(attempt).get(action=DELETE)
    assert deleted.actor == cast.rep


def test_a_reviewed_attempt_cannot_be_deleted_and_stays(cast):
    attempt = _recorded(cast)
    first, second = attempt.scenario.rubric.criteria.order_by("position")
    review_submit(reviewer=cast.coach, attempt=attempt, scores={first.pk: 3, second.pk: 3})

    answer = _client(cast.rep).post(f"/practice/attempts/{attempt.pk}/delete/")

    assert answer.status_code == 400
    assert "A reviewed attempt stays; it can no longer be deleted." in answer.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.REVIEWED
    assert default_storage.exists(attempt.recording.name)


def test_only_the_rep_deletes_their_attempt(cast):
    attempt = _recorded(cast)

    answer = _client(cast.coach).post(f"/practice/attempts/{attempt.pk}/delete/")

    assert answer.status_code == 404
    assert PracticeAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.SUBMITTED).exists()


def test_the_purge_keeps_recordings_for_the_organisations_retention(cast):
    PracticeSettings.objects.create(pk=1, retention_days=30)
    now = timezone.now()
    expired = _recorded(cast, submitted_at=now - dt.timedelta(days=31))
    kept = _recorded(cast, submitted_at=now - dt.timedelta(days=29))

    result = practice_purge(now=now)

    assert (result.abandoned, result.expired) == (0, 1)
    expired.refresh_from_db()
    kept.refresh_from_db()
    assert (expired.recording.name, expired.recording_deleted_at) == ("", now)
    assert kept.recording_deleted_at is None and kept.recording.name


def test_the_organisations_size_and_length_limits_refuse_a_start_and_store_nothing(cast):
    PracticeSettings.objects.create(pk=1, max_recording_mb=1, max_minutes=2)
    scenario = make_scenario()

    with pytest.raises(ValidationError) as caught:
        attempt_start(
            rep=cast.rep,
            scenario=scenario,
            media_type="video/webm",
            size_bytes=1024 * 1024 + 1,
            total_chunks=5,
            duration_seconds=121,
        )

    assert caught.value.message_dict == {
        "size_bytes": ["A recording may have up to 1 MB; this one has 1048577 bytes."],
        "duration_seconds": ["A recording may last up to 2 minutes."],
    }
    assert PracticeAttempt.objects.count() == 0
    within = attempt_start(
        rep=cast.rep,
        scenario=scenario,
        media_type="video/webm",
        size_bytes=1024 * 1024,
        total_chunks=5,
        duration_seconds=120,
    )
    assert within.status == AttemptStatus.UPLOADING


def test_the_admins_audit_page_lists_a_viewing(cast):
    attempt = _recorded(cast)
    _client(cast.coach).get(f"/practice/attempts/{attempt.pk}/recording")

    page = _client(cast.admin).get(
        "/accounts/audit/", {"what": "practice.practiceattempt", "action": 3}
    )

    assert page.status_code == 200
    rows = page.content.decode().count("Cole Coach &lt;coach@example.com&gt;")
    assert rows == 1
