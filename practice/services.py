"""Writes of the practice app: starting an upload, storing its chunks, reviewing, commenting,
and the retention sweep.

Crash safety of an upload: a chunk's file is saved before its row, inside the transaction that
holds the attempt's row lock; if anything after the save fails, the file is deleted again, so a
chunk either has a row and a file or neither. The last chunk joins the files into the recording
in the same way. An upload that never completes keeps its chunks until `practice_purge` deletes
them (PRACTICE_ABANDONED_UPLOAD_HOURS).
"""

import datetime as dt
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from auditlog.models import LogEntry
from auditlog.signals import accessed
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from coaching.services.scorecards import rubric_score_errors, scorecard_overall
from practice.models import (
    AttemptStatus,
    MediaType,
    PracticeAttempt,
    PracticeChunk,
    PracticeComment,
    PracticeReview,
    PracticeScenario,
    PracticeScore,
    PracticeSettings,
)

MAX_CHUNKS = 10_000
MAX_DURATION_SECONDS = 4 * 60 * 60
_EXTENSIONS: dict[str, str] = {
    MediaType.AUDIO_WEBM: "webm",
    MediaType.VIDEO_WEBM: "webm",
    MediaType.VIDEO_MP4: "mp4",
}


@dataclass(frozen=True)
class ChunkResult:
    received: int
    total: int
    is_complete: bool


def _start_errors(
    *, media_type: str, size_bytes: int, total_chunks: int, duration_seconds: int
) -> dict[str, str]:
    errors: dict[str, str] = {}
    org = PracticeSettings.current()
    if media_type not in MediaType.values:
        errors["media_type"] = _("Record as %(types)s; %(given)s is not accepted.") % {
            "types": ", ".join(MediaType.values),
            "given": media_type or "?",
        }
    limit = min(org.max_recording_mb * 1024 * 1024, settings.PRACTICE_MAX_RECORDING_BYTES)
    if not 1 <= size_bytes <= limit:
        errors["size_bytes"] = _(
            "A recording may have up to %(limit)s MB; this one has %(size)s bytes."
        ) % {"limit": limit // (1024 * 1024), "size": size_bytes}
    if not 1 <= total_chunks <= MAX_CHUNKS:
        errors["total_chunks"] = _("Send between 1 and %(max)s chunks.") % {"max": MAX_CHUNKS}
    # The length is the browser's claim (it is not read from the file).
    if not 0 <= duration_seconds <= org.max_minutes * 60:
        errors["duration_seconds"] = _("A recording may last up to %(n)s minutes.") % {
            "n": org.max_minutes
        }
    return errors


def attempt_start(
    *,
    rep: User,
    scenario: PracticeScenario,
    media_type: str,
    size_bytes: int,
    total_chunks: int,
    duration_seconds: int = 0,
) -> PracticeAttempt:
    """Open an upload. The rep's unfinished uploads of this scenario are replaced (a re-record);
    the attempt limit counts the attempts that were submitted. Writes nothing when refused."""
    errors = _start_errors(
        media_type=media_type,
        size_bytes=size_bytes,
        total_chunks=total_chunks,
        duration_seconds=duration_seconds,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The rep's row serialises their starts: the number and the limit are read under it.
        User.objects.select_for_update().filter(pk=rep.pk).first()
        mine = PracticeAttempt.objects.filter(scenario=scenario, rep=rep)
        stale = list(mine.filter(status=AttemptStatus.UPLOADING))
        if mine.exclude(status=AttemptStatus.UPLOADING).count() >= scenario.max_attempts:
            raise ValidationError(
                {"attempt": _("You have used all %(n)s attempts.") % {"n": scenario.max_attempts}}
            )
        _attempts_delete(stale)
        number = (mine.aggregate(n=Max("number"))["n"] or 0) + 1
        return PracticeAttempt.objects.create(
            scenario=scenario,
            rep=rep,
            number=number,
            media_type=media_type,
            size_bytes=size_bytes,
            total_chunks=total_chunks,
            duration_seconds=duration_seconds,
        )


def attempt_upload_file(
    *, rep: User, scenario: PracticeScenario, content: File[bytes], media_type: str
) -> PracticeAttempt:
    """A recording uploaded as one file (no MediaRecorder, or recorded elsewhere): the same
    start and chunk checks as the recorder's upload, as one chunk, in one transaction, so a
    refused file leaves no attempt and no file. Its length is unknown (0)."""
    with transaction.atomic():
        attempt = attempt_start(
            rep=rep,
            scenario=scenario,
            media_type=media_type,
            size_bytes=content.size or 0,
            total_chunks=1,
        )
        attempt_chunk_store(attempt_id=attempt.pk, index=0, total=1, content=content)
    attempt.refresh_from_db()
    return attempt


def _attempts_delete(attempts: list[PracticeAttempt]) -> None:
    """Delete attempts with their chunk files and recording, the files after commit."""
    if not attempts:
        return
    paths = list(PracticeChunk.objects.filter(attempt__in=attempts).values_list("path", flat=True))
    paths += [a.recording.name for a in attempts if a.recording]
    PracticeAttempt.objects.filter(pk__in=[a.pk for a in attempts]).delete()
    transaction.on_commit(lambda: _files_delete(paths))


def _files_delete(paths: list[str]) -> None:
    for path in paths:
        default_storage.delete(path)


def _looks_like(media_type: str, head: bytes) -> bool:
    """The container's signature: WebM (EBML) starts 1A 45 DF A3; MP4 has `ftyp` at byte 4."""
    if media_type == MediaType.VIDEO_MP4:
        return head[4:8] == b"ftyp"
    return head[:4] == b"\x1a\x45\xdf\xa3"


def _chunk_errors(attempt: PracticeAttempt, *, index: int, total: int, size: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    if total != attempt.total_chunks:
        errors["total"] = _("This upload has %(n)s chunks.") % {"n": attempt.total_chunks}
    if not 0 <= index < attempt.total_chunks:
        errors["index"] = _("A chunk index is from 0 to %(max)s.") % {
            "max": attempt.total_chunks - 1
        }
    stored = attempt.chunks.exclude(index=index).aggregate(s=Sum("size_bytes"))["s"] or 0
    if size < 1 or stored + size > attempt.size_bytes:
        errors["chunk"] = _("The chunks add up to more than the %(size)s bytes declared.") % {
            "size": attempt.size_bytes
        }
    return errors


def attempt_chunk_store(
    *, attempt_id: int, index: int, total: int, content: File[bytes]
) -> ChunkResult:
    """Store one chunk. Idempotent: a chunk sent again (also after the upload completed) is
    answered as received and not stored twice. The last chunk joins them into the recording."""
    with transaction.atomic():
        attempt = PracticeAttempt.objects.select_for_update().get(pk=attempt_id)
        if not attempt.is_uploading:
            return ChunkResult(attempt.total_chunks, attempt.total_chunks, is_complete=True)
        if attempt.chunks.filter(index=index).exists():
            return _chunk_result(attempt)
        errors = _chunk_errors(attempt, index=index, total=total, size=content.size or 0)
        if not errors and index == 0 and not _looks_like(attempt.media_type, content.read(8)):
            errors["chunk"] = _("This is not a %(type)s recording.") % {"type": attempt.media_type}
        if errors:
            raise ValidationError(errors)
        content.seek(0)
        path = default_storage.save(f"practice/chunks/{attempt.pk}/{index:06d}", content)
        try:
            with transaction.atomic():
                PracticeChunk.objects.create(
                    attempt=attempt, index=index, size_bytes=content.size or 0, path=path
                )
                result = _chunk_result(attempt)
                if result.is_complete:
                    _attempt_assemble(attempt)
        except BaseException:
            default_storage.delete(path)
            raise
        return result


def _chunk_result(attempt: PracticeAttempt) -> ChunkResult:
    received = attempt.chunks.count()
    return ChunkResult(received, attempt.total_chunks, received == attempt.total_chunks)


def _attempt_assemble(attempt: PracticeAttempt) -> None:
    """Join the chunks in order into the recording and submit the attempt; the chunk files are
    deleted after commit. Refused (nothing kept) when they do not add up to the declared size."""
    chunks = list(attempt.chunks.order_by("index"))
    size = sum(c.size_bytes for c in chunks)
    if size != attempt.size_bytes:
        raise ValidationError(
            {
                "chunk": _("The chunks add up to %(got)s bytes, not the %(size)s declared.")
                % {"got": size, "size": attempt.size_bytes}
            }
        )
    name = f"practice/recordings/{attempt.pk}-{uuid.uuid4().hex}.{_EXTENSIONS[attempt.media_type]}"
    with tempfile.TemporaryFile() as joined:
        for chunk in chunks:
            with default_storage.open(chunk.path, "rb") as part:
                for block in iter(lambda: part.read(1024 * 1024), b""):
                    joined.write(block)
        joined.seek(0)
        saved = default_storage.save(name, File(joined))
    try:
        attempt.recording.name = saved
        attempt.status = AttemptStatus.SUBMITTED
        attempt.submitted_at = timezone.now()
        attempt.save(update_fields=["recording", "status", "submitted_at", "updated_at"])
        paths = [c.path for c in chunks]
        attempt.chunks.all().delete()
        transaction.on_commit(lambda: _files_delete(paths))
    except BaseException:
        default_storage.delete(saved)
        raise


def review_submit(
    *, reviewer: User, attempt: PracticeAttempt, scores: Mapping[int, int], notes: str = ""
) -> PracticeReview:
    """Score a submitted attempt on its scenario's rubric, once. Whoever may review is decided
    by practice.access; this checks the scores and the attempt's state. Writes nothing when
    refused."""
    rubric = attempt.scenario.rubric
    criteria = list(rubric.criteria.all())
    if not criteria:
        raise ValidationError({"rubric": _("This rubric has no criteria yet.")})
    errors = rubric_score_errors(criteria, scores)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The conditional update is the claim: of two reviewers submitting at once, one wins.
        claimed = PracticeAttempt.objects.filter(
            pk=attempt.pk, status=AttemptStatus.SUBMITTED
        ).update(status=AttemptStatus.REVIEWED, updated_at=timezone.now())
        if not claimed:
            raise ValidationError({"attempt": _("This attempt is not waiting for a review.")})
        try:
            review = PracticeReview.objects.create(
                attempt=attempt,
                rubric=rubric,
                reviewer=reviewer,
                notes=notes.strip(),
                overall=scorecard_overall(criteria, scores),
            )
        except IntegrityError:
            raise ValidationError({"attempt": _("This attempt is already reviewed.")}) from None
        PracticeScore.objects.bulk_create(
            PracticeScore(review=review, criterion=c, score=scores[c.pk]) for c in criteria
        )
    attempt.status = AttemptStatus.REVIEWED
    return review


def comment_add(
    *, author: User, attempt: PracticeAttempt, at_second: int, text: str
) -> PracticeComment:
    """Pin a remark to a second of a submitted recording."""
    errors: dict[str, str] = {}
    text = text.strip()
    if attempt.is_uploading:
        errors["attempt"] = _("The recording is still uploading.")
    if not text:
        errors["text"] = _("Write the comment.")
    elif len(text) > 1000:
        errors["text"] = _("A comment has at most 1000 characters.")
    longest = attempt.duration_seconds or MAX_DURATION_SECONDS
    if not 0 <= at_second <= longest:
        errors["at_second"] = _("Pick a moment between 0 and %(n)s seconds.") % {"n": longest}
    if errors:
        raise ValidationError(errors)
    return PracticeComment.objects.create(
        attempt=attempt, author=author, at_second=at_second, text=text
    )


def attempt_delete(*, rep: User, attempt: PracticeAttempt) -> None:
    """The rep withdraws their own attempt before it is reviewed: the attempt, its comments and
    its files go, and the attempt no longer counts against the limit. Refused once reviewed.
    Who may call it (the rep alone) is practice.access's; this guards the state."""
    with transaction.atomic():
        # The row lock orders this against review_submit's claim: whichever runs second sees
        # the other's outcome (a deleted row, or the status 'reviewed').
        locked = PracticeAttempt.objects.select_for_update().filter(pk=attempt.pk, rep=rep).first()
        if locked is None:
            raise ValidationError({"attempt": _("This attempt is already deleted.")})
        if locked.status == AttemptStatus.REVIEWED:
            raise ValidationError(
                {"attempt": _("A reviewed attempt stays; it can no longer be deleted.")}
            )
        _attempts_delete([locked])


# A player fetches a recording in many byte ranges; a viewer's fetches of one attempt within
# this window are one viewing, one audit row.
VIEW_AUDIT_WINDOW = dt.timedelta(minutes=10)


def recording_view_audit(*, viewer: User, attempt: PracticeAttempt) -> bool:
    """Record that someone other than the rep fetched the recording: an ACCESS row of
    django-auditlog (its `accessed` signal; actor and address come from the request, decision
    0010), one per viewer and attempt within VIEW_AUDIT_WINDOW. The rep's own views are not
    recorded. Two fetches racing may both write a row: more rows, never fewer."""
    if viewer.pk == attempt.rep_id:
        return False
    recent = (
        LogEntry.objects.get_for_object(attempt)
        .filter(
            action=LogEntry.Action.ACCESS,
            actor_id=viewer.pk,
            timestamp__gte=timezone.now() - VIEW_AUDIT_WINDOW,
        )
        .exists()
    )
    if recent:
        return False
    accessed.send(sender=PracticeAttempt, instance=attempt)
    return True


@dataclass(frozen=True)
class PurgeResult:
    abandoned: int
    expired: int


def practice_purge(*, now: dt.datetime | None = None) -> PurgeResult:
    """Delete uploads that never completed (PRACTICE_ABANDONED_UPLOAD_HOURS) and recordings
    past the organisation's retention (PracticeSettings.retention_days; the review and comments
    stay). Idempotent: a
    second run finds nothing. Files go after the commit, so a crash leaves at worst an orphan
    file, never a row pointing at a missing one."""
    now = now or timezone.now()
    abandoned_before = now - dt.timedelta(hours=settings.PRACTICE_ABANDONED_UPLOAD_HOURS)
    expired_before = now - dt.timedelta(days=PracticeSettings.current().retention_days)
    with transaction.atomic():
        abandoned = list(
            PracticeAttempt.objects.select_for_update().filter(
                status=AttemptStatus.UPLOADING, created_at__lt=abandoned_before
            )
        )
        _attempts_delete(abandoned)
        expired = list(
            PracticeAttempt.objects.select_for_update()
            .filter(submitted_at__lt=expired_before, recording_deleted_at__isnull=True)
            .exclude(recording="")
        )
        paths = [a.recording.name for a in expired]
        PracticeAttempt.objects.filter(pk__in=[a.pk for a in expired]).update(
            recording="", recording_deleted_at=now
        )
        transaction.on_commit(lambda: _files_delete(paths))
    return PurgeResult(abandoned=len(abandoned), expired=len(expired))
