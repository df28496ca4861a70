"""Salesforce activities: Event (meetings) and Task (calls and emails, by TaskSubtype), read by
LastModifiedDate with a server-side cursor like opportunities. An activity's deal is its WhatId
when that is an Opportunity (key prefix 006)."""

import datetime as dt
from collections.abc import Iterator
from typing import Any, Final

from integrations.adapters.activities import ActivityStream, activity_page, duration_from
from integrations.adapters.salesforce import SOURCE, SalesforceClient, soql_datetime
from integrations.mapping import MappedPage, MappingInvalid, parse_time, text_from

OPPORTUNITY_PREFIX: Final = "006"
EVENT_FIELDS: Final = (
    "Id",
    "OwnerId",
    "WhatId",
    "StartDateTime",
    "DurationInMinutes",
    "LastModifiedDate",
)
TASK_FIELDS: Final = (
    "Id",
    "OwnerId",
    "WhatId",
    "TaskSubtype",
    "CompletedDateTime",
    "ActivityDate",
    "CreatedDate",
    "CallDurationInSeconds",
    "CallDisposition",
    "Status",
    "LastModifiedDate",
)
TASK_KINDS: Final = {"Call": "call", "Email": "email", "ListEmail": "email"}


def _deal(record: dict[str, Any]) -> str | None:
    what = str(record.get("WhatId") or "")
    return what if what.startswith(OPPORTUNITY_PREFIX) else None


def _modified(record: dict[str, Any]) -> Any:
    return record.get("LastModifiedDate")


def event_row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "external_id": str(record["Id"]),
        "kind": "meeting",
        "owner_id": record.get("OwnerId") or None,
        "deal_external_id": _deal(record),
        "occurred_at": parse_time(record.get("StartDateTime"), field="occurred_at"),
        "duration_seconds": duration_from(
            record.get("DurationInMinutes"), scale=60, field="duration_seconds"
        ),
        "outcome": "",
        "source_updated_at": parse_time(_modified(record), field="source_updated_at"),
    }


def task_row(record: dict[str, Any]) -> dict[str, Any] | None:
    kind = TASK_KINDS.get(str(record.get("TaskSubtype") or ""))
    if kind is None:
        return None  # a plain to-do, not a call or an email
    if record.get("CompletedDateTime"):
        occurred = parse_time(record["CompletedDateTime"], field="occurred_at")
    elif record.get("ActivityDate"):
        try:
            day = dt.date.fromisoformat(str(record["ActivityDate"]))
        except ValueError:
            raise MappingInvalid("occurred_at", "Not a date.") from None
        occurred = parse_time(f"{day.isoformat()}T00:00:00+00:00", field="occurred_at")
    else:
        occurred = parse_time(record.get("CreatedDate"), field="occurred_at")
    return {
        "source": SOURCE,
        "external_id": str(record["Id"]),
        "kind": kind,
        "owner_id": record.get("OwnerId") or None,
        "deal_external_id": _deal(record),
        "occurred_at": occurred,
        "duration_seconds": duration_from(
            record.get("CallDurationInSeconds"), scale=1, field="duration_seconds"
        ),
        "outcome": text_from(record, "CallDisposition", limit=100)
        or text_from(record, "Status", limit=100),
        "source_updated_at": parse_time(_modified(record), field="source_updated_at"),
    }


def _pages(
    client: SalesforceClient, soql: str, since: dt.datetime | None, row: Any
) -> Iterator[MappedPage]:
    where = f"LastModifiedDate >= {soql_datetime(since)}" if since else ""
    query = soql.format(where=f" AND {where}" if "WHERE" in soql and where else "")
    if "WHERE" not in soql and where:
        query = soql.format(where=f" WHERE {where}")
    for records in client.query_pages(query + " ORDER BY LastModifiedDate, Id"):
        yield activity_page(records, row=row, modified=_modified)


# Fixed field lists (no admin input), so the SOQL carries names only.
EVENT_SOQL: Final = f"SELECT {', '.join(EVENT_FIELDS)} FROM Event{{where}}"  # noqa: S608
TASK_SOQL: Final = (
    f"SELECT {', '.join(TASK_FIELDS)} FROM Task"  # noqa: S608
    " WHERE TaskSubtype IN ('Call', 'Email', 'ListEmail'){where}"
)


def activity_streams(client: SalesforceClient) -> list[ActivityStream]:
    return [
        ActivityStream(
            name="salesforce:Event",
            pages=lambda since: _pages(client, EVENT_SOQL, since, event_row),
        ),
        ActivityStream(
            name="salesforce:Task", pages=lambda since: _pages(client, TASK_SOQL, since, task_row)
        ),
    ]
