"""Coaching's background work. Thin: each task re-reads state and calls one service; all are
safe to run twice."""

from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.utils import timezone

from coaching.services.notifications import (
    commitment_result_notify,
    session_invites_send,
    session_reminders_send,
)
from coaching.services.post_mortems import commitment_check, commitments_due_ids

# Mail servers hiccup: retry a few times with backoff; anything else is a bug and fails loudly.
MAIL_RETRY: dict[str, Any] = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": 30,
    "retry_backoff_max": 15 * 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="coaching.tasks.send_session_invites", **MAIL_RETRY)
def send_session_invites(session_id: int, method: str, sequence: int) -> int:
    return session_invites_send(
        session_id=session_id,
        method="CANCEL" if method == "CANCEL" else "REQUEST",
        sequence=sequence,
    )


@shared_task(name="coaching.tasks.send_session_reminders")
def send_session_reminders() -> int:
    """Hourly (beat): the day-before reminder, once per session."""
    return session_reminders_send(now=timezone.now())


@shared_task(name="coaching.tasks.check_due_commitments")
def check_due_commitments() -> int:
    """Daily (beat): measure every commitment whose check date has come."""
    today = timezone.localdate()
    return sum(
        commitment_check(commitment_id=commitment_id, today=today)
        for commitment_id in commitments_due_ids(today=today)
    )


@shared_task(name="coaching.tasks.notify_commitment_result", **MAIL_RETRY)
def notify_commitment_result(commitment_id: int) -> int:
    return commitment_result_notify(commitment_id=commitment_id)
