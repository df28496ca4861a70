"""Report refreshes in the background. Thin: take the lock, plan, fan out, publish.

- refresh_reports_if_changed (beat, every 10 minutes): recomputes only when the inputs' watermark
  moved, so a burst of ingestions or completions costs one refresh, at most ten minutes late.
- refresh_all_reports (beat, nightly): recomputes everything, and assigns evaluation waves that
  start today.
- warm_efficiency_reports: sent by a published refresh, so the efficiency reports are ready as
  of it without holding the chord's callback.

Either one plans a refresh and sends it as a chord (decision 0023): one compute_report_item task
per subject and metric, on whichever workers are free, and publish_reports as the callback once
all of them have succeeded. The chord's members return plain JSON through the result backend
(Redis in production, files under var/ for `make run`; eager in tests and without a broker). A
member that fails (after its retries, for a lost database connection) fails the chord:
refresh_failed logs it and frees the lock, nothing is published and the previous snapshots stay;
the watermark has not moved, so the next frequent refresh tries again.
"""

import logging
from typing import Any

from celery import chord, shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from roi.efficiency.cache import efficiency_reports_warm
from roi.selectors import report_today
from roi.services import evaluation_waves_assign_due
from roi.services.refresh import (
    RefreshRun,
    report_publish,
    report_refresh_item,
    report_refresh_plan,
)
from roi.services.report_rows import ReportItem

log = logging.getLogger(__name__)

LOCK_KEY = "roi:refresh-lock"
# Longer than a refresh of a large organisation takes; a crashed worker frees it by expiry.
LOCK_SECONDS = 30 * 60


def _lock_take(run_id: str) -> bool:
    """True when this refresh holds the lock. cache.add is atomic on Redis: one refresh at a
    time across workers; a second one skips instead of computing the same snapshots again. The
    lock outlives this task: the chord's publish (or its error callback) frees it."""
    return bool(cache.add(LOCK_KEY, run_id, timeout=LOCK_SECONDS))


def _lock_free(run_id: str) -> None:
    # Only our own: after expiry another refresh may hold it. Between the read and the delete
    # that one could expire in turn and a third take it; the cost is one refresh overlapping
    # another, and publishing refuses the older of the two (roi.services.refresh).
    if cache.get(LOCK_KEY) == run_id:
        cache.delete(LOCK_KEY)


def _refresh_send(*, force: bool) -> int:
    """Plan a refresh and send it as a chord; the number of items sent (0: skipped)."""
    run = report_refresh_plan(force=force)
    if run is None:
        return 0
    if not _lock_take(run.run_id):
        log.info("roi refresh skipped: another refresh is running")
        return 0
    message = run.as_message()
    publish = publish_reports.s(message).on_error(refresh_failed.s(run_id=run.run_id))
    try:
        if not run.items:
            publish.delay([])
        else:
            chord(compute_report_item.s(message, item) for item in run.items)(publish)
    except Exception:
        # Not sent (the broker refused it) or, eagerly, failed: nobody else frees the lock.
        _lock_free(run.run_id)
        raise
    return len(run.items)


@shared_task(name="roi.tasks.refresh_all_reports")
def refresh_all_reports() -> int:
    """Nightly: every snapshot, recomputed. Returns the number of items sent."""
    evaluation_waves_assign_due(today=report_today())
    return _refresh_send(force=True)


@shared_task(name="roi.tasks.refresh_reports_if_changed")
def refresh_reports_if_changed() -> int:
    """Frequent: recompute only when deals, completions, coaching or settings changed."""
    return _refresh_send(force=False)


@shared_task(
    name="roi.tasks.compute_report_item",
    ignore_result=False,  # the chord's callback reads it
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=2,
    retry_backoff=5,
)
def compute_report_item(run: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """One subject and metric of a refresh: its result as plain JSON. Pure given the data:
    running it twice gives the same result."""
    subject = ReportItem(kind=item["kind"], key=item["key"], metric=item["metric"])
    return report_refresh_item(run=RefreshRun.from_message(run), item=subject)


@shared_task(name="roi.tasks.publish_reports")
def publish_reports(results: list[dict[str, Any]], run: dict[str, Any]) -> int:
    """The chord's callback: every snapshot of the refresh in one transaction. Returns the
    number written (0 when this refresh or a later one was published already)."""
    refresh = RefreshRun.from_message(run)
    try:
        outcome = report_publish(run=refresh, results=results)
    finally:
        _lock_free(refresh.run_id)
    if outcome.refreshed:
        # Its own task: at 10x demo data it takes about a minute, which the callback (and the
        # refresh lock) should not be held for.
        warm_efficiency_reports.delay()
    return outcome.snapshots


@shared_task(name="roi.tasks.warm_efficiency_reports")
def warm_efficiency_reports() -> None:
    """After a published refresh: the efficiency reports as of it, computed before a leader
    looks (roi.efficiency.cache, decision 0022)."""
    efficiency_reports_warm()


@shared_task(name="roi.tasks.refresh_failed")
def refresh_failed(request: Any, exc: BaseException, traceback: Any, *, run_id: str) -> None:
    """The chord's error callback: an item failed, so nothing was published and the previous
    snapshots stand; the next frequent refresh tries again (the watermark has not moved)."""
    log.error("roi refresh %s not published: %r", run_id, exc)
    _lock_free(run_id)
