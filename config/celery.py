import datetime as dt
import os
from typing import Any

from celery import Celery
from celery.schedules import crontab

from config.env import env_int

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("coachline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _job(task: str, **when: str | int) -> dict[str, Any]:
    """A beat entry: `task` on the crontab `when` (UTC)."""
    return {"task": task, "schedule": crontab(**when)}


# Periodic jobs (celery beat). Times are UTC.
app.conf.beat_schedule = {
    # Due-soon and overdue training reminders, once a day before the working day in Europe.
    "training-reminders": _job("training.tasks.send_assignment_reminders", hour=6, minute=0),
    # Commitments whose check date has come are measured against deals data.
    "coaching-commitment-checks": _job("coaching.tasks.check_due_commitments", hour=5, minute=30),
    # Reminders for tomorrow's coaching sessions.
    "coaching-session-reminders": _job("coaching.tasks.send_session_reminders", minute=15),
    # Deals of CRM owners who became known since (e.g. via the users bulk API) get their owner.
    "deals-attach-known-owners": _job("deals.tasks.attach_known_owners", minute=40),
    # Incremental CRM pulls; the watermark makes overlapping runs harmless.
    "crm-pull-sync": _job("integrations.tasks.sync_all_connections", minute="*/10"),
    # Outgoing webhooks whose queued send or retry was lost (a worker died); a safety net only,
    # retries are normally queued with their own delay.
    "events-overdue-deliveries": _job("events.tasks.send_due_deliveries", minute="*/5"),
    # Notification emails, Slack and Teams messages whose retry time came or whose task was lost.
    "notifications-due-deliveries": _job("notifications.tasks.send_due_deliveries", minute="*/2"),
    # Idempotency keys older than 24 hours are deleted, freeing them (core.idempotency).
    "core-expire-idempotency-keys": _job("core.tasks.expire_idempotency_keys", minute=25),
    # Tasks queued after a commit that the broker did not take (it was down, or the web process
    # died between commit and publish): see core/outbox.py.
    "core-relay-outbox": _job("core.tasks.relay_outbox", minute="*"),
    # Audit log rows past their retention (AUDITLOG_RETENTION_DAYS).
    "core-prune-audit-log": _job("core.tasks.prune_audit_log", hour=3, minute=10),
    # Sign-in records past the same retention.
    "accounts-prune-sign-in-records": _job(
        "accounts.tasks.prune_sign_in_records", hour=3, minute=20
    ),
    # The SAML identity provider's metadata read again from its URL, so a rotated signing
    # certificate is used within hours (Okta and Entra publish the next one ahead of the switch).
    "accounts-refresh-saml-metadata": _job(
        "accounts.tasks.refresh_saml_metadata", hour="*/6", minute=50
    ),
    # Ingest jobs whose worker died mid-job (lease: INGEST_JOB_LEASE_SECONDS).
    "deals-requeue-stuck-ingest-jobs": _job("deals.tasks.requeue_stuck_ingest_jobs", minute="*"),
    # Practice uploads that never completed, and recordings past the organisation's retention
    # (practice.PracticeSettings).
    "practice-purge-recordings": _job("practice.tasks.purge_recordings", hour=3, minute=40),
    # Nightly panel and report snapshots, after the CRM sync has caught up.
    "roi-nightly-refresh": _job("roi.tasks.refresh_all_reports", hour=2, minute=0),
    # Report snapshots soon after new deals or completions: recomputes only when the inputs'
    # watermark moved, so a burst of ingestions costs one refresh (debounce by polling).
    "roi-refresh-when-changed": _job("roi.tasks.refresh_reports_if_changed", minute="*/10"),
}

# The demo (`make run`) shows the timed behaviour within minutes: every job above runs every N
# seconds instead of at its time. Safe because every periodic job is idempotent (a reminder is sent
# once; the nightly refresh recomputes the same snapshots). Never set in production.
_every = env_int("CELERY_BEAT_EVERY_SECONDS", 0)
if _every > 0:
    for _entry in app.conf.beat_schedule.values():
        _entry["schedule"] = dt.timedelta(seconds=_every)
