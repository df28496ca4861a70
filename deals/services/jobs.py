"""Large ingestions: stored as chunks, processed by Celery one chunk per transaction.

A chunk is deleted in the same transaction that ingests it and adds its counts to the job, so a
task that dies or runs twice never ingests a chunk twice; the next run picks up where it was.
"""

import uuid
from collections.abc import Sequence
from typing import Any, Final

import msgspec
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import ApiKey, User
from deals.models import IngestChunk, IngestJob, IngestJobKind, IngestJobStatus
from deals.services.ingest import deals_ingest

CHUNK_ROWS: Final = 5_000


def ingest_job_create(
    *,
    rows: Sequence[Any],
    kind: str = IngestJobKind.API,
    default_source: str = "",
    created_by: User | None = None,
    created_by_key: ApiKey | None = None,
) -> IngestJob:
    """Store the rows as a queued job and start processing it after commit. Rows may be
    decoded values or undecoded JSON (msgspec.Raw, stored as they came)."""
    with transaction.atomic():
        job = IngestJob.objects.create(
            kind=kind,
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
        transaction.on_commit(lambda: _enqueue(job.pk))
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


def _enqueue(job_id: Any) -> None:
    from deals.tasks import process_ingest_job

    process_ingest_job.delay(str(job_id))


def ingest_job_process(*, job_id: str | uuid.UUID) -> None:
    """Ingest the job's remaining chunks in order. Idempotent and safe to run concurrently: each
    chunk is claimed with a row lock that other runs skip."""
    job_id = uuid.UUID(str(job_id))
    IngestJob.objects.filter(
        pk=job_id, status__in=[IngestJobStatus.QUEUED, IngestJobStatus.RUNNING]
    ).update(status=IngestJobStatus.RUNNING, started_at=timezone.now())
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
            result = deals_ingest(
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
