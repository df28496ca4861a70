"""Liveness (/healthz: the process answers) and readiness (/readyz: its dependencies answer)."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return False, exc.__class__.__name__
    return True, "ok"


def _broker_ok() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            return True, "filesystem (development)"
        return True, "eager (no broker configured)"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return False, exc.__class__.__name__
    return True, "ok"


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    ready = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {"database": db_detail, "broker": broker_detail},
        },
        status=200 if ready else 503,
    )
