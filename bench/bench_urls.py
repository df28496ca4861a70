"""The site's URLs plus the benches' reference views (loaded only by bench_settings)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    """The reference: the whole middleware stack, then a fixed answer."""
    return HttpResponse("Hello, world")


@login_required
def hello_signed_in(request: HttpRequest) -> HttpResponse:
    """For context: the reference plus loading the session's user."""
    return HttpResponse(f"Hello, {request.user.pk}")


urlpatterns = [
    path("bench/hello/", hello),
    path("bench/hello-signed-in/", hello_signed_in),
    path("", include("config.urls")),
]
