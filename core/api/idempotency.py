"""`@idempotent_create` on an API view's `post`: honours an `Idempotency-Key` header.

The rules and the race reasoning are in core.idempotency. Here: the key is scoped to the
principal (the API key, or the signed-in person), the request is fingerprinted by method, path
and raw body, and the view runs inside one transaction with the stored answer.
"""

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import Conflict
from core.idempotency import (
    Claim,
    IdempotencyKeyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    idempotency_claim_complete,
    idempotency_claim_release,
    idempotency_key_claim,
    request_fingerprint,
)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

Handler = TypeVar("Handler", bound=Callable[..., Response])


class IdempotencyKeyUnprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The Idempotency-Key cannot be used for this request."
    default_code = "idempotency_key_invalid"


class _ClaimLost(Exception):
    """Our lease ran out and another request took the key over: undo our write."""


def _principal(request: Request) -> str:
    # API keys authenticate as request.auth (accounts.authentication); people as request.user.
    key = request.auth
    if key is not None and getattr(key, "pk", None) is not None:
        return f"apikey:{key.pk}"
    return f"user:{request.user.pk}"


def idempotent_create(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        fingerprint = request_fingerprint(
            method=request.method or "POST", path=request.get_full_path(), body=request.body
        )
        try:
            claim = idempotency_key_claim(
                principal=_principal(request), key=key, fingerprint=fingerprint
            )
        except IdempotencyKeyInvalid as exc:
            raise IdempotencyKeyUnprocessable(str(exc), code="idempotency_key_invalid") from None
        except IdempotencyKeyReused as exc:
            raise IdempotencyKeyUnprocessable(str(exc), code="idempotency_key_reused") from None
        except IdempotencyKeyInProgress as exc:
            raise Conflict(str(exc), code="idempotency_key_in_use") from None
        if not isinstance(claim, Claim):
            replay = Response(claim.body, status=claim.status_code)
            replay[REPLAYED_HEADER] = "true"
            return replay
        return _run_once(claim, handler, view, request, *args, **kwargs)

    wrapper.idempotent_create = True  # type: ignore[attr-defined]  # read by core.api.schema
    return wrapper  # type: ignore[return-value]


def _run_once(
    claim: Claim,
    handler: Callable[..., Response],
    view: Any,
    request: Request,
    *args: Any,
    **kwargs: Any,
) -> Response:
    try:
        with transaction.atomic():
            response = handler(view, request, *args, **kwargs)
            if status.is_success(response.status_code):
                body = (
                    None
                    if response.data is None
                    else json.loads(JSONRenderer().render(response.data))
                )
                if not idempotency_claim_complete(
                    claim=claim, status_code=response.status_code, body=body
                ):
                    raise _ClaimLost()
            else:
                transaction.set_rollback(True)
    except _ClaimLost:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            code="idempotency_key_in_use",
        ) from None
    except BaseException:
        idempotency_claim_release(claim=claim)
        raise
    if not status.is_success(response.status_code):
        idempotency_claim_release(claim=claim)
    return response
