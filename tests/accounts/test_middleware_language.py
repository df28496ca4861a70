"""The signed-in person's language and time zone last as long as their request: afterwards the
thread is back on the site's defaults, also when the view raised."""

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation

from accounts.middleware import UserTimezoneMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def german_rep(cast):
    cast.rep.language = "de"
    cast.rep.time_zone = "Europe/Berlin"
    cast.rep.save(update_fields=["language", "time_zone"])
    return cast.rep


def _defaults() -> tuple[str, str]:
    return translation.get_language(), timezone.get_current_timezone_name()


def test_after_a_page_the_thread_is_back_on_the_defaults(german_rep, client):
    client.force_login(german_rep)

    response = client.get("/")

    assert response["Content-Language"] == "de"
    assert _defaults() == (settings.LANGUAGE_CODE, settings.TIME_ZONE)


def test_inside_the_request_the_persons_language_and_zone_are_active(german_rep):
    seen: list[tuple[str, str]] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(_defaults())
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = german_rep

    response = UserTimezoneMiddleware(view)(request)

    assert seen == [("de", "Europe/Berlin")]
    assert response["Content-Language"] == "de"
    assert _defaults() == (settings.LANGUAGE_CODE, settings.TIME_ZONE)


def test_a_view_that_raises_does_not_leave_the_language_behind(german_rep):
    def view(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("boom")

    request = RequestFactory().get("/")
    request.user = german_rep

    with pytest.raises(RuntimeError):
        UserTimezoneMiddleware(view)(request)

    assert _defaults() == (settings.LANGUAGE_CODE, settings.TIME_ZONE)
