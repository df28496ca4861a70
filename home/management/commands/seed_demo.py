import random
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts import demo as accounts_demo

# Each app seeds its own part, in dependency order. Every step is idempotent.
STEPS = [
    "accounts.demo",
    "training.demo",
    "deals.demo",
    "tools.demo",
    "coaching.demo",
    "roi.demo",
    "home.demo_meetings",  # after roi.demo: it re-plants the deals with the training effect
]


class Command(BaseCommand):
    help = "Load a believable demo organisation. Safe to run again: nothing is duplicated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=7, help="random seed")

    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        from importlib import import_module

        org = accounts_demo.DemoOrg()
        for dotted in STEPS:
            try:
                module = import_module(dotted)
            except ModuleNotFoundError as exc:
                if exc.name != dotted:
                    raise
                continue  # that app has no demo data yet
            with transaction.atomic():
                module.seed(org, random.Random(f"{seed}:{dotted}"))
            self.stdout.write(f"  seeded {dotted.split('.')[0]}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Log in with password {accounts_demo.DEMO_PASSWORD!r}:"
            )
        )
        for role, email in accounts_demo.DEMO_LOGINS:
            self.stdout.write(f"  {role:<8} {email}")
