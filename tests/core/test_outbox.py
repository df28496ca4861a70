"""The transactional outbox: a task queued by a write is kept until the broker takes it."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core.models import OutboxMessage
from core.outbox import outbox_enqueue, outbox_relay, outbox_sweep
from deals.models import IngestJob
from deals.services.jobs import ingest_job_create, ingest_jobs_requeue_stuck
from events.services import BACKOFF_CAP
from tests.deals.factories import deal_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(message):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("core.outbox._publish", refuse)
    # The pause after a failure is per process: undone with the fixture, not left to other tests.
    monkeypatch.setattr("core.outbox._broker_paused_until", 0.0)


def test_a_broker_outage_after_commit_loses_nothing(
    broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    # Given the broker refuses connections, when a job is created, the write commits without error
    with django_capture_on_commit_callbacks(execute=True):
        job = ingest_job_create(rows=[deal_row(1), deal_row(2)])

    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.published_at, message.attempts) == (
        "deals.tasks.process_ingest_job",
        [str(job.pk)],
        None,
        1,
    )
    assert "Connection refused" in message.last_error
    assert IngestJob.objects.get().status == "queued"

    # When the broker is back, the sweep sends it (eager here: the job runs)
    monkeypatch.undo()
    assert outbox_sweep() == 1

    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 2)
    message.refresh_from_db()
    assert (message.published_at is not None, message.attempts) == (True, 2)


def test_after_a_broker_failure_new_messages_wait_for_the_sweep(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(task="core.tasks.ping", args=["first"])
    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(task="core.tasks.ping", args=["second"])

    # The second was not tried after commit (each try may cost seconds against a dead Redis).
    assert list(OutboxMessage.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 0]


def test_a_rolled_back_write_queues_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_enqueue(task="core.tasks.ping", args=["x"])
        raise RuntimeError("the write failed")

    assert (OutboxMessage.objects.count(), len(callbacks)) == (0, 0)


def test_a_claimed_message_is_not_sent_twice():
    message = outbox_enqueue(task="core.tasks.ping", args=["x"])
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() + dt.timedelta(seconds=30)
    )

    assert outbox_relay(message_ids=[message.pk]) == 0
    assert outbox_sweep() == 0


def test_a_relay_that_died_after_claiming_is_taken_over_when_its_lease_ends():
    message = outbox_enqueue(task="core.tasks.ping", args=["x"])
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - dt.timedelta(seconds=1)
    )

    assert outbox_sweep() == 1
    assert outbox_relay(message_ids=[message.pk]) == 0  # published: never again


def test_old_published_messages_are_forgotten():
    old = outbox_enqueue(task="core.tasks.ping", args=["old"])
    recent = outbox_enqueue(task="core.tasks.ping", args=["recent"])
    OutboxMessage.objects.filter(pk=old.pk).update(
        published_at=timezone.now() - dt.timedelta(days=3)
    )
    OutboxMessage.objects.filter(pk=recent.pk).update(published_at=timezone.now())

    outbox_sweep()

    assert list(OutboxMessage.objects.values_list("args", flat=True)) == [["recent"]]


def test_a_job_stuck_past_its_lease_is_queued_again(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stuck = ingest_job_create(rows=[deal_row(1)])
        fresh = ingest_job_create(rows=[deal_row(2)])
    lease = dt.timedelta(seconds=settings.INGEST_JOB_LEASE_SECONDS)
    IngestJob.objects.filter(pk=stuck.pk).update(
        status="running", updated_at=timezone.now() - lease - dt.timedelta(seconds=1)
    )

    assert ingest_jobs_requeue_stuck() == [stuck.pk]
    # The sweep touched it: the next one waits a whole lease again.
    assert ingest_jobs_requeue_stuck() == []
    assert list(OutboxMessage.objects.order_by("pk").values_list("args", flat=True)) == [
        [str(stuck.pk)],
        [str(fresh.pk)],
        [str(stuck.pk)],
    ]


def test_the_broker_keeps_unacknowledged_messages_longer_than_any_eta_or_task():
    # The Redis transport options use it (the test settings run on the memory broker).
    visibility = settings.BROKER_VISIBILITY_TIMEOUT

    assert visibility > BACKOFF_CAP.total_seconds()
    assert visibility > settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
