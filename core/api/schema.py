"""How the API describes itself (OpenAPI at /api/schema/): declared once here, not per view.

Every operation documents the error answers it can give in the one error shape, and the
`Idempotency-Key` header where the view takes one (`@idempotent_create`), so that generated
clients have a type for each answer.
"""

from typing import Any, Literal

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

Direction = Literal["request", "response"]


class ErrorFieldSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(help_text="dotted path of the field; empty for the whole body")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error shape (core.api.errors). Some errors add members, e.g. a 409 names the
    conflicting session."""

    code = serializers.CharField(help_text="machine-readable, e.g. validation_error, not_found")
    detail = serializers.CharField()
    errors = ErrorFieldSerializer(many=True)  # type: ignore[assignment]


IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string up to 255 characters (a UUID is a good choice). A retry with the same "
        "key and body within 24 hours answers the first response again, without doing it twice; "
        "the same key with another body answers 422."
    ),
)

_ERRORS = {
    "400": "Bad input: the field and the reason.",
    "401": "No key, or a wrong or revoked one.",
    "403": "The key lacks the scope, or the person the role.",
    "404": "Missing, or outside what the caller may see.",
    "409": "A conflict, or the Idempotency-Key's first request still running (retry shortly).",
    "415": "The body is not JSON (send Content-Type: application/json).",
    "422": "Idempotency-Key reused with another body, or longer than 255 characters.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}


class AutoSchema(openapi.AutoSchema):
    def _has_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None

    def _is_idempotent_create(self) -> bool:
        handler = getattr(self.view, self.method.lower(), None)
        return bool(getattr(handler, "idempotent_create", False))

    def is_deprecated(self) -> bool:
        handler = getattr(self.view, self.method.lower(), None)
        return bool(getattr(handler, "deprecated", False)) or super().is_deprecated()

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._is_idempotent_create():
            parameters.append(IDEMPOTENCY_KEY_HEADER)
        return parameters

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["400", "401", "403", "404", "429"]
        if self._has_body():
            codes.append("415")
        if self._is_idempotent_create():
            codes += ["409", "422"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorSerializer, code, direction=direction
                )
                responses[code]["description"] = _ERRORS[code]
        return responses
