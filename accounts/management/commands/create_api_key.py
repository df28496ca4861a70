from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Scope
from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an integration and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--scope", action="append", required=True, choices=Scope.values, dest="scopes"
        )

    def handle(self, *args: Any, name: str, scopes: list[str], **options: Any) -> None:
        try:
            key, raw = api_key_create(name=name, scopes=scopes)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"Created key {key.prefix} ({', '.join(key.scopes)}). It is shown once:")
        self.stdout.write(raw)
