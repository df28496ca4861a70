import json
import time
from dataclasses import asdict

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.adapters.base import CrmError
from integrations.models import ConnectionSource
from integrations.selectors import connection_for_source
from integrations.services.clients import connection_credentials
from integrations.services.webhooks import WebhookPayloadInvalid, hubspot_webhook_receive
from integrations.signatures import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    hubspot_signature_v3_valid,
)


class SignatureInvalid(APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Missing, wrong or expired request signature."
    default_code = "invalid_signature"


ReceiptSerializer = inline_serializer(
    "HubSpotWebhookReceipt",
    {
        "received": serializers.IntegerField(),
        "accepted": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
        "ignored": serializers.IntegerField(),
    },
)


class HubSpotWebhookApi(APIView):
    """HubSpot's webhook deliveries (deal.creation, deal.propertyChange, deal.deletion).

    Authenticated by HubSpot's v3 signature, not by a key or a session; unthrottled because
    HubSpot sends bursts and a throttled delivery is retried anyway. Answers as soon as the
    events are stored; a Celery task fetches and ingests the deals.
    """

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    @extend_schema(
        operation_id="integrations_hubspot_webhook_receive",
        request=inline_serializer(
            "HubSpotWebhookEvent",
            {
                "eventId": serializers.IntegerField(),
                "subscriptionType": serializers.CharField(),
                "objectId": serializers.IntegerField(),
                "propertyName": serializers.CharField(required=False),
                "occurredAt": serializers.IntegerField(),
            },
            many=True,
        ),
        responses={
            200: ReceiptSerializer,
            400: OpenApiResponse(description="The body is not a JSON array."),
            401: OpenApiResponse(description="Missing, wrong or expired signature."),
        },
    )
    def post(self, request: Request) -> Response:
        body = request.body
        connection = connection_for_source(source=ConnectionSource.HUBSPOT)
        try:
            secret = (
                connection_credentials(connection).get("client_secret", "") if connection else ""
            )
        except CrmError:
            secret = ""  # unreadable secret: nothing can verify, so nothing gets in
        path = request.get_full_path()
        if not hubspot_signature_v3_valid(
            client_secret=secret,
            method=request.method or "POST",
            uris=[request.build_absolute_uri(path), f"{settings.SITE_URL}{path}"],
            body=body,
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            now_ms=int(time.time() * 1000),
        ):
            raise SignatureInvalid()
        assert connection is not None  # a signature cannot verify without its connection
        try:
            events = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ValidationError({"": ["The body is not JSON."]}) from None
        if not connection.is_enabled:
            # Verified, but the admin paused the connection: acknowledge, keep nothing.
            count = len(events) if isinstance(events, list) else 0
            return Response({"received": count, "accepted": 0, "duplicates": 0, "ignored": count})
        try:
            receipt = hubspot_webhook_receive(events=events)
        except WebhookPayloadInvalid as exc:
            raise ValidationError({"": [str(exc)]}) from None
        return Response(asdict(receipt))
