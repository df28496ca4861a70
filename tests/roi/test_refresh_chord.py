"""A refresh split into items (one per subject and metric) and published as one: the pieces the
Celery chord runs (roi.tasks), here in this process; tests/roi/test_refresh_worker.py runs the
chord on real workers."""

import pytest
from django.core.cache import cache
from kombu.utils.json import dumps, loads

from roi import tasks
from roi.models import RefreshState, ReportSnapshot
from roi.services import refresh as refresh_service
from roi.services import report_refresh_all
from roi.services.refresh import report_publish, report_refresh_item, report_refresh_plan
from tests.roi.builders import TODAY, build_team, snapshot_payloads
from tests.roi.factories import (
    CoachingSessionFactory,
    DealFactory,
    RepFactory,
    at,
    program_with_courses,
)

pytestmark = pytest.mark.django_db

METRICS = ["bookings", "win_rate", "cycle_days", "slip_rate", "qualification"]


def _through_the_queue(result: dict) -> dict:
    """A result as the chord's callback receives it: JSON, as Celery serialises it."""
    return loads(dumps(result))


def test_a_refresh_has_one_item_per_program_and_kind_of_coaching_and_metric():
    # given two programs and completed role-play sessions
    b = program_with_courses(1, title="B program")
    a = program_with_courses(1, title="A program")
    CoachingSessionFactory(rep=RepFactory(), kind="role_play", status="completed")

    run = report_refresh_plan(force=True, today=TODAY)

    assert run is not None
    assert [(i["kind"], i["key"], i["metric"]) for i in run.items] == [
        *(("program", a.slug, m) for m in METRICS),
        *(("program", b.slug, m) for m in METRICS),
        *(("coaching", "role_play", m) for m in METRICS),
    ]


def test_items_computed_apart_and_sent_as_json_publish_what_one_process_does():
    # given a program with a finding and its plan not yet frozen, and coaching
    team = build_team(n_reps=40, seed=3)
    CoachingSessionFactory(
        rep=team.reps[0], kind="role_play", status="completed", start=at(2024, 3, 5)
    )
    report_refresh_all(force=True, today=TODAY)
    in_one_process = snapshot_payloads()
    ReportSnapshot.objects.all().delete()

    # when each item is computed on its own, in reverse order, its result sent as JSON
    run = report_refresh_plan(force=True, today=TODAY)
    assert run is not None
    message = run.as_message()
    results = [
        _through_the_queue(tasks.compute_report_item(message, dict(item)))
        for item in reversed(run.items)
    ]
    written = tasks.publish_reports(results, message)

    # then the same snapshots are published (the plan as frozen by the first)
    assert written == 10
    assert snapshot_payloads() == in_one_process
    assert in_one_process[("program", team.program.slug, "bookings")]["plan"]["frozen_at"]


def test_the_panel_is_built_once_per_process_and_refresh(monkeypatch):
    program_with_courses(1)
    built = []
    original = refresh_service.report_context

    def counting(**kwargs):
        built.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(refresh_service, "report_context", counting)

    report_refresh_all(force=True, today=TODAY)
    report_refresh_all(force=True, today=TODAY)

    assert len(built) == 2  # ten items, two refreshes


def test_a_failing_item_publishes_nothing_and_the_previous_snapshots_stay(monkeypatch):
    # given published snapshots
    team = build_team(n_reps=30, seed=4)
    report_refresh_all(force=True, today=TODAY)
    before = snapshot_payloads()
    state = RefreshState.objects.values().get()
    # and a later refresh in which one item fails, after others succeeded
    original = refresh_service.report_item_compute

    def failing(*, item, inputs):
        if item["metric"] == "cycle_days":
            raise RuntimeError("worker lost the estimator")
        return original(item=item, inputs=inputs)

    monkeypatch.setattr(refresh_service, "report_item_compute", failing)
    DealFactory(owner=team.reps[0], status="won", closed_at=at(2024, 11, 20))

    # when the tasks refresh (eagerly here: the chord's failure reaches the caller)
    with pytest.raises(RuntimeError, match="worker lost the estimator"):
        tasks.refresh_all_reports.delay()

    # then nothing of it was published, the watermark did not move, and the lock is free
    assert snapshot_payloads() == before
    assert RefreshState.objects.values().get() == state
    assert cache.get(tasks.LOCK_KEY) is None
    # and the next frequent refresh, the item working again, publishes
    monkeypatch.setattr(refresh_service, "report_item_compute", original)
    assert tasks.refresh_reports_if_changed.delay().get() == 5
    assert RefreshState.objects.get().watermark != state["watermark"]


def test_a_result_missing_for_a_metric_publishes_nothing():
    program_with_courses(1)
    report_refresh_all(force=True, today=TODAY)
    before = snapshot_payloads()
    run = report_refresh_plan(force=True, today=TODAY)
    assert run is not None
    results = [report_refresh_item(run=run, item=i) for i in run.items if i["metric"] != "bookings"]

    with pytest.raises(ValueError, match="no result for bookings"):
        report_publish(run=run, results=results)

    assert snapshot_payloads() == before


def test_a_publish_delivered_again_or_older_than_the_last_one_writes_nothing():
    # given two refreshes planned one after the other, both computed
    build_team(n_reps=30, seed=4)
    older = report_refresh_plan(force=True, today=TODAY)
    newer = report_refresh_plan(force=True, today=TODAY)
    assert older is not None and newer is not None
    older_results = [report_refresh_item(run=older, item=i) for i in older.items]
    newer_results = [report_refresh_item(run=newer, item=i) for i in newer.items]

    # when the newer one is published, then again (the message re-delivered), then the older
    first = report_publish(run=newer, results=newer_results)
    published = RefreshState.objects.values().get()
    again = report_publish(run=newer, results=newer_results)
    late = report_publish(run=older, results=older_results)

    # then only the first publish wrote
    assert (first.refreshed, first.snapshots) == (True, 5)
    assert (again.refreshed, late.refreshed) == (False, False)
    assert RefreshState.objects.values().get() == published
    assert published["run_id"] == newer.run_id


def test_the_error_callback_frees_only_its_own_lock():
    cache.set(tasks.LOCK_KEY, "another-refresh")
    tasks.refresh_failed(None, RuntimeError("x"), None, run_id="this-refresh")
    assert cache.get(tasks.LOCK_KEY) == "another-refresh"

    tasks.refresh_failed(None, RuntimeError("x"), None, run_id="another-refresh")
    assert cache.get(tasks.LOCK_KEY) is None


def test_publishing_frees_the_lock_before_the_efficiency_reports_are_warmed(monkeypatch):
    # given a planned refresh holding the lock, its items computed
    program_with_courses(1)
    run = report_refresh_plan(force=True, today=TODAY)
    assert run is not None
    message = run.as_message()
    assert tasks._lock_take(run.run_id)
    results = [tasks.compute_report_item(message, dict(item)) for item in run.items]
    warmed_with_lock = []
    monkeypatch.setattr(
        tasks, "efficiency_reports_warm", lambda: warmed_with_lock.append(cache.get(tasks.LOCK_KEY))
    )

    # when the callback publishes (tasks run eagerly in tests: the warm task runs at once)
    tasks.publish_reports(results, message)

    # then the warming ran as its own task, after the refresh lock was freed
    assert warmed_with_lock == [None]

    # and a publish that writes nothing (delivered twice) warms nothing
    tasks.publish_reports(results, message)
    assert warmed_with_lock == [None]
