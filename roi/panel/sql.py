"""SQL functions the panel's queries share, for PostgreSQL and SQLite.

Result columns are typed `RawResult`: plain numbers exactly as the driver returns them, with no
per-row conversion in Python, so that 180,000 rep-months cost no more through the ORM than
through a cursor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Field, Func


class RawResult(Field):  # type: ignore[type-arg]
    """A result column used exactly as the database driver returns it."""

    def get_internal_type(self) -> str:
        return "RawResult"


class MonthNumber(Func):
    """year * 12 + month - 1 of a date, or of a timestamp in UTC: the estimator's month scale."""

    output_field = RawResult()

    def __init__(self, expression: Any, *, is_timestamp: bool) -> None:
        super().__init__(expression)
        self.is_timestamp = is_timestamp

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        value = f"({sql} AT TIME ZONE 'UTC')" if self.is_timestamp else f"({sql})"
        month = f"(date_part('year', {value})::int * 12 + date_part('month', {value})::int - 1)"
        return month, (*params, *params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps dates as ISO text and Django's timestamps as naive UTC text.
        sql, params = compiler.compile(self.source_expressions[0])
        month = (
            f"(CAST(strftime('%%Y', {sql}) AS INTEGER) * 12"
            f" + CAST(strftime('%%m', {sql}) AS INTEGER) - 1)"
        )
        return month, (*params, *params)


class DaysBetween(Func):
    """Whole calendar days (UTC) from the second timestamp to the first."""

    output_field = RawResult()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        end, start = self.source_expressions
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        sql = f"(({end_sql} AT TIME ZONE 'UTC')::date - ({start_sql} AT TIME ZONE 'UTC')::date)"
        return sql, (*end_params, *start_params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        end, start = self.source_expressions
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        sql = f"CAST(julianday(date({end_sql})) - julianday(date({start_sql})) AS INTEGER)"
        return sql, (*end_params, *start_params)


def duration_days(value: Any) -> float:
    """Days from a summed duration: a timedelta, or microseconds as SQLite sums them."""
    if value is None:
        return 0.0
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400.0
    return float(value) / 86_400_000_000.0
