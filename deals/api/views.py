from collections.abc import Callable
from typing import Any

import msgspec
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import admins_only, anyone
from accounts.models import ApiKey, Scope
from accounts.permissions import ScopeOrRule, request_principal
from core.api.bulk import json_content_type_required
from core.api.errors import PayloadTooLarge
from deals.access import deal_get_visible, deal_list_visible, ingest_job_get_visible
from deals.api.serializers import (
    ActivityBulkRowSerializer,
    DealBulkAcceptedSerializer,
    DealBulkResultSerializer,
    DealBulkRowSerializer,
    DealDetailOutputSerializer,
    DealOutputSerializer,
    IngestJobOutputSerializer,
)
from deals.filters import DealFilter
from deals.models import Deal, IngestEntity, IngestJob
from deals.services import activities_ingest, deals_ingest
from deals.services.ingest import IngestResult
from deals.services.jobs import ingest_job_create

_READ_BLOCK = 1024 * 1024


def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) more than `limit` bytes before reading them where possible.

    Read from the stream rather than `request.body`, whose own cap (DATA_UPLOAD_MAX_MEMORY_SIZE)
    is meant for forms and would answer 400 instead of 413.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes; split it into requests.")
    parts, size = [], 0
    while block := request._request.read(_READ_BLOCK):
        size += len(block)
        if size > limit:
            raise PayloadTooLarge(f"The body is larger than {limit} bytes; split it into requests.")
        parts.append(block)
    return b"".join(parts)


_NOT_ROWS = "Send a JSON array of rows."


def _decode_raw_rows(body: bytes) -> list[msgspec.Raw]:
    """The rows as undecoded JSON texts: a scan that checks the syntax and splits the array,
    an order of magnitude cheaper than building the Python objects. A job stores them as they
    came; the request path decodes them only when it ingests them itself."""
    try:
        data = msgspec.json.decode(body, type=list[msgspec.Raw] | dict[str, msgspec.Raw])
        if isinstance(data, dict):
            data = msgspec.json.decode(data["rows"], type=list[msgspec.Raw])
    except (KeyError, msgspec.ValidationError):
        raise ValidationError({"": [_NOT_ROWS]}) from None
    except msgspec.DecodeError as exc:
        raise ValidationError({"": [f"Malformed JSON: {exc}"]}) from None
    return data


def _decode_rows(raw_rows: list[msgspec.Raw]) -> list[Any]:
    return msgspec.json.decode(b"[" + b",".join(raw_rows) + b"]")


def _bulk_post(
    request: Request, *, entity: IngestEntity, ingest: Callable[..., IngestResult]
) -> Response:
    """The bulk contract shared by deals and activities: up to BULK_SYNC_MAX_ROWS rows are
    written in the request (200); more, or ?async=true, become a job (202) whose status is read
    at the deals jobs URL."""
    json_content_type_required(request)
    rows = _decode_raw_rows(_read_body(request, settings.DEALS_BULK_MAX_BYTES))
    run_async = request.query_params.get("async", "").lower() in ("1", "true", "yes")
    if run_async or len(rows) > settings.BULK_SYNC_MAX_ROWS:
        principal = request_principal(request)
        job = ingest_job_create(
            rows=rows,
            entity=entity,
            created_by=None if isinstance(principal, ApiKey) else principal,
            created_by_key=principal if isinstance(principal, ApiKey) else None,
        )
        status_url = request.build_absolute_uri(reverse("deal-job", args=[job.pk]))
        return Response(
            {"job": str(job.pk), "status_url": status_url}, status=status.HTTP_202_ACCEPTED
        )
    return Response(ingest(rows=_decode_rows(rows)).as_api_dict())


class DealBulkApi(APIView):
    """Upsert deals by (source, external_id). Up to BULK_SYNC_MAX_ROWS rows are processed in the
    request (200); more, or ?async=true, become a job processed in the background (202)."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.DEALS_WRITE
    person_rule = staticmethod(admins_only)

    @extend_schema(
        operation_id="deals_bulk_upsert",
        request=DealBulkRowSerializer(many=True),
        parameters=[OpenApiParameter("async", bool, description="queue even a small body")],
        responses={
            200: DealBulkResultSerializer,
            202: DealBulkAcceptedSerializer,
            413: OpenApiResponse(description="body over DEALS_BULK_MAX_BYTES"),
        },
    )
    def post(self, request: Request) -> Response:
        return _bulk_post(request, entity=IngestEntity.DEALS, ingest=deals_ingest)


class ActivityBulkApi(APIView):
    """Upsert CRM activities (meetings, calls, emails) by (source, external_id): the deals bulk
    contract (same limits, counts, per-row errors and jobs; a job's status is read at the deals
    jobs URL)."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.DEALS_WRITE
    person_rule = staticmethod(admins_only)

    @extend_schema(
        operation_id="activities_bulk_upsert",
        request=ActivityBulkRowSerializer(many=True),
        parameters=[OpenApiParameter("async", bool, description="queue even a small body")],
        responses={
            200: DealBulkResultSerializer,
            202: DealBulkAcceptedSerializer,
            413: OpenApiResponse(description="body over DEALS_BULK_MAX_BYTES"),
        },
    )
    def post(self, request: Request) -> Response:
        return _bulk_post(request, entity=IngestEntity.ACTIVITIES, ingest=activities_ingest)


class IngestJobApi(generics.RetrieveAPIView[IngestJob]):
    """A bulk job's progress and counts (errors indexed over the whole body)."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.DEALS_WRITE
    person_rule = staticmethod(admins_only)
    serializer_class = IngestJobOutputSerializer

    def get_object(self) -> IngestJob:
        return ingest_job_get_visible(
            principal=request_principal(self.request), job_id=self.kwargs["pk"]
        )


class DealListApi(generics.ListAPIView[Deal]):
    permission_classes = [ScopeOrRule]
    required_scope = Scope.DEALS_READ
    person_rule = staticmethod(anyone)
    serializer_class = DealOutputSerializer
    filterset_class = DealFilter

    def get_queryset(self) -> QuerySet[Deal]:
        principal = request_principal(self.request)
        return deal_list_visible(principal=principal).select_related("owner").order_by("pk")


class DealDetailApi(generics.RetrieveAPIView[Deal]):
    """A deal with its history, oldest change first."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.DEALS_READ
    person_rule = staticmethod(anyone)
    serializer_class = DealDetailOutputSerializer

    def get_object(self) -> Deal:
        return deal_get_visible(
            principal=request_principal(self.request), deal_id=self.kwargs["pk"]
        )
