"""The practice pages: the rep's scenario and recorder, the upload endpoints its script calls,
the attempt page (the reviewer scores and comments there; the rep reads the review), the
recording itself, and the reviewer's queue. Access: practice.access."""

import json
import re
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from core.forms import service_error_messages
from practice import selectors, services
from practice.access import (
    attempt_get_for_reviewer,
    attempt_get_for_uploader,
    attempt_get_visible,
    may_review,
    scenario_get_for_learner,
)
from practice.models import MediaType, PracticeScenario, PracticeSettings
from training.rendering import markdown_to_html

# The preview plays the recording from a blob: URL before it is uploaded.
MEDIA_POLICY = {"media-src": [SELF, "blob:"]}
# The browser sends the recording in pieces of this size, each retried on its own.
CHUNK_BYTES = 256 * 1024


def _errors(exc: ValidationError) -> JsonResponse:
    return JsonResponse({"errors": service_error_messages(exc)}, status=400)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


@login_required
@require_GET
@csp_replace(MEDIA_POLICY)  # type: ignore[arg-type]  # its hint allows no URL kwargs
def lesson_practice(request: AuthenticatedRequest, lesson_id: int) -> HttpResponse:
    scenario = scenario_get_for_learner(user=request.user, lesson_id=lesson_id)
    return _lesson_page(request, scenario)


def _lesson_page(
    request: AuthenticatedRequest,
    scenario: PracticeScenario,
    *,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    attempts = selectors.attempts_of_rep(rep_id=request.user.pk, scenario=scenario)
    config = {
        "startUrl": reverse("practice:attempt_start", args=[scenario.lesson_id]),
        "mediaTypes": MediaType.values,
        "chunkBytes": CHUNK_BYTES,
        # The recorder stops by itself at the organisation's longest recording.
        "maxSeconds": PracticeSettings.current().max_minutes * 60,
    }
    context = {
        "scenario": scenario,
        "lesson": scenario.lesson,
        "scenario_html": markdown_to_html(scenario.scenario),
        "attempts": attempts,
        "attempts_left": max(scenario.max_attempts - len(attempts), 0),
        "config": config,
        "accept": ",".join(MediaType.values),
        "errors": errors or {},
    }
    return render(request, "practice/lesson.html", context, status=400 if errors else 200)


@login_required
@require_POST
@csp_replace(MEDIA_POLICY)  # type: ignore[arg-type]  # its hint allows no URL kwargs
def attempt_upload(request: AuthenticatedRequest, lesson_id: int) -> HttpResponse:
    """A recording as one file from a plain form (multipart `recording`): checked like the
    recorder's upload; 400 on the lesson page with the reason, having stored nothing."""
    scenario = scenario_get_for_learner(user=request.user, lesson_id=lesson_id)
    content = request.FILES.get("recording")
    if content is None:
        return _lesson_page(request, scenario, errors={"recording": [_("Choose the file.")]})
    try:
        attempt = services.attempt_upload_file(
            rep=request.user,
            scenario=scenario,
            content=content,
            media_type=(content.content_type or "").split(";")[0].strip(),
        )
    except ValidationError as exc:
        return _lesson_page(request, scenario, errors=service_error_messages(exc))
    messages.success(request, _("Uploaded and submitted for review."))
    return redirect("practice:attempt", attempt.pk)


@login_required
@require_POST
def attempt_start(request: AuthenticatedRequest, lesson_id: int) -> JsonResponse:
    """JSON `{media_type, size_bytes, total_chunks, duration_seconds}` -> the attempt's id and
    its chunk URL; 400 with the field and reason, having stored nothing."""
    scenario = scenario_get_for_learner(user=request.user, lesson_id=lesson_id)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"errors": {"__all__": ["Send a JSON object."]}}, status=400)
    try:
        attempt = services.attempt_start(
            rep=request.user,
            scenario=scenario,
            media_type=str(body.get("media_type", "")).split(";")[0].strip(),
            size_bytes=_int(body.get("size_bytes")),
            total_chunks=_int(body.get("total_chunks")),
            duration_seconds=max(_int(body.get("duration_seconds", 0)), 0),
        )
    except ValidationError as exc:
        return _errors(exc)
    return JsonResponse(
        {
            "id": attempt.pk,
            "chunkUrl": reverse("practice:chunk", args=[attempt.pk]),
            "pageUrl": reverse("practice:attempt", args=[attempt.pk]),
        },
        status=201,
    )


@login_required
@require_POST
def chunk_upload(request: AuthenticatedRequest, attempt_id: int) -> JsonResponse:
    """Multipart `index`, `total`, `chunk` (a file). Sending a chunk again is harmless."""
    attempt = attempt_get_for_uploader(user=request.user, attempt_id=attempt_id)
    content = request.FILES.get("chunk")
    if content is None:
        return JsonResponse({"errors": {"chunk": ["Attach the chunk."]}}, status=400)
    try:
        result = services.attempt_chunk_store(
            attempt_id=attempt.pk,
            index=_int(request.POST.get("index")),
            total=_int(request.POST.get("total")),
            content=content,
        )
    except ValidationError as exc:
        return _errors(exc)
    return JsonResponse(
        {"received": result.received, "total": result.total, "complete": result.is_complete}
    )


@login_required
@require_GET
def attempt_detail(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse:
    attempt = attempt_get_visible(user=request.user, attempt_id=attempt_id)
    page = selectors.attempt_page(attempt=attempt)
    context = {
        "page": page,
        "attempt": attempt,
        "is_reviewer": may_review(user=request.user, attempt=attempt),
        "errors": {},
    }
    return render(request, "practice/attempt.html", context)


def _attempt_with_errors(
    request: AuthenticatedRequest,
    attempt_id: int,
    exc: ValidationError,
    *,
    is_reviewer: bool = True,
) -> HttpResponse:
    attempt = attempt_get_visible(user=request.user, attempt_id=attempt_id)
    context = {
        "page": selectors.attempt_page(attempt=attempt),
        "attempt": attempt,
        "is_reviewer": is_reviewer,
        "errors": service_error_messages(exc),
    }
    return render(request, "practice/attempt.html", context, status=400)


@login_required
@require_POST
def comment_add(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse:
    attempt = attempt_get_for_reviewer(user=request.user, attempt_id=attempt_id)
    try:
        services.comment_add(
            author=request.user,
            attempt=attempt,
            at_second=_int(request.POST.get("at_second")),
            text=request.POST.get("text", ""),
        )
    except ValidationError as exc:
        return _attempt_with_errors(request, attempt_id, exc)
    return redirect(reverse("practice:attempt", args=[attempt.pk]) + "#comments")


@login_required
@require_POST
def review_submit(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse:
    attempt = attempt_get_for_reviewer(user=request.user, attempt_id=attempt_id)
    scores = {
        int(key.removeprefix("score_")): _int(value)
        for key, value in request.POST.items()
        if re.fullmatch(r"score_\d{1,9}", key)
    }
    try:
        services.review_submit(
            reviewer=request.user,
            attempt=attempt,
            scores=scores,
            notes=request.POST.get("notes", ""),
        )
    except ValidationError as exc:
        return _attempt_with_errors(request, attempt_id, exc)
    return redirect("practice:attempt", attempt.pk)


@login_required
@require_POST
def attempt_delete(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse:
    """The rep deletes their attempt before it is reviewed; afterwards 400 on the page."""
    attempt = attempt_get_for_uploader(user=request.user, attempt_id=attempt_id)
    lesson_id = attempt.scenario.lesson_id
    try:
        services.attempt_delete(rep=request.user, attempt=attempt)
    except ValidationError as exc:
        return _attempt_with_errors(request, attempt_id, exc, is_reviewer=False)
    messages.success(request, _("The attempt and its recording are deleted."))
    return redirect("practice:lesson", lesson_id)


_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


@login_required
@require_GET
def recording(request: AuthenticatedRequest, attempt_id: int) -> HttpResponse | FileResponse:
    """The recording, with single byte ranges so that the player can seek to a comment."""
    attempt = attempt_get_visible(user=request.user, attempt_id=attempt_id)
    if not attempt.recording:
        raise Http404("No recording")
    services.recording_view_audit(viewer=request.user, attempt=attempt)
    size = default_storage.size(attempt.recording.name)
    file = default_storage.open(attempt.recording.name, "rb")
    match = _RANGE.match(request.headers.get("Range", ""))
    response: HttpResponse | FileResponse
    if match is None or int(match[1]) >= size:
        response = FileResponse(file, content_type=attempt.media_type)
    else:
        start = int(match[1])
        end = min(int(match[2]) if match[2] else size - 1, size - 1)
        file.seek(start)
        data = file.read(end - start + 1)
        file.close()
        response = HttpResponse(data, status=206, content_type=attempt.media_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    attempts = list(selectors.review_queue(user=request.user)[:200])
    return render(request, "practice/queue.html", {"attempts": attempts})
