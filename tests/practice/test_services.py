"""Practice services: the chunked upload (idempotent, limits, nothing half-stored), reviews,
comments and the retention sweep."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from practice import services
from practice.models import AttemptStatus, PracticeAttempt, PracticeChunk, PracticeReview
from practice.services import (
    attempt_chunk_store,
    attempt_start,
    comment_add,
    practice_purge,
    review_submit,
)
from tests.factories import UserFactory
from tests.practice.factories import WEBM_HEAD, AttemptFactory, make_scenario

pytestmark = pytest.mark.django_db

RECORDING = WEBM_HEAD + bytes(range(256)) * 4  # 1040 bytes


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _after_commit_now(monkeypatch) -> None:
    # The test's transaction never commits: run the file deletions where they are queued.
    monkeypatch.setattr(services.transaction, "on_commit", lambda func, *a, **k: func())


def _files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def _start(rep, scenario, *, chunks: int = 3, size: int = len(RECORDING), **kw) -> PracticeAttempt:
    return attempt_start(
        rep=rep,
        scenario=scenario,
        media_type=kw.get("media_type", "video/webm"),
        size_bytes=size,
        total_chunks=chunks,
        duration_seconds=kw.get("duration_seconds", 30),
    )


def _send(attempt: PracticeAttempt, index: int, data: bytes, total: int = 3):
    return attempt_chunk_store(
        attempt_id=attempt.pk, index=index, total=total, content=ContentFile(data, name="c")
    )


def _parts(data: bytes = RECORDING, n: int = 3) -> list[bytes]:
    step = -(-len(data) // n)
    return [data[i * step : (i + 1) * step] for i in range(n)]


def test_chunks_in_any_order_join_into_the_recording_and_submit_the_attempt(media):
    rep = UserFactory()
    attempt = _start(rep, make_scenario())
    parts = _parts()

    results = [
        _send(attempt, 2, parts[2]),
        _send(attempt, 0, parts[0]),
        _send(attempt, 1, parts[1]),
    ]

    assert [(r.received, r.is_complete) for r in results] == [(1, False), (2, False), (3, True)]
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.number == 1
    assert default_storage.open(attempt.recording.name).read() == RECORDING
    assert PracticeChunk.objects.count() == 0
    assert _files(media) == [attempt.recording.name]  # the chunk files are gone


def test_a_chunk_sent_again_is_stored_once_also_after_completion(media):
    attempt = _start(UserFactory(), make_scenario(), chunks=2)
    first, second = _parts(n=2)

    assert _send(attempt, 0, first, total=2).received == 1
    assert _send(attempt, 0, first, total=2).received == 1  # resent: the same answer
    assert PracticeChunk.objects.filter(attempt=attempt).count() == 1
    assert len(_files(media)) == 1
    assert _send(attempt, 1, second, total=2).is_complete
    again = _send(attempt, 1, second, total=2)  # the answer was lost; the browser retries

    assert (again.received, again.is_complete) == (2, True)
    attempt.refresh_from_db()
    assert default_storage.open(attempt.recording.name).read() == RECORDING


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"media_type": "video/quicktime"}, "media_type"),
        ({"media_type": ""}, "media_type"),
        ({"size": 2 * 1024 * 1024 + 1}, "size_bytes"),
        ({"size": 0}, "size_bytes"),
        ({"chunks": 0}, "total_chunks"),
        ({"duration_seconds": 5 * 60 * 60}, "duration_seconds"),
    ],
)
def test_a_bad_start_names_its_field_and_writes_nothing(settings, media, kwargs, field):
    settings.PRACTICE_MAX_RECORDING_BYTES = 2 * 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        _start(UserFactory(), make_scenario(), **kwargs)
    assert list(caught.value.message_dict) == [field]
    assert PracticeAttempt.objects.count() == 0


def test_a_chunk_that_is_not_the_declared_media_type_is_refused_and_not_stored(media):
    attempt = _start(UserFactory(), make_scenario())

    with pytest.raises(ValidationError) as caught:
        _send(attempt, 0, b"RIFF....WAVEfmt " + b"\x00" * 300)

    assert caught.value.message_dict == {"chunk": ["This is not a video/webm recording."]}
    assert PracticeChunk.objects.count() == 0
    assert _files(media) == []


def test_chunks_over_the_declared_size_and_bad_indexes_are_refused_and_not_stored(media):
    attempt = _start(UserFactory(), make_scenario(), size=100)

    with pytest.raises(ValidationError) as too_big:
        _send(attempt, 0, WEBM_HEAD + b"x" * 100)
    with pytest.raises(ValidationError) as bad_index:
        _send(attempt, 3, b"x")
    with pytest.raises(ValidationError) as bad_total:
        _send(attempt, 1, b"x", total=4)

    assert list(too_big.value.message_dict) == ["chunk"]
    assert list(bad_index.value.message_dict) == ["index"]
    assert list(bad_total.value.message_dict) == ["total"]
    assert PracticeChunk.objects.count() == 0
    assert _files(media) == []


def test_chunks_short_of_the_declared_size_do_not_complete_and_keep_only_the_good_chunks(media):
    attempt = _start(UserFactory(), make_scenario(), chunks=2, size=len(RECORDING) + 10)
    first, second = _parts(n=2)
    _send(attempt, 0, first, total=2)

    with pytest.raises(ValidationError) as caught:
        _send(attempt, 1, second, total=2)

    assert list(caught.value.message_dict) == ["chunk"]
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.UPLOADING
    assert list(attempt.chunks.values_list("index", flat=True)) == [0]
    assert len(_files(media)) == 1  # chunk 0 only: no recording, no file of chunk 1


def test_the_attempt_limit_counts_submitted_attempts_and_a_restart_replaces_the_unfinished(media):
    rep = UserFactory()
    scenario = make_scenario(max_attempts=2)
    AttemptFactory(scenario=scenario, rep=rep, number=1)
    unfinished = _start(rep, scenario)
    _send(unfinished, 0, _parts()[0])

    restarted = _start(rep, scenario)

    assert not PracticeAttempt.objects.filter(pk=unfinished.pk).exists()
    assert _files(media) == []  # its chunk file went with it
    assert restarted.number == 2
    AttemptFactory(scenario=scenario, rep=rep, number=3)
    with pytest.raises(ValidationError) as caught:
        _start(rep, scenario)
    assert caught.value.message_dict == {"attempt": ["You have used all 2 attempts."]}


def test_a_review_scores_every_criterion_with_the_weighted_overall_once():
    scenario = make_scenario()
    attempt = AttemptFactory(scenario=scenario)
    coach = UserFactory()
    discovery, next_step = scenario.rubric.criteria.order_by("position")

    review = review_submit(
        reviewer=coach, attempt=attempt, scores={discovery.pk: 5, next_step.pk: 3}, notes=" ok "
    )

    # (1 x 100% + 3 x 50%) / 4 = 62.5
    assert review.overall == Decimal("62.5")
    assert review.notes == "ok"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.REVIEWED
    with pytest.raises(ValidationError) as again:
        review_submit(reviewer=coach, attempt=attempt, scores={discovery.pk: 1, next_step.pk: 1})
    assert list(again.value.message_dict) == ["attempt"]
    assert PracticeReview.objects.get().overall == Decimal("62.5")


def test_a_review_with_a_missing_or_out_of_scale_score_writes_nothing():
    scenario = make_scenario()
    attempt = AttemptFactory(scenario=scenario)
    discovery, next_step = scenario.rubric.criteria.order_by("position")

    with pytest.raises(ValidationError) as caught:
        review_submit(reviewer=UserFactory(), attempt=attempt, scores={discovery.pk: 9})

    assert sorted(caught.value.message_dict) == [f"scores.{discovery.pk}", f"scores.{next_step.pk}"]
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED
    assert PracticeReview.objects.count() == 0


def test_comments_are_pinned_within_the_recording():
    attempt = AttemptFactory(duration_seconds=90)
    coach = UserFactory()

    comment = comment_add(
        author=coach, attempt=attempt, at_second=42, text=" Ask about the deadline "
    )

    assert (comment.at_second, comment.at_label, comment.text) == (
        42,
        "0:42",
        "Ask about the deadline",
    )
    with pytest.raises(ValidationError) as caught:
        comment_add(author=coach, attempt=attempt, at_second=91, text="")
    assert sorted(caught.value.message_dict) == ["at_second", "text"]
    assert attempt.comments.count() == 1


def test_the_purge_deletes_abandoned_uploads_and_recordings_past_retention_once(settings, media):
    settings.PRACTICE_ABANDONED_UPLOAD_HOURS = 24
    rep = UserFactory()
    now = timezone.now()
    abandoned = _start(rep, make_scenario())
    _send(abandoned, 0, _parts()[0])
    fresh = _start(rep, make_scenario())
    old = _start(rep, make_scenario(), chunks=1)
    _send(old, 0, RECORDING, total=1)
    kept = _start(rep, make_scenario(), chunks=1)
    _send(kept, 0, RECORDING, total=1)
    PracticeAttempt.objects.filter(pk=abandoned.pk).update(created_at=now - dt.timedelta(hours=25))
    PracticeAttempt.objects.filter(pk=old.pk).update(submitted_at=now - dt.timedelta(days=181))
    old.refresh_from_db()
    kept.refresh_from_db()
    old_file = old.recording.name

    first = practice_purge(now=now)
    second = practice_purge(now=now)

    assert (first.abandoned, first.expired) == (1, 1)
    assert (second.abandoned, second.expired) == (0, 0)
    assert not PracticeAttempt.objects.filter(pk=abandoned.pk).exists()
    assert PracticeAttempt.objects.filter(pk=fresh.pk).exists()
    old.refresh_from_db()
    assert (old.recording.name, old.recording_deleted_at) == ("", now)
    assert old.status == AttemptStatus.SUBMITTED
    assert not default_storage.exists(old_file)
    assert _files(media) == [kept.recording.name]
