"""What both CRM adapters share: one HTTP call with bounded retries, and the errors a sync shows.

Retry only what can succeed when repeated: network errors, 5xx and 429 (after the wait the CRM
asks for). A 4xx other than 401/429 is a mistake on our side or in the configuration (a mapped
field that does not exist) and fails at once. A 401 gets one token refresh when the adapter
knows how to refresh. The waits are core.retry's (jittered back-off, `Retry-After` in both
forms); `sleep` is injectable so that tests of back-off run instantly.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from core.http_client import http_client_shared
from core.retry import Backoff, retry_after_seconds

Sleep = Callable[[float], None]


class CrmError(Exception):
    """A sync or test stopped; `str(exc)` is shown to the admin on the connection page."""


class CrmAuthError(CrmError):
    """The CRM refused our credentials."""


class CrmRateLimited(CrmError):
    """The CRM's API quota is used up for now; the next run resumes from the watermark."""


class CrmUnavailable(CrmError):
    """Transient failures went on past the retry budget."""


class CrmRequestError(CrmError):
    """The CRM rejected the request itself (a bad field name, a missing permission)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    # Before the 2nd attempt at most 1 s, doubling each time, never over a minute (core.retry).
    backoff: Backoff = Backoff(base=1.0, cap=60.0)
    # A Retry-After longer than this is not waited for in-process: the run stops and the next
    # scheduled run resumes (a worker should not sleep for an hour).
    max_rate_limit_wait: float = 120.0


DEFAULT_POLICY = RetryPolicy()
# "Test connection" answers the admin quickly instead of riding out an outage.
TEST_POLICY = RetryPolicy(max_attempts=1)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


class CrmClient:
    """Base of the HubSpot and Salesforce clients: `_send` with retries, hooks for the rest."""

    name = "CRM"

    def __init__(
        self,
        *,
        http: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        # The process's pooled client unless one is given (tests give a mock transport).
        self._http = http or http_client_shared()
        self.sleep = sleep
        self.policy = policy
        self.requests_sent = 0

    def close(self) -> None:
        """Nothing to release: the HTTP client is shared (or its owner's)."""

    # Hooks -----------------------------------------------------------------------------------
    def _auth_headers(self) -> dict[str, str]:
        return {}

    def _refresh_auth(self) -> bool:
        """Get fresh credentials after a 401; False when there is nothing to refresh."""
        return False

    def _before_request(self) -> None:
        """Raise CrmRateLimited when the CRM already told us the quota is gone."""

    def _after_response(self, response: httpx.Response) -> None:
        """Read the CRM's rate-limit headers (and pause before the next call if needed)."""

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        return retry_after_seconds(response.headers.get("Retry-After"))

    def _request_error(self, response: httpx.Response) -> CrmError:
        return CrmRequestError(f"{self.name} answered HTTP {response.status_code}.")

    # The call --------------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        allow_404: bool = False,
        authenticate: bool = True,
    ) -> httpx.Response:
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self._before_request()
            self.requests_sent += 1
            headers = self._auth_headers() if authenticate else {}
            try:
                response = self._http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    timeout=TIMEOUT,
                )
            except httpx.TransportError as exc:
                if attempt >= self.policy.max_attempts:
                    raise CrmUnavailable(
                        f"{self.name} could not be reached ({exc.__class__.__name__})."
                    ) from exc
                self.sleep(self.policy.backoff.delay(attempt))
                continue
            status = response.status_code
            if status < 300 or (status == 404 and allow_404):
                self._after_response(response)
                return response
            if status == 401:
                if authenticate and not refreshed and self._refresh_auth():
                    refreshed = True
                    attempt -= 1  # a token refresh is not a failed attempt
                    continue
                raise CrmAuthError(
                    f"{self.name} refused the credentials (HTTP 401). Check them and test again."
                )
            self.sleep(self._retry_wait(response, attempt))

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float:
        """The wait before retrying this answer (attempt `attempt` failed). Raises when it is not
        worth retrying: the budget is spent, the CRM asks for too long, or it is not transient."""
        status = response.status_code
        if status == 429:
            wait = self._rate_limit_wait(response)
            wait = self.policy.backoff.delay(attempt) if wait is None else wait
            if attempt >= self.policy.max_attempts or wait > self.policy.max_rate_limit_wait:
                raise CrmRateLimited(
                    f"{self.name} rate limit reached; the sync resumes on its next run."
                )
            return wait
        if status in TRANSIENT_STATUSES:
            if attempt >= self.policy.max_attempts:
                raise CrmUnavailable(
                    f"{self.name} kept failing (HTTP {status} after {attempt} attempts)."
                )
            return self.policy.backoff.delay(attempt)
        raise self._request_error(response)


def json_error_message(response: httpx.Response) -> str:
    """The CRM's own error text, short, for the admin (never the whole body)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            if body.get(key):
                return str(body[key])[:300]
    return str(body)[:200]
