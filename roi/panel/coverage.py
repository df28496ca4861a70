"""Which months the deal data covers, per CRM source: months outside it are missing, not zeros.

An organisation's deals can stop early (a CSV export from last year, a sync that broke) or start
with a few legacy records long before the real history. Counting the months after the data ends,
or the empty years after a stray old deal, as months without sales would read as a collapse in
bookings, so each source's coverage is found from the data itself:

- **end**: the newest CRM time stored for the source (the deals' last-modified time in the CRM),
  or the connection's sync watermark or last successful sync if later, capped by today. A month
  counts only once the data reaches its end, so the last covered month is the one before.
- **start**: the first month after the last stretch of GAP_MONTHS or more months in which the
  source recorded no deal at all; before that stretch there is no data, only strays. The months
  counted are those in which deals *closed* (when the source has closed deals): an export of
  "deals closed since January" holds deals created months before, and a newly connected CRM
  fills its pipeline before its first close; neither means that nobody sold in those months.
  A source with open deals only counts the months deals were created.

Two queries whatever the number of deals: deals by source and months created and closed, and the
connections.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max
from django.utils import timezone

from deals.models import Deal
from integrations.models import CrmConnection
from roi.months import UTC, month_from_number, month_index, utc_month
from roi.panel.sql import MonthNumber, RawResult
from roi.panel.window import PANEL_MONTHS, PanelWindow

# A CRM in use records new deals every month; this many months in a row without a single one
# means nothing was recorded then (the deals before are strays, such as one legacy deal).
GAP_MONTHS = 3


@dataclass(frozen=True)
class SourceCoverage:
    """One CRM source's covered months (month numbers, both included) and how recent it is."""

    source: str
    first_month: int
    last_month: int
    data_as_of: dt.datetime


@dataclass(frozen=True)
class DataCoverage:
    today: dt.date
    sources: dict[str, SourceCoverage] = field(default_factory=dict)

    @property
    def data_as_of(self) -> dt.datetime | None:
        """The newest CRM time of any source (capped by today): what the reports are as of."""
        return max((s.data_as_of for s in self.sources.values()), default=None)

    @property
    def last_complete_month(self) -> int:
        """The month before today's: a month under way would read as a dip."""
        return utc_month(self.today) - 1

    @property
    def last_month(self) -> int:
        """The last month any source covers (the last complete month when there is no data)."""
        return max((s.last_month for s in self.sources.values()), default=self.last_complete_month)

    @property
    def first_month(self) -> int | None:
        """The first month any source covers."""
        return min((s.first_month for s in self.sources.values()), default=None)

    def window(self, *, months: int = PANEL_MONTHS) -> PanelWindow:
        """The report window: `months` whole months ending with the last covered one."""
        return PanelWindow.ending(month_from_number(self.last_month), months=months)

    def stale_sources(self) -> list[SourceCoverage]:
        """Sources whose data stops before the last complete month, oldest first."""
        stale = [s for s in self.sources.values() if s.last_month < self.last_complete_month]
        return sorted(stale, key=lambda s: (s.data_as_of, s.source))

    @property
    def is_stale(self) -> bool:
        """The newest data stops before the last complete month: the evidence misses months."""
        return bool(self.sources) and self.last_month < self.last_complete_month

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, today: dt.date) -> DataCoverage:
        """The coverage a report stored (`as_dict`), as of `today`."""
        sources = {}
        for row in data.get("sources", []):
            sources[row["source"]] = SourceCoverage(
                source=row["source"],
                first_month=_month_of(row["first_month"]),
                last_month=_month_of(row["last_month"]),
                data_as_of=dt.datetime.fromisoformat(row["data_as_of"]),
            )
        return cls(today=today, sources=sources)

    def as_dict(self) -> dict[str, Any]:
        """What a report stores: the window's end, whether it is stale, and each source."""
        as_of = self.data_as_of
        return {
            "data_as_of": as_of.isoformat() if as_of else None,
            "last_month": month_from_number(self.last_month).isoformat()[:7],
            "last_complete_month": month_from_number(self.last_complete_month).isoformat()[:7],
            "is_stale": self.is_stale,
            "sources": [
                {
                    "source": s.source,
                    "first_month": month_from_number(s.first_month).isoformat()[:7],
                    "last_month": month_from_number(s.last_month).isoformat()[:7],
                    "data_as_of": s.data_as_of.isoformat(),
                    "is_stale": s.last_month < self.last_complete_month,
                }
                for s in sorted(self.sources.values(), key=lambda s: s.source)
            ],
        }


def data_coverage(*, today: dt.date) -> DataCoverage:
    """Each source's covered months. Two queries: deals by source and month, the connections."""
    rows = list(
        Deal.objects.values(
            "source",
            created=MonthNumber("created_at", is_timestamp=True),
            closed=MonthNumber("closed_at", is_timestamp=True),
        )
        .annotate(n=Count("pk", output_field=RawResult()), newest=Max("source_updated_at"))
        .values_list("source", "created", "closed", "newest")
        .order_by()
    )
    synced: dict[str, dt.datetime] = {}
    for source, watermark, success in CrmConnection.objects.values_list(
        "source", "watermark", "last_success_at"
    ):
        times = [t for t in (watermark, success) if t is not None]
        if times:
            synced[source] = max(times)
    return coverage_from_rows(rows, synced=synced, today=today)


def coverage_from_rows(
    rows: list[tuple[str, Any, Any, dt.datetime]],
    *,
    synced: dict[str, dt.datetime],
    today: dt.date,
) -> DataCoverage:
    """Coverage from (source, month number created, month number closed or None, newest CRM
    time) rows; no queries."""
    # Capped by today, and by now: a CRM clock ahead of ours does not make data newer.
    end_of_today = dt.datetime.combine(today, dt.time.min, tzinfo=UTC) + dt.timedelta(days=1)
    cap = min(end_of_today, timezone.now())
    created: dict[str, set[int]] = {}
    closed: dict[str, set[int]] = {}
    newest: dict[str, dt.datetime] = {}
    for source, created_month, closed_month, modified in rows:
        created.setdefault(source, set()).add(int(created_month))
        if closed_month is not None:
            closed.setdefault(source, set()).add(int(closed_month))
        if modified is not None:
            newest[source] = max(modified, newest.get(source, modified))
    sources = {}
    for source, months in created.items():
        times = [t for t in (newest.get(source), synced.get(source)) if t is not None]
        as_of = min(max(times), cap) if times else cap
        sources[source] = SourceCoverage(
            source=source,
            first_month=_start_after_last_gap(sorted(closed.get(source) or months)),
            # The month of `as_of` is under way; the last whole month is the one before.
            last_month=min(utc_month(as_of), utc_month(today)) - 1,
            data_as_of=as_of,
        )
    return DataCoverage(today=today, sources=sources)


def _start_after_last_gap(months: list[int]) -> int:
    """The first month with deals after the last run of GAP_MONTHS empty months."""
    start = months[0]
    for before, after in zip(months, months[1:], strict=False):
        if after - before - 1 >= GAP_MONTHS:
            start = after
    return start


def _month_of(text: str) -> int:
    """The month number of "YYYY-MM"."""
    year, month = text.split("-")[:2]
    return month_index(int(year), int(month))
