"""The queue for real: a Celery worker process consumes a task from Redis and answers, and an
app task queued by a service write (outbox row, published after commit) runs in the worker
against the committed data."""

import time
import uuid
from typing import Any

import pytest
from django.db import connection, transaction

from core.models import OutboxMessage
from deals.models import Deal, IngestJob
from tests.celery_worker import celery_worker, worker_database_url
from tests.deals.factories import deal_row

pytestmark = pytest.mark.celery_worker


def test_a_real_worker_consumes_a_task_from_redis():
    queue = f"test-{uuid.uuid4().hex[:8]}"
    # The worker only needs the broker for this task.
    with celery_worker(queue=queue, database_url=None) as client:
        result = client.send_task("core.tasks.ping", args=["hello"], queue=queue)

        assert result.get(timeout=60) == "pong:hello"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_service_write_reaches_a_real_worker_through_the_outbox_after_commit(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process must share the test database (CI runs this on PostgreSQL)")
    from deals.services.jobs import ingest_job_create

    queue = f"test-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue=queue, database_url=worker_database_url()) as client:
        # The test process runs Celery eagerly; after commit its outbox publishes to the worker.
        published: list[str] = []

        def publish(message: Any) -> None:
            published.append(message.task)
            client.send_task(message.task, args=message.args, queue=queue)

        monkeypatch.setattr("core.outbox._publish", publish)

        # Given a write through a service: the job, its rows and its task in one transaction
        with transaction.atomic():
            job = ingest_job_create(rows=[deal_row(1), deal_row(2)])
            assert published == []  # nothing leaves before the commit
        # Then the task was published once the write committed
        assert published == ["deals.tasks.process_ingest_job"]
        assert OutboxMessage.objects.get().published_at is not None

        # And the worker, another process, ran it against the committed rows
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _done(job.pk):
            time.sleep(0.2)

    job.refresh_from_db()
    assert (job.status, job.received, job.created, job.chunks_done) == ("done", 2, 2, 1)
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == [
        "006D000001",
        "006D000002",
    ]


def _done(job_id: Any) -> bool:
    return IngestJob.objects.filter(pk=job_id, status="done").exists()
