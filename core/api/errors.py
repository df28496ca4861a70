"""One JSON error shape for the whole API:

{"code": "validation_error", "detail": "Invalid input.",
 "errors": [{"field": "email", "message": "Enter a valid email address."}]}
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as ServiceValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.forms import service_error_messages


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", NON_FIELD_ERRORS) else str(key)
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"field": prefix, "message": str(item)} for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out += _flatten(item, f"{prefix}[{index}]" if prefix else f"[{index}]")
        return out
    return [{"field": prefix, "message": str(detail)}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceValidationError):
        # The one mapping of a service's refusal to the API: 400, each message at its field
        # (core.forms.form_add_service_errors does the same for pages).
        exc = exceptions.ValidationError(service_error_messages(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.UnsupportedMediaType):
        exc = _unsupported_media_type(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body: dict[str, Any] = {
            "code": "validation_error",
            "detail": "Invalid input.",
            "errors": _flatten(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", str(exc))
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": str(code), "detail": str(detail), "errors": []}
        if isinstance(detail, dict):
            body.update({k: v for k, v in detail.items() if k not in body})
            body["detail"] = str(detail.get("detail", exc.__class__.__name__))
    response.data = body
    return response


def _unsupported_media_type(
    exc: exceptions.UnsupportedMediaType, context: dict[str, Any]
) -> exceptions.UnsupportedMediaType:
    """DRF's 415 names what was sent; ours also names what the endpoint takes."""
    view = context.get("view")
    accepted = [p.media_type for p in getattr(view, "parser_classes", [])] or ["application/json"]
    detail = f"{exc.detail} Send {' or '.join(accepted)}."
    return exceptions.UnsupportedMediaType(media_type="", detail=detail)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """config.urls' handler404: a path under /api/ that matches no route (a negative id, a slug
    with spaces) answers the API's JSON 404 like any other; pages keep the HTML one."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found.", "errors": []}, status=404)
    return defaults.page_not_found(request, exception)
