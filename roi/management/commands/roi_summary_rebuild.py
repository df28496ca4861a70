import time
from typing import Any

from django.core.management.base import BaseCommand

from roi.services.summary import summary_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the rep x month summary the ROI panel reads, from the deals (ingestion keeps it "
        "current; rebuild after a change of home currency or exchange rates, or a bulk load "
        "that bypassed ingestion)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        rows = summary_rebuild()
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt the ROI summary: {rows} rep-months in {seconds:.1f} s.")
        )
