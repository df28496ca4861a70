"""Database-vendor helpers: PostgreSQL features with the fallback other databases need.

SQLite (the embedded default and the fast test run) has neither range types nor EXCLUDE; the
services that rely on a constraint here enforce the same rule by "write, then check" there.
"""

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func


class TsTzRange(Func):
    """tstzrange(start, end): the half-open range [start, end)."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class DateRangeClosed(Func):
    """daterange(start, end, '[]'): both days included; a NULL end is open-ended."""

    function = "DATERANGE"
    template = "%(function)s(%(expressions)s, '[]')"
    output_field = DateRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that exists on PostgreSQL and is skipped on other databases.

    Skipping in the schema editor (not only in the migration) keeps SQLite table rebuilds in later
    migrations working, and skipping validate() keeps full_clean() usable on SQLite.
    """

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(
        self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        if connections[using].vendor != "postgresql":
            return
        super().validate(model, instance, exclude=exclude, using=using)
