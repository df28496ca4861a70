"""LTI 1.3 tool endpoints (OIDC login initiation, launch, JWKS) and the admin's platform
registrations page. A refused launch answers with a page that says why, and writes nothing."""

import logging
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import urlsplit

from csp.constants import SELF
from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.exception import LtiException, OIDCException

from accounts.access import admin_required
from accounts.backends import VOUCHED_BACKEND
from accounts.models import SignInMethod
from accounts.sso import sign_in_record
from core.forms import form_add_service_errors
from training.forms import LtiPlatformForm
from training.lti.tool import (
    DEEP_LINKING_SETTINGS,
    MessageLaunch,
    OidcLogin,
    ToolConf,
    course_link_jwt,
    launch_storage,
    platform_find,
    tool_jwks,
)
from training.models import Course, LtiPlatform, PublishStatus
from training.services.lti import (
    PLATFORM_FIELDS,
    LaunchRefused,
    deployment_ids_parse,
    launch_accept,
    lti_platform_save,
)

logger = logging.getLogger(__name__)
# The platform vouched for the learner; no password was checked.
LTI_BACKEND = VOUCHED_BACKEND
# How long a deep-linking request may wait for its answer (and its nonce is remembered).
DEEP_LINK_SECONDS = 60 * 60


def _lti_error(request: HttpRequest, *, message: str, status: int) -> HttpResponse:
    return render(request, "training/lti_error.html", {"message": message}, status=status)


def _protocol_message(exc: Exception) -> str:
    """What went wrong, in words for the learner and the LMS admin, from PyLTI1p3's reason."""
    text = str(exc)
    if "deployment" in text:
        return _("The launch came from a deployment this platform registration does not list.")
    if "Registration not found" in text or "Client id" in text or "registration" in text:
        return _(
            "The launch is not addressed to a platform registered in Coachline (issuer or "
            "client ID do not match)."
        )
    if "Nonce" in text or "nonce" in text:
        return _("The launch's nonce was not issued by Coachline. Start again from your LMS.")
    if "decode id_token" in text or "public key" in text or "KID" in text:
        return _("The launch's signature does not verify with the platform's key.")
    if "State" in text or "state" in text:
        return _("The launch's state does not match this browser. Start again from your LMS.")
    return _("The launch could not be verified.")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def lti_login(request: HttpRequest) -> HttpResponse:
    """OIDC login initiation: the platform sends the browser here first; we answer with the
    redirect back to its authorisation endpoint, carrying a fresh state and nonce."""
    login_request = OidcLogin(  # type: ignore[no-untyped-call]
        request, ToolConf(), launch_data_storage=launch_storage()
    )
    try:
        response: HttpResponse = login_request.redirect(
            request.build_absolute_uri(reverse("lti:launch"))
        )
    except (OIDCException, LtiException) as exc:
        logger.info("LTI login refused: %s", exc)
        return _lti_error(
            request,
            message=_("This LMS is not registered in Coachline, or its request was incomplete."),
            status=HTTPStatus.BAD_REQUEST,
        )
    return response


@csrf_exempt
@require_POST
def lti_launch(request: HttpRequest) -> HttpResponse:
    """The platform posts the signed id token here. PyLTI1p3 checks it; `launch_accept` signs
    the learner in to the course. Refused: an error page, nothing written."""
    message_launch = MessageLaunch(  # type: ignore[no-untyped-call]
        request, ToolConf(), launch_data_storage=launch_storage()
    )
    message_launch.set_launch_data_lifetime(DEEP_LINK_SECONDS)
    try:
        data = message_launch.get_launch_data()
    except (LtiException, OIDCException) as exc:
        logger.info("LTI launch refused: %s", exc)
        return _lti_error(request, message=_protocol_message(exc), status=HTTPStatus.BAD_REQUEST)
    platform = platform_find(message_launch.get_iss(), message_launch.get_client_id())
    if platform is None:  # deactivated between the checks and now
        return _lti_error(
            request,
            message=_protocol_message(exc=LtiException("registration")),
            status=HTTPStatus.BAD_REQUEST,
        )
    if message_launch.is_deep_link_launch():
        return _deep_link_start(request, message_launch, platform)
    try:
        launch = launch_accept(platform=platform, data=data)
    except LaunchRefused as exc:
        return _lti_error(request, message=exc.reason, status=HTTPStatus.FORBIDDEN)
    login(request, launch.user, backend=LTI_BACKEND)
    sign_in_record(
        request=request,
        method=SignInMethod.LTI,
        succeeded=True,
        user=launch.user,
        provider=platform.issuer,
    )
    return redirect("training:course_detail", slug=launch.course.slug)


def _deep_link_start(
    request: HttpRequest, message_launch: MessageLaunch, platform: LtiPlatform
) -> HttpResponse:
    """A verified deep-linking request: a teacher or designer picks a course on the next page.
    The id token is accepted once (its nonce); PyLTI1p3 keeps its claims in the cache under an
    unguessable launch id for DEEP_LINK_SECONDS."""
    if not (
        message_launch.check_teacher_access()
        or message_launch.check_staff_access()
        or message_launch.check_designer_access()
    ):
        return _lti_error(
            request,
            message=_("Only teachers and course designers pick Coachline courses for the LMS."),
            status=HTTPStatus.FORBIDDEN,
        )
    nonce = str(message_launch.get_launch_data().get("nonce", ""))
    if not cache.add(f"lti:deep-link-nonce:{platform.pk}:{nonce}", 1, DEEP_LINK_SECONDS):
        return _lti_error(
            request,
            message=_("This launch was used already. Start it again from your LMS."),
            status=HTTPStatus.FORBIDDEN,
        )
    return redirect("lti:deep_link", launch_id=message_launch.get_launch_id())


def _deep_link_allow(response: HttpResponse, return_url: str) -> HttpResponse:
    """The picker may sit in the platform's frame and post back to it: its origin, and only it,
    is added to this response's frame-ancestors and form-action."""
    parts = urlsplit(return_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    response._csp_replace = {  # type: ignore[attr-defined]  # read by django-csp's middleware
        "frame-ancestors": [origin],
        "form-action": [SELF, origin],
    }
    return response


@csrf_exempt  # the unguessable launch id, accepted once, is what a forged post lacks
@xframe_options_exempt  # frame-ancestors (the platform's origin) decides instead
@require_http_methods(["GET", "POST"])
def lti_deep_link(request: HttpRequest, launch_id: str) -> HttpResponse:
    """The course picker of a deep-linking request, and the signed answer to the platform."""
    expired = _(
        "This course selection has expired or was answered already. Start it again from your LMS."
    )
    try:
        message_launch = cast(
            MessageLaunch,
            MessageLaunch.from_cache(
                launch_id, request, ToolConf(), launch_data_storage=launch_storage()
            ),
        )
    except LtiException:
        return _lti_error(request, message=expired, status=HTTPStatus.NOT_FOUND)
    if not message_launch.is_deep_link_launch():
        return _lti_error(request, message=expired, status=HTTPStatus.NOT_FOUND)
    data: dict[str, Any] = dict(message_launch.get_launch_data())
    return_url = str(data[DEEP_LINKING_SETTINGS]["deep_link_return_url"])
    courses = Course.objects.filter(status=PublishStatus.PUBLISHED)
    error, status = "", HTTPStatus.OK
    if request.method == "POST":
        course = courses.filter(slug=request.POST.get("course", "")).first()
        if course is None:
            error, status = _("Choose one of the published courses."), HTTPStatus.BAD_REQUEST
        elif not cache.add(f"lti:deep-link-answered:{launch_id}", 1, DEEP_LINK_SECONDS):
            return _lti_error(request, message=expired, status=HTTPStatus.NOT_FOUND)
        else:
            jwt = course_link_jwt(
                message_launch,
                course=course,
                launch_url=request.build_absolute_uri(reverse("lti:launch")),
            )
            page = render(
                request,
                "training/lti_deep_link_return.html",
                {"return_url": return_url, "jwt": jwt, "course": course},
            )
            return _deep_link_allow(page, return_url)
    # Queries: the registration (PyLTI1p3 re-checks it), the published courses.
    listed = list(courses.order_by("title", "pk").only("slug", "title", "summary"))
    page = render(
        request,
        "training/lti_deep_link.html",
        {"courses": listed, "error": error, "launch_id": launch_id},
        status=status,
    )
    return _deep_link_allow(page, return_url)


@require_GET
def lti_jwks(request: HttpRequest) -> HttpResponse:
    return JsonResponse(tool_jwks())


def _tool_urls(request: HttpRequest) -> dict[str, str]:
    return {
        "login_url": request.build_absolute_uri(reverse("lti:login")),
        "launch_url": request.build_absolute_uri(reverse("lti:launch")),
        "jwks_url": request.build_absolute_uri(reverse("lti:jwks")),
    }


@admin_required
@require_GET
def lti_platforms(request: HttpRequest) -> HttpResponse:
    # Queries: the session's person, then the platforms.
    platforms = list(LtiPlatform.objects.order_by("name", "pk"))
    return render(
        request, "training/lti_platforms.html", {"platforms": platforms, **_tool_urls(request)}
    )


def _platform_initial(platform: LtiPlatform | None) -> dict[str, object]:
    if platform is None:
        return {"is_active": True}
    initial = {field: getattr(platform, field) for field in PLATFORM_FIELDS}
    initial["deployment_ids"] = "\n".join(platform.deployment_ids)
    return initial


@admin_required
@require_http_methods(["GET", "POST"])
def lti_platform_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    platform = get_object_or_404(LtiPlatform, pk=pk) if pk is not None else None
    form = LtiPlatformForm(request.POST or None, initial=_platform_initial(platform))
    if request.method == "POST" and form.is_valid():
        changes = {
            **form.cleaned_data,
            "deployment_ids": deployment_ids_parse(form.cleaned_data["deployment_ids"]),
        }
        try:
            saved = lti_platform_save(changes=changes, platform=platform)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Platform “%(name)s” saved.") % {"name": saved.name})
            return redirect("lti:platforms")
    return render(
        request,
        "training/lti_platform.html",
        {"form": form, "platform": platform, **_tool_urls(request)},
    )
