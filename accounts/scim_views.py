"""The SCIM 2.0 endpoint (/scim/v2/...): one Django view that hands the request to scim2-server
(protocol) over Coachline's storage (accounts.scim), authenticated by an API key with the
`scim` scope as a bearer token. Every failure answers in the SCIM error format."""

import json
import math
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import (
    Context,
    ForbiddenException,
    Resource,
    ResponseParameters,
    SCIMException,
    UnauthorizedException,
)
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.service import ScimService

from accounts.authentication import InvalidApiKey, api_key_from_request
from accounts.models import Scope
from accounts.scim import CoachlineStorage
from accounts.scim_resources import PROVIDER
from accounts.throttling import ApiKeyRateThrottle


class CoachlineScimService(ScimService):
    def patch_response(
        self,
        base_url: str,
        resource: Resource[Any],
        response_parameters: ResponseParameters[Any],
    ) -> ScimResponse:
        """200 with the resource, never the bare 204 RFC 7644 3.5.2 also allows: Okta reads
        the changed user from the answer."""
        return self.resource_response(
            self.publish(base_url, resource),
            Context.RESOURCE_REPLACEMENT_RESPONSE,
            response_parameters,
        )


SERVICE = CoachlineScimService(PROVIDER)
HANDLER = ScimHandler(SERVICE, CoachlineStorage())


class RateLimited(SCIMException):
    """The token spent its hourly budget (the key's requests per hour, as for the REST API).
    RFC 7644 names no scimType for it; Okta and Entra wait for Retry-After on a 429."""

    status = 429
    _default_detail = "Too many requests with this token; retry after Retry-After seconds."

    def __init__(self, *, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


def _authenticate(request: HttpRequest) -> None:
    try:
        key = api_key_from_request(request)
    except InvalidApiKey:
        raise UnauthorizedException(detail="Invalid, revoked or expired API key.") from None
    if key is None:
        raise UnauthorizedException(detail="Send an API key as `Authorization: Bearer <key>`.")
    if not key.has_scope(Scope.SCIM):
        raise ForbiddenException(detail="This API key lacks the scim scope.")
    throttle = ApiKeyRateThrottle()
    if not throttle.allow_key(key):
        raise RateLimited(retry_after=math.ceil(throttle.wait() or 1))


def _serve(request: HttpRequest, scim_request: ScimRequest) -> ScimResponse:
    try:
        if SERVICE.match(scim_request).operation is not Operation.service_provider_config:
            _authenticate(request)
        with transaction.atomic():
            return HANDLER.handle(scim_request)
    except SCIMException as exc:
        answer = SERVICE.error_response(exc)
        if isinstance(exc, RateLimited):
            answer.headers["Retry-After"] = str(exc.retry_after)
        return answer


@csrf_exempt
def scim(request: HttpRequest, path: str = "") -> HttpResponse:
    base_url = request.build_absolute_uri(reverse("scim_root")).rstrip("/")
    scim_request = ScimRequest(
        method=request.method or "GET",
        base_url=base_url,
        path="/" + path.removesuffix(".scim"),
        query=request.GET.dict(),
        headers=dict(request.headers),
        body=request.body,
    )
    answer = _serve(request, scim_request)
    answer.headers.setdefault("Cache-Control", "no-store")
    body = b"" if answer.body is None else json.dumps(answer.body).encode()
    response = HttpResponse(body, status=answer.status.value)
    for name, value in answer.headers.items():
        response[name] = value
    if answer.body is None:
        del response["Content-Type"]
    return response
