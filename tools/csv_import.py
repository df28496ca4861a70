"""A tool stack from a CSV file, one line per seat, into the same upsert as the bulk API."""

import csv
import io
from typing import Any, Final

from core.bulk import BulkResult
from tools.services import tools_upsert

MAX_BYTES: Final = 2 * 1024 * 1024
TOOL_COLUMNS: Final = (
    "name",
    "category",
    "pricing",
    "monthly_cost",
    "currency",
    "starts_on",
    "ends_on",
)


class CsvInvalid(ValueError):
    pass


def tools_import_csv(*, content: bytes) -> tuple[BulkResult, list[int]]:
    """Import the file; also answers the CSV line where each bulk row (tool) starts, so row
    errors can name lines. Raises CsvInvalid when the file itself cannot be read."""
    if len(content) > MAX_BYTES:
        raise CsvInvalid("The file is larger than 2 MB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvInvalid("The file is not UTF-8 text.") from None
    if "\x00" in text:
        raise CsvInvalid("The file contains NUL characters.")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in TOOL_COLUMNS[:-1] if c not in (reader.fieldnames or [])]
    if missing:
        raise CsvInvalid(f"Missing columns: {', '.join(missing)}.")
    rows: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    try:
        for record in reader:
            name = (record.get("name") or "").strip()
            key = name.lower()
            if key not in rows:
                rows[key] = {c: (record.get(c) or "").strip() or None for c in TOOL_COLUMNS}
                rows[key]["name"] = name
                rows[key]["seats"] = []
                lines[key] = reader.line_num
            email = (record.get("seat_email") or "").strip()
            team = (record.get("seat_team") or "").strip()
            if email or team:
                rows[key]["seats"].append(
                    {
                        "email": email or None,
                        "team": team or None,
                        "starts_on": (record.get("seat_starts_on") or "").strip() or None,
                        "ends_on": (record.get("seat_ends_on") or "").strip() or None,
                    }
                )
    except csv.Error as exc:
        raise CsvInvalid(f"Not a readable CSV file: {exc}.") from None
    return tools_upsert(rows=list(rows.values())), list(lines.values())
