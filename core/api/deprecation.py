"""`@deprecated(sunset=..., link=...)` on an API view's method: the versioning policy's signal.

/api/v1/ changes only additively (docs/api.md, "Versioning"). An operation that will go away
keeps working until its sunset date and says so on each answer it gives: `Deprecation`
(RFC 9745, the date it was deprecated), `Sunset` (RFC 8594, when it stops) and a `Link` to what
replaces it; the OpenAPI document marks it `deprecated`.
"""

import datetime as dt
import functools
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any, TypeVar

from rest_framework.request import Request
from rest_framework.response import Response

Handler = TypeVar("Handler", bound=Callable[..., Response])


def deprecated(*, since: dt.date, sunset: dt.date, link: str) -> Callable[[Handler], Handler]:
    if sunset <= since:
        raise ValueError("The sunset must come after the deprecation.")
    since_at = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    sunset_at = dt.datetime.combine(sunset, dt.time(), tzinfo=dt.UTC)

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            response = handler(view, request, *args, **kwargs)
            response["Deprecation"] = f"@{int(since_at.timestamp())}"
            response["Sunset"] = format_datetime(sunset_at, usegmt=True)
            response["Link"] = f'<{link}>; rel="deprecation"'
            return response

        wrapper.deprecated = True  # type: ignore[attr-defined]  # read by core.api.schema
        return wrapper  # type: ignore[return-value]

    return decorate
