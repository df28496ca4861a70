"""API rate limits (DESIGN.md §5). An API key is a principal with its own hourly budget; people
and anonymous callers keep DRF's rates (API_THROTTLE_USER / API_THROTTLE_ANON).

Throttling is a guard, not a dependency: when the cache (Redis) is down, every throttle lets the
request through and logs, rather than turning every API call into a 500.
"""

import logging
import time
from typing import Any

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle

from accounts.models import ApiKey

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


def _cache_down(throttle: BaseThrottle, exc: Exception) -> bool:
    logger.warning("%s skipped: the cache is unavailable (%r)", type(throttle).__name__, exc)
    return True


class ApiKeyRateThrottle(BaseThrottle):
    """At most `ApiKey.requests_per_hour` requests per key per clock hour.

    A counter per key and hour (one INCR), not DRF's list of timestamps: at 10,000 requests an
    hour that list would be read and rewritten whole on every request. A fixed window lets a key
    spend up to twice its budget across the turn of an hour; that is the price of O(1).
    """

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        return self.allow_key(key)

    def allow_key(self, key: ApiKey) -> bool:
        """Count one request against `key`'s budget; False (and `wait()` set) past it. Also
        used outside DRF, by the SCIM endpoint."""
        now = time.time()
        window_start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        counter = f"throttle:api-key:{key.pk}:{window_start}"
        try:
            # add() is a no-op when the counter exists; the extra minute keeps it alive until
            # the window is surely over on every web server's clock.
            cache.add(counter, 0, timeout=WINDOW_SECONDS + 60)
            try:
                count = cache.incr(counter)
            except ValueError:  # expired between add() and incr(): this is the first request
                cache.set(counter, 1, timeout=WINDOW_SECONDS + 60)
                count = 1
        except Exception as exc:  # any cache backend's outage: see the module docstring
            return _cache_down(self, exc)
        if count <= key.requests_per_hour:
            return True
        self._wait = window_start + WINDOW_SECONDS - now
        return False

    def wait(self) -> float | None:
        return self._wait


class PersonRateThrottle(UserRateThrottle):
    """DRF's per-user rate for people signed in with a session; keys have their own."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # any cache backend's outage
            return _cache_down(self, exc)


class AnonymousRateThrottle(AnonRateThrottle):
    """DRF's per-IP rate for callers with neither a session nor a key."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiKey):
            return True
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # any cache backend's outage
            return _cache_down(self, exc)
