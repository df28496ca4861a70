from dataclasses import dataclass

from django.db.models import Count

from integrations.models import (
    ConnectionSource,
    CrmConnection,
    SyncRowError,
    SyncRun,
    WebhookEvent,
)


def connection_for_source(*, source: str) -> CrmConnection | None:
    # Secrets load (and decrypt) only when something uses them, never for showing a page.
    return CrmConnection.objects.filter(source=source).defer("credentials", "session").first()


def connection_or_blank(*, source: str) -> CrmConnection:
    """The stored connection, or an unsaved blank one for a CRM not configured yet (a GET never
    writes)."""
    return connection_for_source(source=source) or CrmConnection(source=source)


def connection_list() -> list[CrmConnection]:
    """One entry per supported CRM, configured or not, with its open row-error count."""
    stored = {
        c.source: c
        for c in CrmConnection.objects.defer("credentials", "session").annotate(
            open_errors=Count("row_errors")
        )
    }
    blanks = []
    for source in ConnectionSource.values:
        if source not in stored:
            blank = CrmConnection(source=source)
            blank.open_errors = 0  # type: ignore[attr-defined]
            blanks.append(blank)
    return sorted([*stored.values(), *blanks], key=lambda c: c.source)


@dataclass(frozen=True)
class ConnectionActivity:
    runs: list[SyncRun]
    row_errors: list[SyncRowError]
    row_error_count: int
    webhook_counts: dict[str, int]


def connection_activity(
    *, connection: CrmConnection, runs: int = 10, errors: int = 100
) -> ConnectionActivity:
    """What the connection page shows below the settings, in four queries: recent runs, the
    newest open row errors, their total, and webhook events by status."""
    if connection.pk is None:
        return ConnectionActivity([], [], 0, {})
    recent_runs = list(
        SyncRun.objects.filter(connection=connection).order_by("-started_at", "-pk")[:runs]
    )
    recent_errors = list(
        SyncRowError.objects.filter(connection=connection).order_by("-created_at", "-pk")[:errors]
    )
    error_count = SyncRowError.objects.filter(connection=connection).count()
    webhook_counts: dict[str, int] = {}
    if connection.source == ConnectionSource.HUBSPOT:
        webhook_counts = {
            row["status"]: row["n"]
            for row in WebhookEvent.objects.filter(source=connection.source)
            .values("status")
            .annotate(n=Count("pk"))
        }
    return ConnectionActivity(recent_runs, recent_errors, error_count, webhook_counts)
