from celery import shared_task
from celery.app.task import Task
from django.db import InterfaceError, OperationalError

from deals.services import deals_attach_known_owners
from deals.services.jobs import ingest_job_fail, ingest_job_process, ingest_jobs_requeue_stuck

MAX_RETRIES = 5


# The database went away or a lock timed out: chunks done so far are kept, and Celery retries
# the rest after 5, 10, 20… s (jittered, at most 5 minutes). The last failure fails the job.
@shared_task(
    name="deals.tasks.process_ingest_job",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def process_ingest_job(self: Task, job_id: str) -> None:  # type: ignore[type-arg]
    try:
        ingest_job_process(job_id=job_id)
    except (OperationalError, InterfaceError) as exc:
        if self.request.retries >= MAX_RETRIES:
            ingest_job_fail(job_id=job_id, reason=f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        # Bad data cannot get here (rows are validated one by one); this is a bug: fail loudly.
        ingest_job_fail(job_id=job_id, reason=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="deals.tasks.attach_known_owners")
def attach_known_owners() -> int:
    """Deals of CRM owners who became known since (e.g. through the users bulk API)."""
    return deals_attach_known_owners()


@shared_task(name="deals.tasks.requeue_stuck_ingest_jobs")
def requeue_stuck_ingest_jobs() -> int:
    """Beat: ingest jobs whose worker died mid-job are queued again (see deals/services/jobs)."""
    return len(ingest_jobs_requeue_stuck())
