"""The SCORM player's two endpoints: the package's files, and the commits of its run-time data.

Package files run the authoring tool's own scripts, which are inline more often than not, so
they get a policy of their own (decision 0005 keeps every other page strict): scripts and
styles from this site, inline allowed, framed only by our own pages, and a CSP sandbox that
allows scripts and same-origin access (the SCO must reach the SCORM API in the player page),
but no top-level navigation. See docs/content-standards.md.
"""

import json
import mimetypes
import uuid

from csp.constants import NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from core.forms import service_error_messages
from training.access import course_get_for_learner
from training.models import ScormPackage
from training.scorm.archive import archive_path_join
from training.services import scorm_commit

MAX_COMMIT_BYTES = 512 * 1024
PACKAGE_POLICY = {
    "default-src": [SELF],
    "script-src": [SELF, UNSAFE_INLINE, UNSAFE_EVAL],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:"],
    "media-src": [SELF, "blob:"],
    "font-src": [SELF, "data:"],
    "frame-ancestors": [SELF],
    "object-src": [NONE],
    "sandbox": ["allow-scripts", "allow-same-origin", "allow-forms", "allow-popups"],
}


@login_required
@require_GET
@xframe_options_sameorigin
@csp_replace(PACKAGE_POLICY)  # type: ignore[arg-type]  # its hint allows no URL kwargs
def scorm_file(request: AuthenticatedRequest, key: uuid.UUID, path: str) -> FileResponse:
    package = ScormPackage.objects.filter(key=key).select_related("course").first()
    if package is None:
        raise Http404("No such package")
    course_get_for_learner(user=request.user, slug=package.course.slug)
    if archive_path_join("", path) != path:
        raise Http404("No such file")
    name = package.storage_name(path)
    try:
        handle = default_storage.open(name)
    except (FileNotFoundError, OSError):
        raise Http404("No such file") from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


@csrf_exempt  # the attempt's unguessable token in the URL stands in for the CSRF token
@login_required
@require_POST
def scorm_commit_view(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """scorm-again's commit: `{"cmi": {...}}` as JSON (a beacon sends it as text/plain)."""
    if len(request.body) > MAX_COMMIT_BYTES:
        return JsonResponse({"result": False, "errorCode": 101}, status=413)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"result": False, "errorCode": 101}, status=400)
    cmi = body.get("cmi", body) if isinstance(body, dict) else body
    try:
        result = scorm_commit(
            user=request.user,
            token=token,
            cmi=cmi,
            is_final=request.GET.get("terminate") == "true",
        )
    except ValidationError as exc:
        errors = service_error_messages(exc)
        return JsonResponse({"result": False, "errorCode": 101, "errors": errors}, status=400)
    return JsonResponse({"result": True, "errorCode": 0, "lessonDone": result.is_lesson_done})
