"""Keep SQLite's full-text index triggers in place after every migrate (decision 0013).

SQLite's ALTER TABLE copies the table and drops its triggers, so any migration that alters
training_course, training_program or training_lesson (0005_scorm and 0007_practice did) leaves
the FTS5 index out of step without a word: new lessons are never found. Rather than a
migration after each such change, migrate ends by putting back what is missing. PostgreSQL's
GIN indexes survive ALTER TABLE and need nothing.
"""

from typing import Any

from django.db import connections

from core.search import sqlite_index_sql
from training.selectors.search import COURSE_INDEX, LESSON_INDEX, PROGRAM_INDEX

_TRIGGER_SUFFIXES = ("ai", "ad", "au")


def search_index_ensure(*, using: str = "default", **_: Any) -> list[str]:
    """Re-create the FTS5 table and triggers of each index that lacks any (idempotent; also
    rebuilds that index from its rows). Answers the tables it repaired."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {row[0] for row in cursor.fetchall()}
        repaired = []
        for index in (COURSE_INDEX, PROGRAM_INDEX, LESSON_INDEX):
            wanted = {f"{index.fts_table}_{s}" for s in _TRIGGER_SUFFIXES}
            if wanted <= triggers:
                continue
            for sql in sqlite_index_sql(index):
                cursor.execute(sql)
            repaired.append(index.table)
    return repaired
