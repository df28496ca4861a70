"""Calendar-month arithmetic, the one place the ROI engine does it.

Months are numbered `year * 12 + month - 1` (the estimator's scale: consecutive months differ by
one, so "months since training" is a subtraction) or named by their first day. Timestamps are
bucketed in UTC, so that a rep's month is the same whoever looks at it.

Pure Python: the estimators (no Django) use it too.
"""

from __future__ import annotations

import calendar
import datetime as dt

UTC = dt.UTC


def month_index(year: int, month: int) -> int:
    """The month number of a calendar month (`month` 1-12)."""
    return year * 12 + month - 1


def calendar_month(number: int) -> tuple[int, int]:
    """(year, month 1-12) of a month number."""
    year, month0 = divmod(number, 12)
    return year, month0 + 1


def month_number(day: dt.date) -> int:
    return month_index(day.year, day.month)


def month_from_number(number: int) -> dt.date:
    """The first day of a numbered month."""
    return dt.date(*calendar_month(number), 1)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `month`'s (before, for negative `n`)."""
    return month_from_number(month_number(month) + n)


def shift_months(day: dt.date, n: int) -> dt.date:
    """The same day of the month `n` months later, or that month's last day if it is shorter."""
    first = add_months(day, n)
    last_day = calendar.monthrange(first.year, first.month)[1]
    return first.replace(day=min(day.day, last_day))


def utc_month(moment: dt.date | dt.datetime) -> int:
    """The month number of a date, or of an aware timestamp in UTC."""
    if isinstance(moment, dt.datetime):
        return month_number(moment.astimezone(UTC).date())
    return month_number(moment)
