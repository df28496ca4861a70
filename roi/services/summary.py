"""Keeping the rep x month summary (roi.models.RepMonthSummary) current, and rebuilding it.

- Every deals write (deals_ingest for the bulk API, CRM pull and webhooks, CSV imports and async
  jobs; owners attached; the demo) sends deals.signals.deals_written inside its transaction;
  `summary_deals_written` recomputes, in that transaction, the summary of the reps it touched
  over the span of months it touched (the deals' months before and after: created, closed,
  close date, and their close dates' history), with the panel's own queries. It commits or rolls
  back with the deals.
- `summary_rebuild` (manage.py roi_summary_rebuild; the full refresh when the summary is not
  valid) recomputes everything and records the home currency and rates it used.

Concurrent writers: each takes a transaction-scoped lock per rep (PostgreSQL advisory lock, in
rep order) before recomputing, so the second recomputes after the first committed and sees its
deals; a rebuild locks the summary table. SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from core.models import Organization
from deals.models import Deal, DealChange, DealField
from deals.signals import DealState
from roi.models import RepMonthSummary, RepSourceSpan, SummaryState
from roi.months import month_from_number, month_number, utc_month
from roi.panel.queries import first_rate_days
from roi.panel.summary import ALL_TIME, SUMMARY_COLUMNS, rates_digest, summary_rows
from roi.panel.window import PanelWindow

# Reps per recompute query (SQLite's parameter limit; PostgreSQL is indifferent).
_OWNER_BATCH = 500
_INSERT_BATCH = 5000
# The advisory-lock namespace of the summary (any constant other locks do not use).
_LOCK_SPACE = 7013


def summary_rebuild() -> int:
    """Recompute the whole summary from the deals; returns how many rep-months it holds."""
    home = Organization.current().home_currency
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                tables = f"{RepMonthSummary._meta.db_table}, {RepSourceSpan._meta.db_table}"
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        RepMonthSummary.objects.all().delete()
        RepSourceSpan.objects.all().delete()
        written = _write(ALL_TIME, home, first_rate_days(), rep_ids=None)
        _spans_write(rep_ids=None)
        SummaryState.objects.update_or_create(
            pk=1,
            defaults={
                "built_at": timezone.now(),
                "home_currency": home,
                "rates_digest": rates_digest(),
            },
        )
    return written


def summary_deals_written(
    *,
    before: Sequence[DealState],
    after: Sequence[DealState],
    deal_ids: Iterable[int] = (),
    owners: Iterable[int] = (),
    **_kwargs: Any,
) -> None:
    """deals.signals.deals_written: recompute the reps and months this write touched (their
    whole history for `owners`). Nothing until the summary was first built."""
    if not SummaryState.objects.filter(pk=1, built_at__isnull=False).exists():
        return
    whole = set(owners)
    months = _touched(before, after, set(deal_ids))
    reps = sorted(whole | set(months))
    if not reps:
        return
    _lock(reps)
    home = Organization.current().home_currency
    first_rates = first_rate_days()
    if whole:
        _replace(sorted(whole), ALL_TIME, home, first_rates)
    span = sorted({m for rep, ms in months.items() if rep not in whole for m in ms})
    if span:
        window = PanelWindow(first=month_from_number(span[0]), last=month_from_number(span[-1]))
        _replace(sorted(set(months) - whole), window, home, first_rates)


def _touched(
    before: Sequence[DealState], after: Sequence[DealState], deal_ids: set[int]
) -> dict[int, set[int]]:
    """{rep: months} a write touched: each deal's months before and after it, under its owner
    before and after, with the months of the close dates its history records."""
    states = [*before, *after]
    listed = {s.pk for s in states}
    extra = deal_ids - listed
    if extra:
        fields = ("pk", "owner_id", "created_at", "closed_at", "expected_close_date")
        states += [DealState(*v) for v in Deal.objects.filter(pk__in=extra).values_list(*fields)]
    history = _history_months(listed | deal_ids)
    touched: dict[int, set[int]] = {}
    for state in states:
        if state.owner_id is None:
            continue
        months = touched.setdefault(state.owner_id, set())
        months.add(utc_month(state.created_at))
        if state.closed_at is not None:
            months.add(utc_month(state.closed_at))
        if state.expected_close_date is not None:
            months.add(month_number(state.expected_close_date))
        months |= history.get(state.pk, set())
    return touched


def _history_months(deal_ids: set[int]) -> dict[int, set[int]]:
    """{deal: months of the close dates it was moved from} (pushed dates count in those)."""
    found: dict[int, set[int]] = {}
    ids = sorted(deal_ids)
    for start in range(0, len(ids), _OWNER_BATCH):
        changes = DealChange.objects.filter(
            deal_id__in=ids[start : start + _OWNER_BATCH], field=DealField.EXPECTED_CLOSE_DATE
        ).exclude(old_value="")
        for deal_id, old in changes.values_list("deal_id", "old_value"):
            try:
                found.setdefault(deal_id, set()).add(month_number(dt.date.fromisoformat(old)))
            except ValueError:
                continue  # not a date: the panel's queries cannot place it either
    return found


def _lock(reps: Sequence[int]) -> None:
    """Transaction-scoped locks on these reps' summary, in rep order (no deadlock between two
    writers), so a second writer recomputes only once the first has committed."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, rep)) FROM "
            "(SELECT rep FROM unnest(%s::int[]) AS rep ORDER BY rep) AS reps",
            [_LOCK_SPACE, list(reps)],
        )


def _replace(
    reps: Sequence[int], window: PanelWindow, home: str, first_rates: dict[str, dt.date]
) -> None:
    """Recompute these reps' summary over the window's months, and their source spans."""
    first, last = month_number(window.first), month_number(window.last)
    for start in range(0, len(reps), _OWNER_BATCH):
        batch = reps[start : start + _OWNER_BATCH]
        RepMonthSummary.objects.filter(
            owner_id__in=batch, month__gte=first, month__lte=last
        ).delete()
        _write(window, home, first_rates, rep_ids=batch)
        RepSourceSpan.objects.filter(owner_id__in=batch).delete()
        _spans_write(rep_ids=batch)


def _write(
    window: PanelWindow,
    home: str,
    first_rates: dict[str, dt.date],
    *,
    rep_ids: Sequence[int] | None,
) -> int:
    rows = summary_rows(window=window, home_currency=home, first_rates=first_rates, rep_ids=rep_ids)
    RepMonthSummary.objects.bulk_create(
        (
            RepMonthSummary(
                owner_id=owner, month=month, **dict(zip(SUMMARY_COLUMNS, values, strict=True))
            )
            for (owner, month), values in rows.items()
        ),
        batch_size=_INSERT_BATCH,
    )
    return len(rows)


def _spans_write(*, rep_ids: Sequence[int] | None) -> None:
    """The reps' first and last deals per CRM source (tenure_query's columns; every deal owner
    for a rebuild, as a rep's role may change later)."""
    deals = Deal.objects.filter(owner__isnull=False)
    if rep_ids is not None:
        deals = deals.filter(owner_id__in=list(rep_ids))
    rows = (
        deals.values("owner_id", "source")
        .annotate(first=Min("created_at"), last=Max("created_at"), closed=Max("closed_at"))
        .values_list("owner_id", "source", "first", "last", "closed")
        .order_by()
    )
    RepSourceSpan.objects.bulk_create(
        (
            RepSourceSpan(
                owner_id=owner,
                source=source,
                first_deal=first,
                last_created=last,
                last_closed=closed,
            )
            for owner, source, first, last, closed in rows
        ),
        batch_size=_INSERT_BATCH,
    )
