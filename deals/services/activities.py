"""activities_ingest: CRM meetings, calls and emails in (bulk API, jobs, CRM connectors).

The deals ingestion path with activity rows: validate (activity_rows.py), keep the newest row
per activity (`newest_per_key`), resolve owners (`rows_with_owners`), then write every good row
in one transaction. On PostgreSQL the rows are staged with COPY and upserted in one statement
guarded by the CRM time and IS DISTINCT FROM (as deals are); elsewhere the portable path decides
in Python with the same rules and counts. Activities keep no history: a changed activity is
simply its newest version.

The deal is resolved in the write from (source, deal_external_id). An activity whose deal or
owner is unknown is kept with the CRM's ids and attached when the deal is ingested or the owner
mapped (`activities_attach_deals`, `activities_attach_owner`, called by the deals side).
"""

from collections import defaultdict
from typing import Any, Final

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from deals.models import Activity, Deal
from deals.schema import stage_table_sql
from deals.services.activity_rows import COLUMNS, CONTENT_COLUMNS, parse_activity_rows
from deals.services.backend import ConcurrentInsert, Row, WriteCounts
from deals.services.ingest import IngestResult, newest_per_key, rows_with_owners
from deals.services.ingest_postgres import copy_rows

_WRITE_ATTEMPTS: Final = 3
_BATCH: Final = 500
_OR_BATCH: Final = 200

STAGE: Final = "deals_activity_stage"
ACTIVITY: Final = Activity._meta.db_table
DEAL: Final = Deal._meta.db_table

CREATE_STAGE: Final = stage_table_sql(stage=STAGE, table=ACTIVITY, columns=COLUMNS)
COPY_STAGE: Final = f"COPY {STAGE} ({', '.join(COLUMNS)}) FROM STDIN"

# Lock the stored activities of this batch in id order, so concurrent ingests cannot deadlock.
LOCK: Final = f"""
SELECT count(*) FROM (
    SELECT a.id FROM {STAGE} s
    JOIN {ACTIVITY} a ON a.source = s.source AND a.external_id = s.external_id
    ORDER BY a.id
    FOR UPDATE OF a
) locked
"""  # noqa: S608 - table names from model metadata; no user input


def _cols(prefix: str, names: tuple[str, ...]) -> str:
    return ", ".join(f"{prefix}{name}" for name in names)


_WRITTEN = (*COLUMNS, "deal_id")
# Written when not older than what is stored and anything differs (the deal it resolves to
# included, so a resend after the deal arrived attaches it). Counted as in deals: created,
# updated (content differed), unchanged, stale (older than stored), raced (a concurrent insert).
UPSERT: Final = f"""
WITH cur AS MATERIALIZED (
    SELECT a.id, {_cols("a.", _WRITTEN)}
    FROM {STAGE} s JOIN {ACTIVITY} a ON a.source = s.source AND a.external_id = s.external_id
),
src AS (
    SELECT {_cols("s.", COLUMNS)}, d.id AS deal_id
    FROM {STAGE} s
    LEFT JOIN {DEAL} d ON s.deal_external_id <> ''
        AND d.source = s.source AND d.external_id = s.deal_external_id
),
up AS (
    INSERT INTO {ACTIVITY} AS a ({", ".join(_WRITTEN)}, ingested_at)
    SELECT {", ".join(_WRITTEN)}, %(now)s FROM src ORDER BY source, external_id
    ON CONFLICT (source, external_id) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _WRITTEN[2:])},
        ingested_at = EXCLUDED.ingested_at
    WHERE a.source_updated_at <= EXCLUDED.source_updated_at
        AND ({_cols("a.", _WRITTEN[2:])}) IS DISTINCT FROM ({_cols("EXCLUDED.", _WRITTEN[2:])})
    RETURNING a.id, a.source, a.external_id, a.xmax = 0 AS inserted
)
SELECT
    count(*) FILTER (WHERE u.inserted),
    count(*) FILTER (WHERE c.id IS NOT NULL AND u.id IS NOT NULL
        AND ({_cols("c.", CONTENT_COLUMNS)}) IS DISTINCT FROM ({_cols("s.", CONTENT_COLUMNS)})),
    count(*) FILTER (WHERE c.id IS NOT NULL AND (
        (u.id IS NULL AND s.source_updated_at >= c.source_updated_at)
        OR (u.id IS NOT NULL AND ({_cols("c.", CONTENT_COLUMNS)})
            IS NOT DISTINCT FROM ({_cols("s.", CONTENT_COLUMNS)})))),
    count(*) FILTER (WHERE c.id IS NOT NULL AND u.id IS NULL
        AND s.source_updated_at < c.source_updated_at),
    count(*) FILTER (WHERE c.id IS NULL AND (u.id IS NULL OR NOT u.inserted))
FROM {STAGE} s
LEFT JOIN cur c ON c.source = s.source AND c.external_id = s.external_id
LEFT JOIN up u ON u.source = s.source AND u.external_id = s.external_id
"""  # noqa: S608

# Activities stored without an owner whose CRM owner this batch resolved now get that owner.
ATTACH_OWNERS: Final = f"""
UPDATE {ACTIVITY} a SET owner_id = m.owner_id
FROM (
    SELECT DISTINCT ON (source, owner_external_id) source, owner_external_id, owner_id
    FROM {STAGE} WHERE owner_id IS NOT NULL
) m
WHERE a.owner_id IS NULL AND a.source = m.source AND a.owner_external_id = m.owner_external_id
"""  # noqa: S608


def activities_ingest(
    *, rows: list[dict[str, Any]], default_source: str | None = None
) -> IngestResult:
    """Upsert activities by (source, external_id). Idempotent and stale-safe; every row is
    counted once (created, updated, unchanged, stale or an error), and the good rows are
    written in one transaction whatever the bad rows hold."""
    result = IngestResult(received=len(rows))
    good, result.errors = parse_activity_rows(rows, default_source)
    staged = rows_with_owners(newest_per_key(good, result))
    if not staged:
        return result
    write = _write_postgres if connection.vendor == "postgresql" else _write_portable
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            with transaction.atomic():
                counts = write(staged)
            break
        except ConcurrentInsert:
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
    result.created += counts.created
    result.updated += counts.updated
    result.unchanged += counts.unchanged
    result.stale += counts.stale
    result.owners_attached = counts.owners_attached
    return result


def _write_postgres(rows: list[Row]) -> WriteCounts:
    with connection.cursor() as cursor:
        cursor.execute(CREATE_STAGE)
        cursor.execute(f"TRUNCATE {STAGE}")
        copy_rows(cursor.cursor, rows, statement=COPY_STAGE)
        cursor.execute(LOCK)
        cursor.execute(UPSERT, {"now": timezone.now()})
        created, updated, unchanged, stale, raced = cursor.fetchone()
        if raced:
            raise ConcurrentInsert
        cursor.execute(ATTACH_OWNERS)
        attached = cursor.rowcount
    return WriteCounts(
        created=created,
        updated=updated,
        unchanged=unchanged,
        stale=stale,
        owners_attached=attached,
    )


def _deal_ids(rows: list[Row]) -> dict[tuple[str, str], int]:
    by_source: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row[5]:
            by_source[row[0]].add(row[5])
    found: dict[tuple[str, str], int] = {}
    for source, ids in by_source.items():
        id_list = sorted(ids)
        for start in range(0, len(id_list), _BATCH):
            for pk, external_id in Deal.objects.filter(
                source=source, external_id__in=id_list[start : start + _BATCH]
            ).values_list("pk", "external_id"):
                found[(source, external_id)] = pk
    return found


def _write_portable(rows: list[Row]) -> WriteCounts:
    """Same rules and counts as the PostgreSQL statement; SQLite has a single writer."""
    now = timezone.now()
    counts = WriteCounts()
    deal_ids = _deal_ids(rows)
    by_source: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_source[row[0]].append(row[1])
    stored: dict[tuple[str, str], tuple[int, Row]] = {}
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), _BATCH):
            for pk, *values in (
                Activity.objects.select_for_update()
                .filter(source=source, external_id__in=external_ids[start : start + _BATCH])
                .values_list("pk", *_WRITTEN)
            ):
                stored[(values[0], values[1])] = (pk, tuple(values))
    created: list[Activity] = []
    updated: list[Activity] = []
    for row in rows:
        values = (*row, deal_ids.get((row[0], row[5])) if row[5] else None)
        fields = dict(zip(_WRITTEN, values, strict=True))
        held = stored.get((row[0], row[1]))
        if held is None:
            created.append(Activity(**fields, ingested_at=now))
            counts.created += 1
            continue
        pk, old = held
        if row[-1] < old[len(COLUMNS) - 1]:
            counts.stale += 1
            continue
        if values[2:] != old[2:]:
            updated.append(Activity(pk=pk, **fields, ingested_at=now))
        if row[2:-1] == old[2 : len(COLUMNS) - 1]:
            counts.unchanged += 1
        else:
            counts.updated += 1
    Activity.objects.bulk_create(created, batch_size=_BATCH)
    Activity.objects.bulk_update(updated, [*_WRITTEN[2:], "ingested_at"], batch_size=_BATCH)
    counts.owners_attached = _attach_owners_portable(rows)
    return counts


def _attach_owners_portable(rows: list[Row]) -> int:
    resolved = {(row[0], row[3]): row[2] for row in rows if row[2] is not None}
    if not resolved:
        return 0
    pairs = list(resolved)
    waiting: set[tuple[str, str]] = set()
    for start in range(0, len(pairs), _OR_BATCH):
        q = Q()
        for source, owner_external_id in pairs[start : start + _OR_BATCH]:
            q |= Q(source=source, owner_external_id=owner_external_id)
        waiting.update(
            Activity.objects.filter(q, owner__isnull=True)
            .values_list("source", "owner_external_id")
            .distinct()
        )
    return sum(
        Activity.objects.filter(
            owner__isnull=True, source=source, owner_external_id=owner_external_id
        ).update(owner_id=resolved[(source, owner_external_id)])
        for source, owner_external_id in sorted(waiting)
    )
