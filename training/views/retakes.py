"""Retakes: a learner asks for another attempt; their coach or manager grants it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from training import selectors
from training.access import (
    course_get_for_learner,
    lesson_get_for_learner,
    may_grant_retakes,
    retake_request_get_for_granter,
)
from training.services import retake_grant, retake_request_create


@login_required
@require_POST
def retake_request(request: AuthenticatedRequest, slug: str, lesson: str) -> HttpResponse:
    course = course_get_for_learner(user=request.user, slug=slug)
    found = lesson_get_for_learner(user=request.user, course=course, slug=lesson)
    try:
        retake_request_create(user=request.user, lesson=found, note=request.POST.get("note", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your request for a retake was sent."))
    return redirect("training:lesson_detail", slug=course.slug, lesson=found.slug)


@login_required
@require_GET
def retake_requests(request: AuthenticatedRequest) -> HttpResponse:
    if not may_grant_retakes(request.user):
        raise Http404("Not found")
    # Queries: session, user, open requests (with person, quiz and course).
    pending = selectors.retake_requests_open(viewer=request.user)
    return render(request, "training/retakes.html", {"pending": pending})


@login_required
@require_POST
def retake_grant_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = retake_request_get_for_granter(user=request.user, request_id=pk)
    try:
        extra = int(request.POST.get("extra_attempts", "1"))
    except ValueError:
        extra = 0  # refused by the service with the field named
    try:
        retake_grant(
            granter=request.user,
            user=found.user,
            lesson=found.lesson,
            extra_attempts=extra,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s can take “%(quiz)s” again.")
            % {"name": found.user.full_name, "quiz": found.lesson.title},
        )
    return redirect("training:retakes")
