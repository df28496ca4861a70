"""CRM activities (meetings, calls, emails) → activities_ingest rows: what both adapters share.

Each CRM's activities come as separate streams (HubSpot: meetings, calls, emails; Salesforce:
Event, Task), each read by last-modified time with its own watermark on the connection.
"""

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from integrations.mapping import MappedPage, MappingError, MappingInvalid, parse_time

# A stream's pages from a starting time (None: everything), oldest first.
PageSource = Callable[[dt.datetime | None], Iterator[MappedPage]]


@dataclass(frozen=True)
class ActivityStream:
    name: str  # the key of its watermark, e.g. "hubspot:meetings"
    pages: PageSource


def duration_from(value: Any, *, scale: float, field: str) -> int | None:
    """A CRM duration (in units of `scale` seconds) as whole seconds; None when not recorded."""
    if value in (None, ""):
        return None
    try:
        seconds = round(float(value) * scale)
    except (TypeError, ValueError, OverflowError):
        raise MappingInvalid(field, f"Not a duration: {value!r}.") from None
    if seconds < 0:
        raise MappingInvalid(field, "A duration cannot be negative.")
    return seconds


def activity_page(
    records: list[dict[str, Any]],
    *,
    row: Callable[[dict[str, Any]], dict[str, Any] | None],
    modified: Callable[[dict[str, Any]], Any],
) -> MappedPage:
    """Map records to rows; `row` answers None for a record that is not an activity we keep
    (a plain to-do task). Every record counts for how far the stream got."""
    page = MappedPage()
    for record in records:
        external_id = str(record.get("id") or record.get("Id") or "")
        page.external_ids.append(external_id)
        with contextlib.suppress(MappingInvalid):  # its row error says why
            page.note_modified(parse_time(modified(record), field="source_updated_at"))
        try:
            mapped = row(record)
        except MappingInvalid as exc:
            page.errors.append(MappingError(external_id, exc.field, exc.message))
            continue
        if mapped is not None:
            page.rows.append(mapped)
    return page
