"""Large ingestions: stored as chunks, processed by Celery one chunk per transaction.

A chunk is deleted in the same transaction that ingests it and adds its counts to the job, so a
task that dies or runs twice never ingests a chunk twice; the next run picks up where it was.

Nothing is lost when a worker dies: the task is acknowledged late and re-queued when its worker
process is lost; a job whose worker died with it (or whose message was lost with Redis) stops
touching `updated_at`, and the beat sweep `ingest_jobs_requeue_stuck` queues it again once the
lease has passed. A run that overlaps a slow live one is harmless (chunks are claimed with
SKIP LOCKED).
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Final

import msgspec
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ApiKey, User
from core.outbox import outbox_enqueue
from deals.models import IngestChunk, IngestEntity, IngestJob, IngestJobKind, IngestJobStatus
from deals.services.activities import activities_ingest
from deals.services.ingest import deals_ingest

CHUNK_ROWS: Final = 5_000


def ingest_job_create(
    *,
    rows: Sequence[Any],
    kind: str = IngestJobKind.API,
    entity: str = IngestEntity.DEALS,
    default_source: str = "",
    created_by: User | None = None,
    created_by_key: ApiKey | None = None,
) -> IngestJob:
    """Store the rows as a queued job and start processing it after commit. Rows may be
    decoded values or undecoded JSON (msgspec.Raw, stored as they came)."""
    with transaction.atomic():
        job = IngestJob.objects.create(
            kind=kind,
            entity=entity,
            default_source=default_source,
            created_by=created_by,
            created_by_key=created_by_key,
            received=len(rows),
            chunks_total=(len(rows) + CHUNK_ROWS - 1) // CHUNK_ROWS,
        )
        _chunks_store(
            [
                IngestChunk(
                    job=job,
                    seq=seq,
                    first_index=start,
                    payload=msgspec.json.encode(rows[start : start + CHUNK_ROWS]).decode(),
                )
                for seq, start in enumerate(range(0, len(rows), CHUNK_ROWS))
            ]
        )
        outbox_enqueue(task="deals.tasks.process_ingest_job", args=[str(job.pk)])
    return job


def _chunks_store(chunks: list[IngestChunk]) -> None:
    """On PostgreSQL by COPY: an INSERT of megabytes of text costs seconds in quoting and
    parsing (50,000 rows took 20 s), COPY streams them (0.3 s)."""
    if connection.vendor != "postgresql":
        IngestChunk.objects.bulk_create(chunks)
        return
    table = IngestChunk._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} (job_id, seq, first_index, payload) FROM STDIN") as copy,
    ):
        for chunk in chunks:
            copy.write_row((chunk.job_id, chunk.seq, chunk.first_index, chunk.payload))


def ingest_job_process(*, job_id: str | uuid.UUID) -> None:
    """Ingest the job's remaining chunks in order. Idempotent and safe to run concurrently: each
    chunk is claimed with a row lock that other runs skip."""
    job_id = uuid.UUID(str(job_id))
    IngestJob.objects.filter(
        pk=job_id, status__in=[IngestJobStatus.QUEUED, IngestJobStatus.RUNNING]
    ).update(
        status=IngestJobStatus.RUNNING,
        started_at=Coalesce(F("started_at"), Value(timezone.now())),
        updated_at=timezone.now(),
    )
    while True:
        with transaction.atomic():
            chunk = (
                IngestChunk.objects.select_for_update(skip_locked=True)
                .filter(job_id=job_id)
                .order_by("seq")
                .first()
            )
            if chunk is None:
                break
            job = IngestJob.objects.select_for_update().get(pk=job_id)
            ingest = activities_ingest if job.entity == IngestEntity.ACTIVITIES else deals_ingest
            result = ingest(
                rows=msgspec.json.decode(chunk.payload), default_source=job.default_source or None
            )
            errors = result.as_api_dict()["errors"]
            for error in errors:
                error["index"] += chunk.first_index
                # A row's bad id is echoed back; PostgreSQL's jsonb refuses NUL (\u0000), which
                # would fail the whole job (found by the production stage's API fuzzer).
                for name, value in error.items():
                    if isinstance(value, str):
                        error[name] = value.replace("\x00", "\ufffd")
            job.errors = [*job.errors, *errors]
            job.save(update_fields=["errors", "updated_at"])
            IngestJob.objects.filter(pk=job_id).update(
                created=F("created") + result.created,
                updated=F("updated") + result.updated,
                unchanged=F("unchanged") + result.unchanged,
                stale=F("stale") + result.stale,
                chunks_done=F("chunks_done") + 1,
            )
            chunk.delete()
    if not IngestChunk.objects.filter(job_id=job_id).exists():
        IngestJob.objects.filter(pk=job_id, status=IngestJobStatus.RUNNING).update(
            status=IngestJobStatus.DONE, finished_at=timezone.now()
        )


def ingest_job_fail(*, job_id: str | uuid.UUID, reason: str) -> None:
    """The task gave up: the job says so; chunks already ingested stay ingested."""
    IngestJob.objects.filter(pk=job_id).exclude(status=IngestJobStatus.DONE).update(
        status=IngestJobStatus.FAILED, failure=reason[:2000], finished_at=timezone.now()
    )


def ingest_jobs_requeue_stuck(*, now: dt.datetime | None = None) -> list[uuid.UUID]:
    """Beat: queue again every job still queued or running whose last sign of life (a chunk
    finished, a run started) is older than the lease: its worker died or its message was lost.
    Touching `updated_at` makes the next sweep wait a whole lease before trying again."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.INGEST_JOB_LEASE_SECONDS)
    with transaction.atomic():
        stuck = list(
            IngestJob.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[IngestJobStatus.QUEUED, IngestJobStatus.RUNNING],
                updated_at__lt=now - lease,
            )
            .order_by("created_at")
            .values_list("pk", flat=True)
        )
        IngestJob.objects.filter(pk__in=stuck).update(updated_at=now)
        for job_id in stuck:
            outbox_enqueue(task="deals.tasks.process_ingest_job", args=[str(job_id)])
    return stuck
