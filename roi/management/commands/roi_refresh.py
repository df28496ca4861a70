from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from roi.services import report_refresh_all


class Command(BaseCommand):
    help = "Recompute the ROI report snapshots now (the nightly task does the same)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="only when deals, completions, coaching or settings changed since the last run",
        )

    def handle(self, *args: Any, if_changed: bool, **options: Any) -> None:
        outcome = report_refresh_all(force=not if_changed)
        if not outcome.refreshed:
            self.stdout.write("Reports are up to date: nothing changed since the last refresh.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Refreshed {outcome.snapshots} report snapshots in {outcome.duration_ms} ms."
            )
        )
