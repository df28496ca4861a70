from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from events.schemas import event_schema, event_schema_path, event_types


class EventSchemaListApi(APIView):
    """The event types sent to subscriber URLs, each with the address of its JSON Schema."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="events_schemas_list",
        responses={200: OpenApiResponse(description="`{type: schema URL}` for every event type")},
    )
    def get(self, request: Request) -> Response:
        body: dict[str, Any] = {
            event_type: request.build_absolute_uri(event_schema_path(event_type))
            for event_type in event_types()
        }
        return Response(body)


class EventSchemaApi(APIView):
    """The JSON Schema (2020-12) of one event's delivery body, with an example. Public, stable."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="events_schemas_retrieve",
        responses={200: OpenApiResponse(description="a JSON Schema document")},
    )
    def get(self, request: Request, event_type: str) -> Response:
        try:
            schema = event_schema(event_type)
        except KeyError:
            raise Http404("No such event type.") from None
        schema = {"$id": request.build_absolute_uri(event_schema_path(event_type)), **schema}
        return Response(schema, content_type="application/schema+json")
