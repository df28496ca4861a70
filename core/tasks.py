from celery import shared_task


@shared_task(name="core.tasks.ping")
def ping(value: str) -> str:
    """Round trip through the queue; the worker integration test and /readyz tooling use it."""
    return f"pong:{value}"
