"""HubSpot engagements (meetings, calls, emails) through the CRM v3 object search, with each
page's deal associations read in one v4 batch call."""

import datetime as dt
from collections.abc import Iterator
from typing import Any, Final

from integrations.adapters.activities import ActivityStream, activity_page, duration_from
from integrations.adapters.hubspot import SOURCE, HubSpotClient
from integrations.mapping import MappedPage, parse_time, text_from

PROPERTIES: Final = {
    "meetings": [
        "hs_timestamp",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
        "hs_meeting_outcome",
        "hubspot_owner_id",
        "hs_lastmodifieddate",
    ],
    "calls": [
        "hs_timestamp",
        "hs_call_duration",
        "hs_call_status",
        "hubspot_owner_id",
        "hs_lastmodifieddate",
    ],
    "emails": ["hs_timestamp", "hs_email_status", "hubspot_owner_id", "hs_lastmodifieddate"],
}
KINDS: Final = {"meetings": "meeting", "calls": "call", "emails": "email"}


def _modified(record: dict[str, Any]) -> Any:
    return (record.get("properties") or {}).get("hs_lastmodifieddate") or record.get("updatedAt")


def _row(object_type: str, record: dict[str, Any], deal_id: str | None) -> dict[str, Any]:
    props: dict[str, Any] = record.get("properties") or {}
    occurred = parse_time(
        props.get("hs_meeting_start_time") or props.get("hs_timestamp"), field="occurred_at"
    )
    duration: int | None = None
    outcome = ""
    if object_type == "meetings":
        end = props.get("hs_meeting_end_time")
        if end:
            duration = max(
                int((parse_time(end, field="duration_seconds") - occurred).total_seconds()), 0
            )
        outcome = text_from(props, "hs_meeting_outcome", limit=100)
    elif object_type == "calls":
        # HubSpot keeps call durations in milliseconds.
        duration = duration_from(
            props.get("hs_call_duration"), scale=0.001, field="duration_seconds"
        )
        outcome = text_from(props, "hs_call_status", limit=100)
    else:
        outcome = text_from(props, "hs_email_status", limit=100)
    return {
        "source": SOURCE,
        "external_id": str(record["id"]),
        "kind": KINDS[object_type],
        "owner_id": props.get("hubspot_owner_id") or None,
        "deal_external_id": deal_id,
        "occurred_at": occurred,
        "duration_seconds": duration,
        "outcome": outcome,
        "source_updated_at": parse_time(_modified(record), field="source_updated_at"),
    }


def engagement_pages(
    client: HubSpotClient, object_type: str, *, since: dt.datetime | None
) -> Iterator[MappedPage]:
    """Every engagement of `object_type` modified at or after `since`, oldest first, with the
    same keyset paging as deals (hubspot.deal_pages)."""
    cursor = since
    after: str | None = None
    while True:
        records, next_after = client.search_objects(
            object_type,
            modified_since=cursor,
            properties=PROPERTIES[object_type],
            after=after,
        )
        deals = client.deal_associations(object_type, [str(r["id"]) for r in records])

        def row(record: dict[str, Any], deals: dict[str, str] = deals) -> dict[str, Any]:
            return _row(object_type, record, deals.get(str(record["id"])))

        page = activity_page(records, row=row, modified=_modified)
        yield page
        if not next_after:
            return
        if page.max_modified is not None and (cursor is None or page.max_modified > cursor):
            cursor, after = page.max_modified, None
        else:
            after = next_after


def engagement_streams(client: HubSpotClient) -> list[ActivityStream]:
    def stream(object_type: str) -> ActivityStream:
        return ActivityStream(
            name=f"hubspot:{object_type}",
            pages=lambda since: engagement_pages(client, object_type, since=since),
        )

    return [stream(object_type) for object_type in PROPERTIES]
