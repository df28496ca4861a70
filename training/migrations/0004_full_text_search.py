"""Full-text search indexes for courses, programs and lessons (core.search; decision 0013).

PostgreSQL: a GIN index over the weighted English+German tsvector the search query uses.
SQLite: an FTS5 table per searched table, kept in step by triggers. Other databases: none.
"""

from django.db import migrations

from core.search import FullTextIndex, drop_sql, index_sql

# Frozen copies of training.selectors.search's indexes as they were at this migration.
INDEXES = (
    FullTextIndex("training_course", ("title",), ("summary",)),
    FullTextIndex("training_program", ("title",), ("summary",)),
    FullTextIndex(
        "training_lesson",
        ("title",),
        ("body", "story_what_happened", "story_what_we_learned", "story_industry"),
    ),
)


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    for index in INDEXES:
        for sql in index_sql(index, vendor=schema_editor.connection.vendor):
            schema_editor.execute(sql)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    for index in INDEXES:
        for sql in drop_sql(index, vendor=schema_editor.connection.vendor):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("training", "0003_retakes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
