from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.models import Course
from training.services import course_export


class Command(BaseCommand):
    help = "Write courses as folders of Markdown plus a YAML manifest (see course_import)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="course slugs (default: every course)")
        parser.add_argument("--out", type=Path, default=Path("."), help="parent folder")

    def handle(self, *args: Any, slugs: list[str], out: Path, **options: Any) -> None:
        courses = Course.objects.order_by("slug")
        if slugs:
            courses = courses.filter(slug__in=slugs)
            missing = set(slugs) - set(courses.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No course with slug {', '.join(sorted(missing))}")
        for course in courses:
            folder = course_export(course=course, into=out)
            self.stdout.write(f"exported {course.slug} -> {folder}")
