"""CSV files of deals: decode, map columns to deal fields, then the same deals_ingest as the API.

Everything that can make a whole file unusable (encoding, no header, a required field not
mapped) is checked before a single row is imported. Row problems are reported per row, by the
line number a spreadsheet shows (the header is line 1).
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.csv_export import csv_text
from deals.models import CsvColumnMapping, CsvUpload, IngestJob, IngestJobKind, IngestJobStatus
from deals.schema import DEAL
from deals.services.ingest import deals_ingest
from deals.services.jobs import ingest_job_create

ENCODINGS: Final = [
    ("utf-8", gettext_lazy("UTF-8 (recommended)")),
    ("cp1252", gettext_lazy("Windows-1252 (Excel, Western Europe)")),
    ("latin-1", gettext_lazy("ISO-8859-1 (Latin-1)")),
]
# (field, required): what a column can be mapped to, in the order the mapping form shows: the
# bulk row's declared fields (deals.schema.DealIn).
FIELDS: Final = [(f.name, f.required) for f in DEAL.fields()]
BOOLEAN_FIELDS: Final = DEAL.fields_of_type(bool)
DATETIME_FIELDS: Final = DEAL.fields_of_type(dt.datetime)
_TRUE: Final = frozenset({"true", "yes", "y", "1", "x", "ja", "wahr"})
_FALSE: Final = frozenset({"false", "no", "n", "0", "nein", "falsch"})
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PREVIEW_ROWS: Final = 5


class CsvInvalid(Exception):
    """The whole file cannot be imported; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class CsvTable:
    headers: list[str]
    rows: list[list[str]]


def csv_decode(*, data: bytes, encoding: str) -> str:
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except (UnicodeDecodeError, LookupError):
        raise CsvInvalid(
            _(
                "The file is not valid %(encoding)s text. Save it as “CSV UTF-8” or pick the "
                "encoding it was saved with."
            )
            % {"encoding": encoding}
        ) from None
    if "\x00" in text:
        raise CsvInvalid(_("This looks like a binary file (a spreadsheet?), not CSV text."))
    return text


def csv_parse(text: str) -> CsvTable:
    """Headers and rows; the delimiter (comma, semicolon, tab) is detected from the header."""
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except StopIteration:
        raise CsvInvalid(_("The file is empty.")) from None
    except csv.Error as exc:
        raise CsvInvalid(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None
    if not any(headers):
        raise CsvInvalid(_("The first line must name the columns."))
    duplicates = sorted({h for h in headers if h and headers.count(h) > 1})
    if duplicates:
        raise CsvInvalid(
            _("Column names must be unique; repeated: %(names)s") % {"names": ", ".join(duplicates)}
        )
    return CsvTable(headers=headers, rows=rows)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def csv_mapping_initial(*, source: str, headers: list[str]) -> dict[str, str]:
    """The mapping remembered for this source, else columns named like the fields."""
    remembered = CsvColumnMapping.objects.filter(source=source).first()
    if remembered is not None:
        return {f: c for f, c in remembered.columns.items() if c in headers}
    by_name = {_normal(h): h for h in headers}
    return {field: by_name[field] for field, _required in FIELDS if field in by_name}


def csv_mapping_problems(*, mapping: dict[str, str], headers: list[str]) -> list[str]:
    problems = [
        _("Choose the column for “%(field)s”.") % {"field": field}
        for field, required in FIELDS
        if required and not mapping.get(field)
    ]
    if not mapping.get("owner_id") and not mapping.get("owner_email"):
        problems.append(_("Choose the column for the owner id or the owner email."))
    unknown = sorted({c for c in mapping.values() if c and c not in headers})
    if unknown:
        problems.append(_("No such column: %(names)s") % {"names": ", ".join(unknown)})
    return problems


def _cell(field: str, value: str) -> Any:
    value = value.strip()
    if value == "":
        return None
    if field in BOOLEAN_FIELDS:
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return value  # reported by validation as not a boolean
    if field in DATETIME_FIELDS and _DATE_ONLY.match(value):
        return f"{value}T00:00:00Z"  # a spreadsheet date: midnight UTC
    return value


def csv_rows(*, table: CsvTable, mapping: dict[str, str]) -> list[dict[str, Any]]:
    """The table's rows in the bulk API shape, ready for deals_ingest."""
    at = {field: table.headers.index(column) for field, column in mapping.items() if column}
    rows = []
    for line in table.rows:
        row = {}
        for field, index in at.items():
            row[field] = _cell(field, line[index]) if index < len(line) else None
        rows.append(row)
    return rows


def csv_upload_create(
    *, data: bytes, filename: str, source: str, encoding: str, uploaded_by: User
) -> CsvUpload:
    """Decode and parse now, so a broken file is refused before anything is stored."""
    text = csv_decode(data=data, encoding=encoding)
    table = csv_parse(text)
    if not table.rows:
        raise CsvInvalid(_("The file has a header but no rows."))
    return CsvUpload.objects.create(
        source=source.strip().lower(),
        filename=filename[:255],
        content=text,
        uploaded_by=uploaded_by,
    )


def csv_upload_import(*, upload: CsvUpload, mapping: dict[str, str], user: User) -> IngestJob:
    """Import an uploaded file with this mapping (remembered for its source).

    Up to BULK_SYNC_MAX_ROWS rows are ingested now; larger files become a background job. Either
    way the answer is a job, whose page shows the counts and offers the error report.
    """
    table = csv_parse(upload.content)
    problems = csv_mapping_problems(mapping=mapping, headers=table.headers)
    if problems:
        raise CsvInvalid(" ".join(problems))
    rows = csv_rows(table=table, mapping=mapping)
    with transaction.atomic():
        CsvColumnMapping.objects.update_or_create(
            source=upload.source, defaults={"columns": {f: c for f, c in mapping.items() if c}}
        )
        if len(rows) > settings.BULK_SYNC_MAX_ROWS:
            job = ingest_job_create(
                rows=rows,
                kind=IngestJobKind.CSV,
                default_source=upload.source,
                created_by=user,
            )
        else:
            now = timezone.now()
            result = deals_ingest(rows=rows, default_source=upload.source)
            job = IngestJob.objects.create(
                kind=IngestJobKind.CSV,
                status=IngestJobStatus.DONE,
                default_source=upload.source,
                created_by=user,
                received=result.received,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                stale=result.stale,
                errors=result.as_api_dict()["errors"],
                started_at=now,
                finished_at=timezone.now(),
            )
        upload.job = job
        upload.save(update_fields=["job", "updated_at"])
    return job


def csv_errors_in_columns(
    *, errors: list[dict[str, Any]], columns: dict[str, str], labels: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Row errors in the words of the import form: `field` becomes the file's column that was
    mapped to it ("Last Modified", not "source_updated_at"), else the field's label."""
    names = {**{k: str(v) for k, v in (labels or {}).items()}, **columns}
    return [{**e, "field": names.get(e.get("field") or "", e.get("field") or "")} for e in errors]


def csv_job_columns(*, job: IngestJob) -> dict[str, str]:
    """{field: the file's column} as mapped for a CSV import job's source; {} for other jobs."""
    if job.kind != IngestJobKind.CSV:
        return {}
    remembered = CsvColumnMapping.objects.filter(source=job.default_source).first()
    return dict(remembered.columns) if remembered else {}


def csv_error_report(*, errors: list[dict[str, Any]]) -> str:
    """Row errors as CSV: the row index in the body, the line a spreadsheet shows for it (the
    header is line 1), the external id, the column (csv_errors_in_columns) and the message."""
    return csv_text(
        header=["index", "line", "external_id", "column", "message"],
        rows=(
            [e["index"], e["index"] + 2, *(str(e[k]) for k in ("external_id", "field", "message"))]
            for e in errors
        ),
    )
