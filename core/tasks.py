from celery import shared_task


@shared_task(name="core.tasks.ping")
def ping(value: str) -> str:
    """A round trip through the queue, for the worker integration test and for operators."""
    return f"pong:{value}"
