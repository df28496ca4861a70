"""deals_ingest: the one way deals enter Coachline (bulk API, CSV import, CRM connectors).

Steps: validate every row (rows.py), keep the newest row per deal, resolve owners, then write
all good rows in one transaction through the backend of the database in use: PostgreSQL stages
the rows with COPY and upserts them with history in one statement (ingest_postgres.py); other
databases use the portable path (ingest_portable.py). Both count exactly the same way.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from accounts.models import CrmIdentity, User
from core.bulk import BulkResult, RowError
from deals.models import Deal, DealChange
from deals.services import ingest_portable, ingest_postgres
from deals.services.backend import ConcurrentInsert, Row, WriteCounts
from deals.services.rows import RowInvalid, parse_history_row, parse_rows
from deals.signals import STATE_FIELDS, DealState, deals_written

# How many parameters one IN (...) may carry; SQLite's old limit, harmless elsewhere.
_IN_BATCH = 900
# A concurrent ingest that inserts the same new deal between our lock and our upsert makes the
# old values we captured incomplete; the write is redone (it then finds and locks the row).
_WRITE_ATTEMPTS = 3


@dataclass
class IngestResult(BulkResult):
    stale: int = 0
    owners_attached: int = 0
    history_errors: list[RowError] = field(default_factory=list)

    def as_api_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "stale": self.stale,
            "errors": [
                {"index": e.index, "external_id": e.key, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


def deals_ingest(
    *,
    rows: list[dict[str, Any]],
    default_source: str | None = None,
    history: list[dict[str, Any]] | None = None,
) -> IngestResult:
    """Upsert deals by (source, external_id), recording history. Idempotent; see module doc.

    Every row is counted once: created, updated, unchanged, stale (older than what is stored,
    or than another row of the same deal in this call), or as an error. Good rows are written
    in one transaction whatever the bad rows hold.
    """
    result = IngestResult(received=len(rows))
    good, result.errors = parse_rows(rows, default_source)
    latest = newest_per_key(good, result)
    staged = rows_with_owners(latest)
    history_rows = _parse_history(history or [], default_source, result)
    if not staged and not history_rows:
        return result
    backend = ingest_postgres if connection.vendor == "postgresql" else ingest_portable
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            with transaction.atomic():
                notify = deals_written.has_listeners()
                before = _states(staged) if notify else []
                counts = backend.write(staged) if staged else WriteCounts()
                changed = _insert_history(history_rows, result) if history_rows else set()
                if notify:
                    _notify(staged, before, changed, counts)
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


def _states(rows: list[Row]) -> list[DealState]:
    """The stored state of the deals these rows name (those that exist)."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_source[row[0]].append(row[1])
    states = []
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), _IN_BATCH):
            batch = external_ids[start : start + _IN_BATCH]
            found = Deal.objects.filter(source=source, external_id__in=batch).order_by()
            states += [DealState(*values) for values in found.values_list(*STATE_FIELDS)]
    return states


def _notify(
    staged: list[Row], before: list[DealState], changed: set[int], counts: WriteCounts
) -> None:
    """Tell the apps above (deals.signals) what this write changed, inside its transaction.
    Ownerless deals attached to an owner resolved by this batch change that owner wholesale."""
    owners = {row[2] for row in staged if row[2] is not None} if counts.owners_attached else set()
    deals_written.send(
        sender=Deal, before=before, after=_states(staged), deal_ids=changed, owners=owners
    )


def newest_per_key(good: list[tuple[int, Row, str]], result: IngestResult) -> list[Row]:
    """One row per (source, external_id): the newest by source_updated_at (the row's last
    value), the later one on a tie. Deals and activities share it.

    The others count as stale when older than the winner, as unchanged when equally new.
    """
    winners: dict[tuple[str, str], tuple[int, Row, str]] = {}
    for entry in good:
        _index, row, _email = entry
        key = (row[0], row[1])
        held = winners.get(key)
        if held is None:
            winners[key] = entry
            continue
        loser, winners[key] = (held, entry) if row[-1] >= held[1][-1] else (entry, held)
        if loser[1][-1] < winners[key][1][-1]:
            result.stale += 1
        else:
            result.unchanged += 1
    return [(*row[:2], email, *row[3:]) for _index, row, email in winners.values()]


def rows_with_owners(rows: list[Row]) -> list[Row]:
    """Fill owner_id from the CRM identities (source, owner id), else from the owner's email.

    Rows here carry the owner email in the owner_id slot; it is replaced by the user id or None.
    Rows are (source, external_id, owner_id, owner_external_id, …): deals and activities alike.
    """
    owner_ids: dict[str, set[str]] = defaultdict(set)
    emails: set[str] = set()
    for row in rows:
        owner_ids[row[0]].add(row[3])
        if row[2]:
            emails.add(row[2])
    by_identity: dict[tuple[str, str], int] = {}
    for source, ids in owner_ids.items():
        id_list = sorted(ids)
        for start in range(0, len(id_list), _IN_BATCH):
            batch = id_list[start : start + _IN_BATCH]
            for owner_id, user_id in CrmIdentity.objects.filter(
                source=source, owner_id__in=batch
            ).values_list("owner_id", "user_id"):
                by_identity[(source, owner_id)] = user_id
    by_email: dict[str, int] = {}
    email_list = sorted(emails)
    for start in range(0, len(email_list), _IN_BATCH):
        batch = email_list[start : start + _IN_BATCH]
        by_email.update(
            User.objects.filter(email__in=batch, is_active=True).values_list("email", "pk")
        )
    return [
        (
            row[0],
            row[1],
            by_identity.get((row[0], row[3])) or (by_email.get(row[2]) if row[2] else None),
            *row[3:],
        )
        for row in rows
    ]


HistoryRow = tuple[int, tuple[str, str, str, str, str, Any]]


def _parse_history(
    history: list[dict[str, Any]], default_source: str | None, result: IngestResult
) -> list[HistoryRow]:
    parsed = []
    for index, raw in enumerate(history):
        try:
            parsed.append((index, parse_history_row(raw, default_source)))
        except RowInvalid as exc:
            key = raw.get("external_id", "") if isinstance(raw, dict) else ""
            result.history_errors.append(RowError(index, exc.field, exc.message, str(key)))
    return parsed


def _insert_history(history_rows: list[HistoryRow], result: IngestResult) -> set[int]:
    """The CRM's own field history, inserted once (the unique event key absorbs replays).
    Returns the ids of the deals it names."""
    keys = {(h[0], h[1]) for _index, h in history_rows}
    deal_ids: dict[tuple[str, str], int] = {}
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, external_id in keys:
        by_source[source].append(external_id)
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), _IN_BATCH):
            batch = external_ids[start : start + _IN_BATCH]
            for pk, external_id in Deal.objects.filter(
                source=source, external_id__in=batch
            ).values_list("pk", "external_id"):
                deal_ids[(source, external_id)] = pk
    changes = []
    for index, (source, external_id, field_name, old, new, changed_at) in history_rows:
        deal_id = deal_ids.get((source, external_id))
        if deal_id is None:
            result.history_errors.append(
                RowError(index, "external_id", "No such deal.", external_id)
            )
            continue
        changes.append(
            DealChange(
                deal_id=deal_id,
                field=field_name,
                old_value=old,
                new_value=new,
                changed_at=changed_at,
            )
        )
    DealChange.objects.bulk_create(changes, ignore_conflicts=True, batch_size=2000)
    return {change.deal_id for change in changes}
