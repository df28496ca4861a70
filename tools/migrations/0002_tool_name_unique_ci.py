"""Tool names unique whatever their case. Tools already stored under names that differ only in
case are kept: every one but the oldest is renamed "<name> (duplicate <id>)" and listed on the
console, so that an admin can merge them, instead of the migration failing."""

from django.db import migrations, models
from django.db.models.functions import Lower

NAME_LENGTH = 120


def duplicate_renames(tools: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(id, old name, new name) for each tool whose name an older tool (lower id) already holds
    in another or the same case."""
    seen: set[str] = set()
    renames = []
    for pk, name in sorted(tools):
        key = name.lower()
        if key in seen:
            suffix = f" (duplicate {pk})"
            renames.append((pk, name, name[: NAME_LENGTH - len(suffix)] + suffix))
        seen.add(key)
    return renames


def rename_duplicates(apps, schema_editor):  # noqa: ANN001
    Tool = apps.get_model("tools", "Tool")
    renames = duplicate_renames(list(Tool.objects.values_list("pk", "name")))
    for pk, old, new in renames:
        Tool.objects.filter(pk=pk).update(name=new)
        print(f"\n  tools: tool {pk} {old!r} has the name of an older tool; renamed {new!r}")


class Migration(migrations.Migration):

    dependencies = [
        ("tools", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(rename_duplicates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tool",
            name="name",
            field=models.CharField(max_length=120, verbose_name="name"),
        ),
        migrations.AddConstraint(
            model_name="tool",
            constraint=models.UniqueConstraint(
                Lower("name"),
                name="tools_tool_name_unique_ci",
            ),
        ),
    ]
