"""Content Security Policy violation reports: browsers POST them here; we log them.

Anyone can post anything to this URL, so it is bounded: small bodies only, a few reports per
client address and minute (the rest are dropped with 429), junk answers 400, never 500, and only
a few short fields reach the log (one line each, so a report cannot forge log lines).
"""

import json
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("coachline.csp")

MAX_BODY_BYTES = 16 * 1024
FIELDS = (
    "document-uri",
    "effective-directive",
    "violated-directive",
    "blocked-uri",
    "source-file",
    "line-number",
    "column-number",
    "disposition",
)
# The Reporting API (report-to) names the same fields in camelCase.
CAMEL = {
    "documentURL": "document-uri",
    "effectiveDirective": "effective-directive",
    "blockedURL": "blocked-uri",
    "sourceFile": "source-file",
    "lineNumber": "line-number",
    "columnNumber": "column-number",
    "disposition": "disposition",
}


def _violations(payload: Any) -> list[dict[str, Any]]:
    """The violations in a report-uri body ({"csp-report": {…}}) or a Reporting API body
    ([{"type": "csp-violation", "body": {…}}, …]); ValueError for anything else."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list) and payload:
        found = []
        for item in payload[:10]:
            if not isinstance(item, dict) or not isinstance(item.get("body"), dict):
                raise ValueError("not a report")
            if item.get("type") == "csp-violation":
                found.append({CAMEL.get(k, k): v for k, v in item["body"].items()})
        return found
    raise ValueError("not a report")


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("\n", " ").replace("\r", " ")[:200]


def _within_rate(request: HttpRequest) -> bool:
    key = f"csp-report:{request.META.get('REMOTE_ADDR', '')}"
    try:
        cache.add(key, 0, timeout=60)
        count = cache.incr(key)
    except Exception:  # the cache (Redis) is down: drop reports rather than flood the log
        return False
    return count <= settings.CSP_REPORTS_PER_MINUTE


@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse(status=400)
    if length > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    try:
        violations = _violations(json.loads(body))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return HttpResponse(status=400)
    if not _within_rate(request):
        return HttpResponse(status=429)
    for violation in violations:
        logger.warning(
            "CSP violation: %s",
            " ".join(f"{f}={_short(violation[f])}" for f in FIELDS if f in violation),
        )
    return HttpResponse(status=204)
