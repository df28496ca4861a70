from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.models import Course
from training.services import scorm_package_import


class Command(BaseCommand):
    help = (
        "Import a SCORM 1.2 or 2004 package (a zip with imsmanifest.xml) into a course: one "
        "lesson per launchable item, added at the end. A refused package leaves nothing behind."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--course", required=True, help="slug of an existing course")

    def handle(self, *args: Any, path: Path, course: str, **options: Any) -> None:
        found = Course.objects.filter(slug=course).first()
        if found is None:
            raise CommandError(f"No course with the slug {course!r}")
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        with path.open("rb") as upload:
            try:
                result = scorm_package_import(course=found, upload=upload, size=path.stat().st_size)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
        package = result.package
        self.stdout.write(
            f"imported SCORM {package.version} package {package.title!r} into {found.slug}: "
            f"{len(result.lessons)} lesson(s), {package.file_count} file(s)"
        )
        for lesson in result.lessons:
            self.stdout.write(f"  {lesson.slug}: {lesson.scorm_launch}")
