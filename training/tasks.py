import logging

from celery import shared_task
from celery.app.task import Task

from training.services import assignment_reminders_send
from training.services.lti_scores import (
    SEND_BACKOFF,
    SEND_MAX_RETRIES,
    ScoreSendLater,
    lti_score_send,
)

logger = logging.getLogger(__name__)


@shared_task(name="training.tasks.send_assignment_reminders")
def send_assignment_reminders() -> dict[str, int]:
    """Daily (config/celery.py): due-soon and overdue emails, each sent once per assignment."""
    run = assignment_reminders_send()
    return {"due_soon": run.due_soon, "overdue": run.overdue, "failed": run.failed}


@shared_task(name="training.tasks.send_lti_score", bind=True, acks_late=True)
def send_lti_score(self: Task, launch_id: int) -> str:  # type: ignore[type-arg]
    """A completed course's score to the LMS line item it was launched from (idempotent: see
    training/services/lti_scores.py). A platform that cannot take it now is tried again after
    the repo's back-off (core/retry.py, its Retry-After honoured); after SEND_MAX_RETRIES it is
    logged and given up."""
    try:
        return lti_score_send(launch_id=launch_id).outcome
    except ScoreSendLater as exc:
        attempt = self.request.retries + 1
        if attempt > SEND_MAX_RETRIES:
            logger.error(
                "LTI score for launch %s given up after %s tries: %s", launch_id, attempt, exc
            )
            return "given up"
        countdown = SEND_BACKOFF.wait(attempt, retry_after=exc.retry_after)
        raise self.retry(exc=exc, countdown=countdown, max_retries=SEND_MAX_RETRIES) from exc
