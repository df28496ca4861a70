import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class UserTimezoneMiddleware:
    """Render pages in the signed-in user's own time zone and language.

    Runs after authentication; LocaleMiddleware has already picked a language from the language
    cookie or the browser's Accept-Language, and a signed-in user's saved choice overrides it.
    Someone who never chose (`language` empty) keeps LocaleMiddleware's pick after signing in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        else:
            timezone.deactivate()
        try:
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        finally:
            # The thread serves someone else next (or runs other code): leave neither this
            # person's language nor their time zone active on it, even when the view raised.
            translation.deactivate()
            timezone.deactivate()
        return response
