"""Refuse query strings that no page can use: a NUL character in any parameter.

PostgreSQL cannot compare text with a NUL in it, so `?q=%00` on any list would raise mid-query
(500). Forms and API serializers already refuse NUL in bodies (Django's and DRF's CharField);
query parameters are read by hand in many views, so they are checked once, here.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from core.validation import InputInvalid, text_checked


class RefuseNulQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            try:
                text_checked(name)
                for value in values:
                    text_checked(value)
            except InputInvalid as exc:
                return _bad_request(request, name.replace("\x00", "\\x00"), exc.reason)
        return self.get_response(request)


def _bad_request(request: HttpRequest, field: str, reason: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        # The API's one error shape (core.api.errors).
        return JsonResponse(
            {
                "code": "validation_error",
                "detail": "Invalid input.",
                "errors": [{"field": field, "message": reason}],
            },
            status=400,
        )
    return HttpResponseBadRequest(
        _("The address has a bad parameter %(field)s: %(reason)s")
        % {"field": field, "reason": reason},
        content_type="text/plain; charset=utf-8",
    )
