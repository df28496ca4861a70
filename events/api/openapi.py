"""The events out as OpenAPI 3.1 `webhooks` (listed in SPECTACULAR_SETTINGS["WEBHOOKS"])."""

from drf_spectacular.utils import OpenApiWebhook

from events.models import EventType
from events.schemas import event_schema


def _webhook(event_type: str) -> OpenApiWebhook:
    schema = event_schema(event_type)
    schema.pop("$schema")
    return OpenApiWebhook(
        name=str(event_type),
        decorator={
            "post": {
                "summary": event_type,
                "description": schema["description"],
                "tags": ["events"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schema}},
                },
                "responses": {
                    "2XX": {"description": "Received. Anything else is retried or fails."}
                },
            }
        },
    )


COURSE_COMPLETED_WEBHOOK = _webhook(EventType.COURSE_COMPLETED)
PROGRAM_COMPLETED_WEBHOOK = _webhook(EventType.PROGRAM_COMPLETED)
COACHING_SESSION_COMPLETED_WEBHOOK = _webhook(EventType.COACHING_SESSION_COMPLETED)
COACHING_COMMITMENT_CHECKED_WEBHOOK = _webhook(EventType.COACHING_COMMITMENT_CHECKED)
