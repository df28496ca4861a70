import datetime as dt
import email.utils

import pytest

from core.retry import Backoff, retry_after_seconds

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
BACKOFF = Backoff(base=1.0, cap=60.0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Sun, 01 Mar 2026 12:02:30 GMT", 150.0),  # HTTP-date (IMF-fixdate)
        ("Sunday, 01-Mar-26 12:00:10 GMT", 10.0),  # obsolete RFC 850 form
        ("Sun Mar  1 12:01:00 2026", 60.0),  # obsolete asctime form (GMT by definition)
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),  # a date in the past means now
    ],
)
def test_retry_after_reads_delta_seconds_and_http_dates(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds


def test_retry_after_http_date_from_the_standard_formatter():
    header = email.utils.format_datetime(NOW + dt.timedelta(minutes=5), usegmt=True)

    assert retry_after_seconds(header, now=NOW) == 300.0


@pytest.mark.parametrize(
    "value",
    [None, "", "soon", "-5", "nan", "inf", "1e400", "Sun, 99 Foo 2026 12:00:00 GMT", "\x00"],
)
def test_unreadable_retry_after_is_ignored(value):
    assert retry_after_seconds(value, now=NOW) is None


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(0, 0.0), (1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (5000, 60.0)],
)
def test_backoff_ceiling_doubles_up_to_the_cap(attempt, ceiling):
    assert BACKOFF.ceiling(attempt) == ceiling


@pytest.mark.parametrize("attempt", [1, 3, 7, 100])
def test_full_jitter_spans_zero_to_the_ceiling(attempt):
    assert BACKOFF.delay(attempt, rand=lambda: 0.0) == 0.0
    assert BACKOFF.delay(attempt, rand=lambda: 0.75) == BACKOFF.ceiling(attempt) * 0.75
    assert BACKOFF.delay(attempt, rand=lambda: 0.5) == BACKOFF.ceiling(attempt) / 2


def test_real_jitter_stays_within_bounds_and_varies():
    delays = [BACKOFF.delay(4) for _ in range(500)]

    assert all(0.0 <= d <= 8.0 for d in delays)
    assert len(set(delays)) > 400  # not one fixed value
    assert min(delays) < 2.0 and max(delays) > 6.0  # spread over the whole range


def test_wait_is_at_least_retry_after_and_at_most_the_cap():
    assert BACKOFF.wait(1, retry_after=30.0, rand=lambda: 0.5) == 30.0
    assert BACKOFF.wait(7, retry_after=5.0, rand=lambda: 0.5) == 30.0  # the back-off is longer
    assert BACKOFF.wait(1, retry_after=3600.0) == 60.0  # a server asking for an hour: capped
    assert BACKOFF.wait(2, rand=lambda: 0.25) == 0.5
