"""The report refresh as a chord on a real worker (prefork, two processes) through Redis: its
items computed as separate tasks, their results through the Redis result backend, the
callback publishing what one process computes. And a failing item: nothing published."""

import time
import uuid

import pytest
from celery import chord
from celery.exceptions import ChordError
from django.db import connection

from roi.models import RefreshState
from roi.services import report_refresh_all
from roi.services.refresh import report_refresh_plan
from tests.celery_worker import celery_worker, worker_database_url
from tests.roi.builders import build_team, snapshot_payloads

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _wait_for(done, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done():
        time.sleep(0.3)


@pytest.fixture
def queue():
    if connection.vendor != "postgresql":
        pytest.skip("worker processes must share the test database (CI runs this on PostgreSQL)")
    return f"test-{uuid.uuid4().hex[:8]}"


def test_the_nightly_refresh_fans_out_to_workers_and_publishes_what_one_process_does(queue):
    # given a program with a finding among 30 reps, committed
    build_team(n_reps=30, seed=4)

    # when beat's nightly task reaches a real worker with two processes
    with celery_worker(queue=queue, database_url=worker_database_url(), concurrency=2) as client:
        client.send_task("roi.tasks.refresh_all_reports", queue=queue)
        _wait_for(lambda: RefreshState.objects.exclude(run_id="").exists())

    # then the chord's callback published the five metrics' snapshots
    state = RefreshState.objects.get()
    assert state.snapshots == 5
    from_workers = snapshot_payloads()
    assert len(from_workers) == 5
    # and they are what this process computes from the same data
    report_refresh_all(force=True)
    assert snapshot_payloads() == from_workers


def test_a_failing_item_on_a_worker_fails_the_chord_and_publishes_nothing(queue):
    # given published snapshots
    team = build_team(n_reps=30, seed=4)
    report_refresh_all(force=True)
    before, state = snapshot_payloads(), RefreshState.objects.values().get()
    # and a refresh whose items include one whose program is gone
    run = report_refresh_plan(force=True)
    assert run is not None
    items = [*map(dict, run.items), {"kind": "program", "key": "gone", "metric": "bookings"}]
    message = run.as_message()

    with celery_worker(queue=queue, database_url=worker_database_url(), concurrency=2) as client:
        publish = client.signature("roi.tasks.publish_reports", args=(message,), queue=queue)
        failed = client.signature(
            "roi.tasks.refresh_failed", kwargs={"run_id": run.run_id}, queue=queue
        )
        header = [
            client.signature("roi.tasks.compute_report_item", args=(message, i), queue=queue)
            for i in items
        ]
        result = chord(header, app=client)(publish.on_error(failed))

        # then the chord's callback is failed, naming the item's error
        _wait_for(lambda: result.state == "FAILURE")
        assert isinstance(result.result, ChordError)
        assert "Program matching query does not exist" in str(result.result)

    # and nothing was published: the previous snapshots and state stand
    assert snapshot_payloads() == before
    assert RefreshState.objects.values().get() == state
    assert team.program.slug in {key for _, key, _ in before}
