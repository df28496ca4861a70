from celery import shared_task

from accounts.sso import sign_in_records_prune


@shared_task(name="accounts.tasks.prune_sign_in_records")
def prune_sign_in_records() -> int:
    """Beat, daily: sign-in records past the audit retention (AUDITLOG_RETENTION_DAYS) go."""
    return sign_in_records_prune()
