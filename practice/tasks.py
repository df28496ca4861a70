from celery import shared_task

from practice.services import practice_purge


@shared_task(name="practice.tasks.purge_recordings")
def purge_recordings() -> dict[str, int]:
    """Abandoned uploads and recordings past retention; safe to run twice."""
    result = practice_purge()
    return {"abandoned": result.abandoned, "expired": result.expired}
