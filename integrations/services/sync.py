"""Pull sync: every deal modified since the watermark, page by page, into deals_ingest.

Crash safety: a batch of pages is ingested, its row errors recorded and the watermark advanced
in ONE transaction. A crash before the commit leaves the watermark at the last committed batch
(a CRM outage past the retry budget first commits the pages already read), and the next run
starts there: nothing is skipped, and rows fetched twice are idempotent upserts that ingestion
counts as unchanged. The next page is fetched on a worker thread while a batch is written
(prefetch.py); all database work stays on the calling thread.
"""

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from deals.services import IngestResult, activities_ingest, deals_ingest
from integrations.adapters import hubspot, hubspot_activities, salesforce, salesforce_activities
from integrations.adapters.activities import ActivityStream
from integrations.adapters.base import CrmError, CrmRateLimited, Sleep
from integrations.mapping import MappedPage, MappingError
from integrations.models import (
    ConnectionSource,
    CrmConnection,
    SyncKind,
    SyncRowError,
    SyncRun,
    SyncStatus,
)
from integrations.services.clients import (
    CrmApi,
    Mapper,
    connection_client,
    connection_mapper,
    connection_session_save,
)
from integrations.services.prefetch import Prefetched

logger = logging.getLogger(__name__)

# Each run starts this much before the watermark: a CRM row saved in a long transaction can carry
# a last-modified time a little older than rows we already saw. Re-reading is cheap (unchanged).
WATERMARK_OVERLAP = dt.timedelta(minutes=5)
# Longer than Celery's 30-minute task time limit, so a live run never loses its lease.
SYNC_LEASE = dt.timedelta(minutes=35)
# Pages are committed in batches of at least this many rows: ingestion has a fixed cost per
# call and a commit per call, so 2,000-row Salesforce pages (or 100-row HubSpot pages) go in
# together, like a 10,000-row bulk API request. A crash re-reads at most one batch.
COMMIT_ROWS = 10_000
# Enough to show the admin what is wrong without letting one bad import fill the table.
MAX_ROW_ERRORS_PER_RUN = 1000
_DELETE_BATCH = 500


def _run_start(connection_id: int, *, now: dt.datetime) -> tuple[CrmConnection, SyncRun] | None:
    """Claim the connection for a run (a lease, by a conditional UPDATE) and record the run;
    None when it is disabled or another run holds it."""
    claimed = (
        CrmConnection.objects.filter(pk=connection_id, is_enabled=True)
        .filter(Q(sync_claimed_until__isnull=True) | Q(sync_claimed_until__lt=now))
        .update(sync_claimed_until=now + SYNC_LEASE, last_sync_started_at=now)
    )
    if not claimed:
        return None
    # Secrets are read inside the run's try, so a key problem is recorded like any CRM error.
    connection = CrmConnection.objects.defer("credentials", "session").get(pk=connection_id)
    run = SyncRun.objects.create(
        connection=connection, kind=SyncKind.PULL, watermark_from=connection.watermark
    )
    return connection, run


class _PendingPages:
    """Deal pages read and not yet committed; committed together once they hold `commit_rows`
    rows (and at the end, or when the CRM fails mid-way)."""

    def __init__(self, *, connection: CrmConnection, run: SyncRun, commit_rows: int) -> None:
        self.connection = connection
        self.run = run
        self.commit_rows = commit_rows
        self.batch: MappedPage | None = None

    def add(self, page: MappedPage) -> None:
        if self.batch is None:
            self.batch = page
        else:
            self.batch.extend(page)
        if len(self.batch.external_ids) >= self.commit_rows:
            self.commit()

    def commit(self) -> None:
        if self.batch is not None:
            sync_page_commit(
                connection=self.connection, run=self.run, page=self.batch, move_watermark=True
            )
            self.batch = None


def _commit_read_pages(commit: Callable[[], None], *, connection_id: int) -> None:
    try:
        commit()
    except Exception:
        logger.exception("CRM sync of connection %s: committing read pages failed", connection_id)


def connection_sync(
    *,
    connection_id: int,
    http: httpx.Client | None = None,
    sleep: Sleep | None = None,
    commit_rows: int = COMMIT_ROWS,
) -> SyncRun | None:
    """Pull what changed since the watermark. Returns None when the connection is disabled or
    another run holds it. Never raises for CRM trouble: the run and the connection record it.

    When the CRM fails mid-way, the pages already read are committed before the run stops.
    """
    now = timezone.now()
    started = _run_start(connection_id, now=now)
    if started is None:
        return None
    connection, run = started
    since = connection.watermark - WATERMARK_OVERLAP if connection.watermark else None
    client: CrmApi | None = None
    pending = _PendingPages(connection=connection, run=run, commit_rows=commit_rows)
    error, status = "", SyncStatus.SUCCEEDED
    pages: Prefetched[MappedPage] | None = None
    try:
        client = connection_client(connection, http=http, sleep=sleep)
        mapper = connection_mapper(connection)
        pages = Prefetched(_pages(client, mapper, since=since))
        for page in pages:
            pending.add(page)
        pending.commit()
        _sync_activities(
            connection=connection, run=run, client=client, commit_rows=commit_rows, now=now
        )
    except CrmError as exc:
        error = str(exc)
        status = SyncStatus.RATE_LIMITED if isinstance(exc, CrmRateLimited) else SyncStatus.FAILED
        # Whole pages read before the failure are good: keep them, so the next run starts later.
        _commit_read_pages(pending.commit, connection_id=connection_id)
    except Exception as exc:  # a bug must not wedge the connection: record it, log it
        logger.exception("CRM sync of connection %s failed", connection_id)
        error = f"Unexpected error ({exc.__class__.__name__}); see the worker log."
        status = SyncStatus.FAILED
    finally:
        if pages is not None:
            pages.close()
        if client is not None:
            connection_session_save(connection=connection, client=client)
            client.close()
    sync_run_finish(connection=connection, run=run, status=status, error=error)
    return run


def _pages(client: CrmApi, mapper: Mapper, *, since: dt.datetime | None) -> Iterator[MappedPage]:
    if isinstance(client, hubspot.HubSpotClient) and isinstance(mapper, hubspot.HubSpotMapper):
        return hubspot.deal_pages(client, mapper, since=since)
    if isinstance(client, salesforce.SalesforceClient) and isinstance(
        mapper, salesforce.SalesforceMapper
    ):
        return salesforce.opportunity_pages(client, mapper, since=since)
    raise CrmError("The connection's client and mapper do not match.")


# Row errors of activities are kept beside the deals' under a prefixed id: HubSpot numbers
# engagements and deals from the same sequence.
ACTIVITY_ERROR_PREFIX = "activity:"


def _activity_streams(client: CrmApi) -> list[ActivityStream]:
    if isinstance(client, hubspot.HubSpotClient):
        return hubspot_activities.engagement_streams(client)
    if isinstance(client, salesforce.SalesforceClient):
        return salesforce_activities.activity_streams(client)
    return []


def _sync_activities(
    *,
    connection: CrmConnection,
    run: SyncRun,
    client: CrmApi,
    commit_rows: int,
    now: dt.datetime,
) -> None:
    """Pull each activity stream from its own watermark (the first time, from the connection's
    history window), committed in batches like deals. Off when the window is 0 or unset."""
    days = int(connection.settings.get("activity_history_days") or 0)
    if days <= 0:
        return
    for stream in _activity_streams(client):
        mark = connection.activity_watermarks.get(stream.name)
        since = (
            dt.datetime.fromisoformat(mark) - WATERMARK_OVERLAP
            if mark
            else now - dt.timedelta(days=days)
        )
        batch: MappedPage | None = None
        try:
            for page in stream.pages(since):
                if batch is None:
                    batch = page
                else:
                    batch.extend(page)
                if len(batch.external_ids) >= commit_rows:
                    sync_activity_page_commit(
                        connection=connection, run=run, stream=stream.name, page=batch
                    )
                    batch = None
        except CrmError:
            # Pages read before a CRM failure are good: keep them (as for deals).
            if batch is not None:
                sync_activity_page_commit(
                    connection=connection, run=run, stream=stream.name, page=batch
                )
            raise
        if batch is not None:
            sync_activity_page_commit(
                connection=connection, run=run, stream=stream.name, page=batch
            )


def sync_activity_page_commit(
    *, connection: CrmConnection, run: SyncRun, stream: str, page: MappedPage
) -> IngestResult | None:
    """Ingest a page of activities, record its row errors and move the stream's watermark,
    atomically (the same contract as sync_page_commit)."""
    with transaction.atomic():
        result = activities_ingest(rows=page.rows) if page.rows else None
        errors = [
            MappingError(ACTIVITY_ERROR_PREFIX + e.external_id, e.field, e.message)
            for e in page.errors
        ]
        if result is not None:
            errors += [
                MappingError(
                    ACTIVITY_ERROR_PREFIX + (e.key or _row_key(page, e.index)), e.field, e.message
                )
                for e in result.errors
            ]
        _replace_row_errors(
            connection, run, [ACTIVITY_ERROR_PREFIX + i for i in page.external_ids], errors
        )
        SyncRun.objects.filter(pk=run.pk).update(
            pages=F("pages") + page.pages,
            received=F("received") + len(page.external_ids),
            created=F("created") + (result.created if result else 0),
            updated=F("updated") + (result.updated if result else 0),
            unchanged=F("unchanged") + (result.unchanged if result else 0),
            stale=F("stale") + (result.stale if result else 0),
            errors=F("errors") + len(errors),
        )
        written = (result.created + result.updated) if result else 0
        locked = (
            CrmConnection.objects.select_for_update()
            .only("activity_watermarks", "rows_synced")
            .get(pk=connection.pk)
        )
        locked.rows_synced += written
        marks = dict(locked.activity_watermarks)
        held = marks.get(stream)
        # Never backwards: the overlap window re-reads older pages.
        if page.max_modified is not None and (
            held is None or dt.datetime.fromisoformat(held) < page.max_modified
        ):
            marks[stream] = page.max_modified.isoformat()
        locked.activity_watermarks = marks
        locked.save(update_fields=["activity_watermarks", "rows_synced"])
        connection.activity_watermarks = marks
    return result


def sync_page_commit(
    *, connection: CrmConnection, run: SyncRun, page: MappedPage, move_watermark: bool
) -> IngestResult | None:
    """Ingest one page, record its row errors and (for pulls) move the watermark, atomically."""
    with transaction.atomic():
        result = (
            deals_ingest(rows=page.rows, history=page.history)
            if page.rows or page.history
            else None
        )
        errors = list(page.errors)
        if result is not None:
            errors += [
                MappingError(e.key or _row_key(page, e.index), e.field, e.message)
                for e in (*result.errors, *result.history_errors)
            ]
        _replace_row_errors(connection, run, page.external_ids, errors)
        # "Rows synced" counts deals this connection actually wrote, not re-reads.
        written = (result.created + result.updated) if result else 0
        counts: dict[str, Any] = {
            "pages": F("pages") + page.pages,
            "received": F("received") + len(page.external_ids),
            "created": F("created") + (result.created if result else 0),
            "updated": F("updated") + (result.updated if result else 0),
            "unchanged": F("unchanged") + (result.unchanged if result else 0),
            "stale": F("stale") + (result.stale if result else 0),
            "errors": F("errors") + len(errors),
        }
        if move_watermark and page.max_modified is not None:
            counts["watermark_to"] = page.max_modified
        SyncRun.objects.filter(pk=run.pk).update(**counts)
        connection_update = CrmConnection.objects.filter(pk=connection.pk)
        connection_update.update(rows_synced=F("rows_synced") + written)
        if move_watermark and page.max_modified is not None:
            # Never backwards: an overlapping run (or the overlap window) re-reads older pages.
            connection_update.filter(
                Q(watermark__isnull=True) | Q(watermark__lt=page.max_modified)
            ).update(watermark=page.max_modified)
    return result


def _row_key(page: MappedPage, index: int) -> str:
    rows = page.rows
    return str(rows[index].get("external_id", "")) if 0 <= index < len(rows) else ""


def _replace_row_errors(
    connection: CrmConnection, run: SyncRun, external_ids: list[str], errors: list[MappingError]
) -> None:
    """A row's old errors go when it comes again: fixed rows disappear from the page."""
    ids = [i for i in dict.fromkeys(external_ids) if i]
    for start in range(0, len(ids), _DELETE_BATCH):
        SyncRowError.objects.filter(
            connection=connection, external_id__in=ids[start : start + _DELETE_BATCH]
        ).delete()
    if not errors:
        return
    stored = SyncRowError.objects.filter(run=run).count()
    room = max(MAX_ROW_ERRORS_PER_RUN - stored, 0)
    SyncRowError.objects.bulk_create(
        SyncRowError(
            run=run,
            connection=connection,
            external_id=error.external_id[:128],
            field=error.field[:64],
            message=error.message[:500],
        )
        for error in errors[:room]
    )


def sync_run_finish(
    *, connection: CrmConnection, run: SyncRun, status: SyncStatus, error: str = ""
) -> None:
    """Close a run and update the connection's status. Webhook batches report failures on the
    connection too, but only a pull's success clears the error or counts as the last sync."""
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(status=status, finished_at=now, error=error)
    fields: dict[str, object] = {}
    if run.kind == SyncKind.PULL:
        fields.update(last_sync_finished_at=now, sync_claimed_until=None)
        if status == SyncStatus.SUCCEEDED:
            fields.update(last_success_at=now, last_error="", last_error_at=None)
    if status != SyncStatus.SUCCEEDED:
        fields.update(last_error=error, last_error_at=now)
    if fields:
        CrmConnection.objects.filter(pk=connection.pk).update(**fields)
    run.refresh_from_db()


# Runs are the sync's history on the connection page; a quarter is plenty. Runs that still
# hold open row errors stay, since the errors point at them.
KEEP_RUNS = dt.timedelta(days=90)


def sync_runs_prune() -> int:
    cutoff = timezone.now() - KEEP_RUNS
    deleted, _by_model = SyncRun.objects.filter(
        started_at__lt=cutoff, row_errors__isnull=True
    ).delete()
    return deleted


def connections_due_ids() -> list[int]:
    return list(
        CrmConnection.objects.filter(is_enabled=True)
        .filter(source__in=ConnectionSource.values)
        .values_list("pk", flat=True)
    )
