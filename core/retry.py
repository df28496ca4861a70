"""When to try an outgoing HTTP call again: the one back-off and `Retry-After` rule.

Every outgoing HTTP path uses it: the CRM connectors (integrations.adapters.base) sleep for it
in-process, webhook deliveries (events.services) schedule their next attempt with it, and so does
the LTI score task (training.tasks.send_lti_score), whose platform may send `Retry-After`. Other
Celery tasks use Celery's own `autoretry_for` / `retry_backoff` / `retry_jitter`.

- Exponential back-off with *full jitter*: attempt n waits a uniformly random time between 0
  and min(cap, base * 2**(n-1)). The jitter spreads a burst of failures (a CRM or subscriber
  that was down for everyone) so the retries do not arrive together; "full" because a partial
  jitter keeps the retries bunched around the same instants.
- `Retry-After` (RFC 9110 §10.2.3) is honoured in both its forms: delta-seconds ("120") and an
  HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT", parsed by the standard library's email.utils).
  A date in the past means "now"; anything unreadable is ignored (the back-off applies).
- Every wait is capped: a server asking for a day does not park a worker for a day.
"""

import datetime as dt
import email.utils
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

Random = Callable[[], float]


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with full jitter, in seconds."""

    base: float  # the ceiling of the first retry's wait; doubles each attempt
    cap: float  # no wait is longer than this, whatever the attempt or the server asks

    def ceiling(self, attempt: int) -> float:
        """The longest wait after `attempt` (1-based) failed attempts."""
        if attempt < 1:
            return 0.0
        # 2**attempt overflows a float past ~1000 attempts; the cap is reached long before.
        exponent = min(attempt - 1, 64)
        return float(min(self.cap, self.base * 2**exponent))

    def delay(self, attempt: int, *, rand: Random | None = None) -> float:
        """A random wait in [0, ceiling(attempt)]."""
        return (rand or random.random)() * self.ceiling(attempt)

    def wait(
        self, attempt: int, *, retry_after: float | None = None, rand: Random | None = None
    ) -> float:
        """The wait before the next attempt: at least what the server asked for, at most the cap."""
        wait = self.delay(attempt, rand=rand)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, self.cap)


def retry_after_seconds(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds from `now` that a `Retry-After` header value asks to wait, or None if absent or
    unreadable. Both forms: delta-seconds and HTTP-date; never negative, never infinite."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        # RFC 9110 allows only digits; some servers send fractions ("1.5"), whose intent is clear.
        seconds = float(text)
    except ValueError:
        return _http_date_seconds(text, now=now)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _http_date_seconds(text: str, *, now: dt.datetime | None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" or an obsolete zone: HTTP dates are always GMT
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())
