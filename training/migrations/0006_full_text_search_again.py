"""0005 rebuilt training_lesson on SQLite (AlterField copies the table), which drops the FTS5
triggers of 0004: create them again and rebuild the index (idempotent; decision 0013)."""

from django.db import migrations

from core.search import FullTextIndex, index_sql

LESSONS = FullTextIndex(
    "training_lesson",
    ("title",),
    ("body", "story_what_happened", "story_what_we_learned", "story_industry"),
)


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    for sql in index_sql(LESSONS, vendor=schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("training", "0005_scorm")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop, elidable=False)]
