from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.services import LibraryError, course_folders, course_import


class Command(BaseCommand):
    help = (
        "Create or update courses from folders (course.yaml plus Markdown). A folder may be one "
        "course or hold several. Importing the same folder again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folders", nargs="+", type=Path)

    def handle(self, *args: Any, folders: list[Path], **options: Any) -> None:
        found = []
        for root in folders:
            if not root.is_dir():
                raise CommandError(f"{root} is not a folder")
            found += course_folders(root)
        if not found:
            raise CommandError("No course.yaml found in the given folders")
        failed = 0
        for folder in found:
            try:
                report = course_import(folder=folder)
            except LibraryError as exc:
                self.stderr.write(f"failed {folder}: {exc}")
                failed += 1
                continue
            state = "created" if report.created else "updated" if report.changed else "unchanged"
            self.stdout.write(f"{state} {report.course.slug}")
        if failed:
            raise CommandError(
                f"{failed} of {len(found)} course(s) failed; the others were imported"
            )
