"""JSON Schemas of the events sent to subscriber URLs, one per event type, with an example.

Published at /api/v1/events/schemas/<type>.json and in the OpenAPI document's `webhooks`
(events.api.openapi). tests/events/test_event_schemas.py validates every
payload the code emits against these, with extra properties refused, so a field added to a
payload without being described here fails the suite. Like /api/v1/, events change only
additively: receivers must ignore members they do not know.
"""

import copy
from typing import Any

from events.models import EventType

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ID = {"type": "integer", "minimum": 1}
_ID_OR_NULL = {"type": ["integer", "null"], "minimum": 1}
_TIME = {"type": "string", "format": "date-time"}
_DATE = {"type": "string", "format": "date"}
_DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "a decimal number"}


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), **extra}


_PERSON = _object(
    {"id": _ID, "email": {"type": "string", "format": "email"}, "full_name": {"type": "string"}},
    description="the learner",
)
_NAMED = {"slug": {"type": "string"}, "title": {"type": "string"}}

_DATA: dict[str, dict[str, Any]] = {
    EventType.COURSE_COMPLETED: _object(
        {
            "user": _PERSON,
            "course": _object(_NAMED),
            "completed_at": _TIME,
            "score": {
                "type": ["string", "null"],
                "pattern": _DECIMAL["pattern"],
                "description": "percent, 0-100 (a decimal string); null without a quiz",
            },
            "source": {"enum": ["browser", "import"]},
            "certificate_code": {"type": "string", "description": "verifies the certificate"},
        }
    ),
    EventType.PROGRAM_COMPLETED: _object(
        {"user": _PERSON, "program": _object(_NAMED), "completed_at": _TIME},
        description="sent when a course completion finished the program's last course",
    ),
    EventType.COACHING_SESSION_COMPLETED: _object(
        {
            "session_id": _ID,
            "uid": {"type": "string", "format": "uuid", "description": "the iCalendar UID"},
            "kind": {
                "enum": [
                    "live_call",
                    "post_call_review",
                    "deal_post_mortem",
                    "one_on_one",
                    "role_play",
                ]
            },
            "status": {"const": "completed"},
            "coach_id": _ID,
            "rep_id": _ID,
            "deal_id": _ID_OR_NULL,
            "start": _TIME,
            "end": _TIME,
            "completed_at": _TIME,
        }
    ),
    EventType.COACHING_COMMITMENT_CHECKED: _object(
        {
            "commitment_id": _ID,
            "session_id": _ID,
            "rep_id": _ID,
            "metric": {
                "enum": [
                    "economic_buyer_share",
                    "compelling_deadline_share",
                    "slip_rate",
                    "win_rate",
                ]
            },
            "target": {**_DECIMAL, "description": "percent"},
            "status": {"enum": ["met", "missed", "no_data"]},
            "measured_value": {
                "type": ["string", "null"],
                "pattern": _DECIMAL["pattern"],
                "description": "percent (a decimal string); null when nothing could be measured",
            },
            "deals_measured": {"type": "integer", "minimum": 0},
            "window_start": _DATE,
            "check_date": _DATE,
        }
    ),
}

_PERSON_EXAMPLE = {"id": 7, "email": "sam@example.com", "full_name": "Sam Seller"}
_EXAMPLES: dict[str, dict[str, Any]] = {
    EventType.COURSE_COMPLETED: {
        "user": _PERSON_EXAMPLE,
        "course": {"slug": "discovery-conversations", "title": "Discovery conversations"},
        "completed_at": "2026-03-02T14:05:11.201Z",
        "score": "91.00",
        "source": "browser",
        "certificate_code": "K7QX-2M4P-9TZC",
    },
    EventType.PROGRAM_COMPLETED: {
        "user": _PERSON_EXAMPLE,
        "program": {"slug": "sales-foundations", "title": "Sales foundations"},
        "completed_at": "2026-03-02T14:05:11.201Z",
    },
    EventType.COACHING_SESSION_COMPLETED: {
        "session_id": 42,
        "uid": "3f0e1c52-8a47-4a59-9d8e-6c1b0f2a7d10",
        "kind": "one_on_one",
        "status": "completed",
        "coach_id": 3,
        "rep_id": 7,
        "deal_id": None,
        "start": "2026-03-03T10:00:00Z",
        "end": "2026-03-03T11:00:00Z",
        "completed_at": "2026-03-03T11:02:40.118Z",
    },
    EventType.COACHING_COMMITMENT_CHECKED: {
        "commitment_id": 12,
        "session_id": 42,
        "rep_id": 7,
        "metric": "economic_buyer_share",
        "target": "60.0",
        "status": "met",
        "measured_value": "66.7",
        "deals_measured": 6,
        "window_start": "2026-03-03",
        "check_date": "2026-05-31",
    },
}

_DESCRIPTIONS: dict[str, str] = {
    EventType.COURSE_COMPLETED: "A person finished a course in Coachline (imports send none).",
    EventType.PROGRAM_COMPLETED: "A course completion finished every course of a program.",
    EventType.COACHING_SESSION_COMPLETED: "A coach marked a session completed.",
    EventType.COACHING_COMMITMENT_CHECKED: (
        "A post-mortem commitment reached its check date and was measured on CRM data."
    ),
}


def event_types() -> list[str]:
    return [str(value) for value in EventType.values]


def event_schema_path(event_type: str) -> str:
    return f"/api/v1/events/schemas/{event_type}.json"


def event_example(event_type: str) -> dict[str, Any]:
    """A whole delivery body (envelope and data) for `event_type`."""
    event_type = str(event_type)  # a plain str, also for an EventType member (YAML, JSON)
    return {
        "id": "5b0c2f8e-1d7a-4c3b-9a51-2e6f0d4b8c17",
        "type": event_type,
        "created_at": "2026-03-03T11:02:40.125Z",
        "data": copy.deepcopy(_EXAMPLES[event_type]),
    }


def event_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a delivery body of `event_type`. KeyError when unknown."""
    data = _DATA[event_type]
    event_type = str(event_type)  # a plain str, also for an EventType member (YAML, JSON)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": event_type,
        "description": (
            f"{_DESCRIPTIONS[event_type]} POSTed to subscriber URLs, signed "
            "(X-Coachline-Signature, docs/api.md). Receivers ignore members they do not know."
        ),
        "type": "object",
        "properties": {
            "id": {
                "type": "string",
                "format": "uuid",
                "description": "the event's id; the same on every retry (X-Coachline-Event-Id)",
            },
            "type": {"const": event_type},
            "created_at": _TIME,
            "test": {
                "type": "boolean",
                "description": "true for a test event sent from the subscriber's page: do not act",
            },
            "data": copy.deepcopy(data),
        },
        "required": ["id", "type", "created_at", "data"],
        "examples": [event_example(event_type)],
    }


def event_schema_strict(event_type: str) -> dict[str, Any]:
    """event_schema with undocumented members refused at every level (for tests)."""

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    schema = event_schema(event_type)
    schema.pop("examples")
    close(schema)
    return schema
