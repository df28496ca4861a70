import random
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import translation

from accounts import demo as accounts_demo
from accounts.models import User

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
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default="en",
            help="the language of the demo content (courses, stories, coaching notes, deals) "
            "and of its people; default English",
        )

    def handle(self, *args: Any, seed: int, language: str, **options: Any) -> None:
        org = accounts_demo.DemoOrg(language=language)
        # Each step writes its texts through gettext, so they are stored in this language.
        with translation.override(language):
            self._seed(org, seed)
        if language != "en":
            # A German organisation's people (every step's) have chosen German; in English they
            # follow their browser, as before. Those who chose a language keep it.
            User.objects.filter(
                email__endswith=f"@{accounts_demo.DEMO_DOMAIN}", language=""
            ).update(language=language)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Log in with password {accounts_demo.DEMO_PASSWORD!r}:"
            )
        )
        for role, email in accounts_demo.DEMO_LOGINS:
            self.stdout.write(f"  {role:<8} {email}")

    def _seed(self, org: accounts_demo.DemoOrg, seed: int) -> None:
        from importlib import import_module

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
