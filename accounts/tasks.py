from celery import shared_task

from accounts.saml import saml_metadata_refresh
from accounts.sso import sign_in_records_prune


@shared_task(name="accounts.tasks.prune_sign_in_records")
def prune_sign_in_records() -> int:
    """Beat, daily: sign-in records past the audit retention (AUDITLOG_RETENTION_DAYS) go."""
    return sign_in_records_prune()


@shared_task(name="accounts.tasks.refresh_saml_metadata")
def refresh_saml_metadata() -> str:
    """Beat, every 6 hours: the SAML IdP metadata read again from its URL (rotated keys)."""
    return saml_metadata_refresh()
