"""Report refreshes in the background. Thin: take the lock, call the service.

- refresh_reports_if_changed (beat, every 10 minutes): recomputes only when the inputs' watermark
  moved, so a burst of ingestions or completions costs one refresh, at most ten minutes late.
- refresh_all_reports (beat, nightly): recomputes everything, and assigns evaluation waves that
  start today.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.core.cache import cache

from roi.efficiency.cache import efficiency_reports_warm
from roi.selectors import report_today
from roi.services import evaluation_waves_assign_due, report_refresh_all

log = logging.getLogger(__name__)

LOCK_KEY = "roi:refresh-lock"
# Longer than a refresh of a large organisation takes; a crashed worker frees it by expiry.
LOCK_SECONDS = 30 * 60


@contextmanager
def _refresh_lock() -> Iterator[bool]:
    """True when this worker holds the lock. cache.add is atomic on Redis: one refresh at a time
    across workers; a second one skips instead of computing the same snapshots again."""
    held = cache.add(LOCK_KEY, "1", timeout=LOCK_SECONDS)
    try:
        yield held
    finally:
        if held:
            cache.delete(LOCK_KEY)


@shared_task(name="roi.tasks.refresh_all_reports")
def refresh_all_reports() -> int:
    """Nightly: every snapshot, recomputed. Returns the number of snapshots written."""
    evaluation_waves_assign_due(today=report_today())
    with _refresh_lock() as held:
        if not held:
            log.info("roi refresh skipped: another refresh is running")
            return 0
        snapshots = report_refresh_all(force=True).snapshots
        efficiency_reports_warm()
        return snapshots


@shared_task(name="roi.tasks.refresh_reports_if_changed")
def refresh_reports_if_changed() -> int:
    """Frequent: recompute only when deals, completions, coaching or settings changed."""
    with _refresh_lock() as held:
        if not held:
            return 0
        snapshots = report_refresh_all(force=False).snapshots
        if snapshots:
            efficiency_reports_warm()
        return snapshots
