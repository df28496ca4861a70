"""The portable write path (SQLite and any database without COPY): same rules, same counts.

It reads the stored versions of the batch's deals, decides in Python what each row does, then
writes with bulk statements. SQLite has a single writer, so the read and the writes inside the
caller's transaction see no concurrent change.
"""

from collections import defaultdict
from typing import Any, Final

from django.db.models import Q
from django.utils import timezone

from deals.models import Activity, Deal, DealChange
from deals.schema import COLUMNS, VALUE_COLUMNS
from deals.services.backend import Row, WriteCounts
from deals.services.rows import TRACKED_FIELDS, value_text

_BATCH: Final = 500
_OR_BATCH: Final = 200  # SQLite limits expression depth; an OR chain is that deep
_TRACKED_AT: Final = {name: COLUMNS.index(name) for name in TRACKED_FIELDS}
_UPDATE_FIELDS: Final = [*VALUE_COLUMNS, "ingested_at"]


def _stored(rows: list[Row]) -> dict[tuple[str, str], tuple[int, Row]]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_source[row[0]].append(row[1])
    stored: dict[tuple[str, str], tuple[int, Row]] = {}
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), _BATCH):
            batch = external_ids[start : start + _BATCH]
            for pk, *values in (
                Deal.objects.select_for_update()
                .filter(source=source, external_id__in=batch)
                .values_list("pk", *COLUMNS)
            ):
                stored[(values[0], values[1])] = (pk, tuple(values))
    return stored


def _changes(deal_id: int, old: Row, new: Row) -> list[DealChange]:
    changes = []
    for name, at in _TRACKED_AT.items():
        old_text = value_text(name, old[at])
        new_text = value_text(name, new[at])
        if new_text != old_text:
            changes.append(
                DealChange(
                    deal_id=deal_id,
                    field=name,
                    old_value=old_text,
                    new_value=new_text,
                    changed_at=new[-1],
                )
            )
    return changes


def write(rows: list[Row]) -> WriteCounts:
    """Run inside a transaction."""
    now = timezone.now()
    counts = WriteCounts()
    stored = _stored(rows)
    created: list[tuple[Deal, Row]] = []
    updated: list[tuple[Deal, Row, Row]] = []
    for row in rows:
        held = stored.get((row[0], row[1]))
        if held is None:
            created.append((Deal(**dict(zip(COLUMNS, row, strict=True)), ingested_at=now), row))
            counts.created += 1
            continue
        pk, old = held
        if row[-1] < old[-1]:
            counts.stale += 1
        elif row[2:] == old[2:]:
            counts.unchanged += 1
        else:
            deal = Deal(pk=pk, **dict(zip(COLUMNS, row, strict=True)), ingested_at=now)
            updated.append((deal, old, row))
            if row[2:-1] == old[2:-1]:
                counts.unchanged += 1  # only the CRM time moved forward
            else:
                counts.updated += 1
    Deal.objects.bulk_create([deal for deal, _row in created], batch_size=_BATCH)
    Deal.objects.bulk_update([deal for deal, _old, _row in updated], _UPDATE_FIELDS, _BATCH)
    # New deals get no history: their first values are the deal row's own.
    changes = [c for deal, old, row in updated for c in _changes(deal.pk, old, row)]
    DealChange.objects.bulk_create(changes, batch_size=_BATCH, ignore_conflicts=True)
    counts.owners_attached = _attach_owners(rows)
    _attach_activities(rows)
    return counts


def _attach_activities(rows: list[Row]) -> None:
    """Activities that arrived before these deals or before their owner was known."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_source[row[0]].append(row[1])
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), _BATCH):
            batch = external_ids[start : start + _BATCH]
            waiting = set(
                Activity.objects.filter(
                    deal__isnull=True, source=source, deal_external_id__in=batch
                ).values_list("deal_external_id", flat=True)
            )
            if not waiting:
                continue
            deal_ids = Deal.objects.filter(source=source, external_id__in=waiting).values_list(
                "external_id", "pk"
            )
            for external_id, deal_id in deal_ids:
                Activity.objects.filter(
                    deal__isnull=True, source=source, deal_external_id=external_id
                ).update(deal_id=deal_id)
    owners = {(row[0], row[3]): row[2] for row in rows if row[2] is not None}
    pairs = list(owners)
    for start in range(0, len(pairs), _OR_BATCH):
        q = Q()
        for source, owner_external_id in pairs[start : start + _OR_BATCH]:
            q |= Q(source=source, owner_external_id=owner_external_id)
        waiting_owners = set(
            Activity.objects.filter(q, owner__isnull=True)
            .values_list("source", "owner_external_id")
            .distinct()
        )
        for source, owner_external_id in sorted(waiting_owners):
            Activity.objects.filter(
                owner__isnull=True, source=source, owner_external_id=owner_external_id
            ).update(owner_id=owners[(source, owner_external_id)])


def _attach_owners(rows: list[Row]) -> int:
    resolved: dict[tuple[str, str], Any] = {
        (row[0], row[3]): row[2] for row in rows if row[2] is not None
    }
    if not resolved:
        return 0
    pairs = list(resolved)
    waiting: set[tuple[str, str]] = set()
    for start in range(0, len(pairs), _OR_BATCH):
        q = Q()
        for source, owner_external_id in pairs[start : start + _OR_BATCH]:
            q |= Q(source=source, owner_external_id=owner_external_id)
        waiting.update(
            Deal.objects.filter(q, owner__isnull=True)
            .values_list("source", "owner_external_id")
            .distinct()
        )
    attached = 0
    for source, owner_external_id in sorted(waiting):
        attached += Deal.objects.filter(
            owner__isnull=True, source=source, owner_external_id=owner_external_id
        ).update(owner_id=resolved[(source, owner_external_id)])
    return attached
