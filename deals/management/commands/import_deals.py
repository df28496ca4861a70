from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from deals.models import CsvColumnMapping
from deals.services import deals_ingest
from deals.services.csv_import import (
    ENCODINGS,
    CsvInvalid,
    csv_decode,
    csv_error_report,
    csv_mapping_initial,
    csv_mapping_problems,
    csv_parse,
    csv_rows,
)


class Command(BaseCommand):
    help = (
        "Import deals from a CSV file through the same ingestion as the bulk API. Columns are "
        "mapped as last time for this source, else by name; --map field=Column overrides."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", required=True, help="e.g. salesforce, hubspot, csv")
        parser.add_argument(
            "--encoding", default="utf-8", choices=[code for code, _label in ENCODINGS]
        )
        parser.add_argument(
            "--map", action="append", default=[], metavar="FIELD=COLUMN", help="repeatable"
        )
        parser.add_argument("--errors", type=Path, help="write the row errors to this CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["source"].strip().lower()
        try:
            text = csv_decode(data=options["file"].read_bytes(), encoding=options["encoding"])
            table = csv_parse(text)
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from None
        except CsvInvalid as exc:
            raise CommandError(str(exc)) from None
        mapping = csv_mapping_initial(source=source, headers=table.headers)
        for item in options["map"]:
            field, sep, column = item.partition("=")
            if not sep:
                raise CommandError(f"--map takes FIELD=COLUMN, not {item!r}")
            mapping[field.strip()] = column.strip()
        problems = csv_mapping_problems(mapping=mapping, headers=table.headers)
        if problems:
            raise CommandError(" ".join(problems))
        CsvColumnMapping.objects.update_or_create(source=source, defaults={"columns": mapping})

        rows = csv_rows(table=table, mapping=mapping)
        totals = {"received": 0, "created": 0, "updated": 0, "unchanged": 0, "stale": 0}
        errors: list[dict[str, Any]] = []
        step = settings.BULK_SYNC_MAX_ROWS
        for start in range(0, len(rows), step):
            result = deals_ingest(rows=rows[start : start + step], default_source=source)
            body = result.as_api_dict()
            for name in totals:
                totals[name] += body[name]
            errors += [{**e, "index": e["index"] + start} for e in body["errors"]]
        self.stdout.write(", ".join(f"{name}: {value}" for name, value in totals.items()))
        if errors:
            self.stdout.write(self.style.WARNING(f"{len(errors)} rows not imported:"))
            for error in errors[:20]:
                self.stdout.write(
                    f"  line {error['index'] + 2} ({error['external_id']}): "
                    f"{error['field']}: {error['message']}"
                )
            if len(errors) > 20:
                self.stdout.write(f"  … and {len(errors) - 20} more")
            if options["errors"]:
                options["errors"].write_text(csv_error_report(errors=errors), encoding="utf-8")
                self.stdout.write(f"Error report written to {options['errors']}")
