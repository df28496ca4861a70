from celery import shared_task

from core.audit import audit_log_prune
from core.outbox import outbox_sweep


@shared_task(name="core.tasks.ping", ignore_result=False)  # its answer is the point
def ping(value: str) -> str:
    """A round trip through the queue, for the worker integration test and for operators."""
    return f"pong:{value}"


@shared_task(name="core.tasks.expire_idempotency_keys")
def expire_idempotency_keys() -> int:
    """Idempotency keys are kept 24 hours (core.idempotency); then they may be reused."""
    from core.idempotency import idempotency_keys_expire

    return idempotency_keys_expire()


@shared_task(name="core.tasks.relay_outbox")
def relay_outbox() -> int:
    """Beat, every minute: tasks queued after a commit that the broker did not take yet."""
    return outbox_sweep()


@shared_task(name="core.tasks.prune_audit_log")
def prune_audit_log() -> int:
    """Beat, daily: audit rows older than AUDITLOG_RETENTION_DAYS are deleted."""
    return audit_log_prune()
