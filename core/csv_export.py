"""The one CSV writer every export uses: cells a spreadsheet would run as a formula are defused.

A text cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip
before looking for those) is prefixed with an apostrophe, so Excel and LibreOffice show it as
text instead of evaluating it (OWASP "CSV injection"). Numbers (int, float, Decimal) are written
as plain numbers, a negative one included, so the file stays machine-readable.
"""

import csv
import io
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        # Six significant digits is what the pages show; huge or non-finite values in full.
        return f"{value:.6g}" if math.isfinite(value) and abs(value) < 1e15 else repr(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_text(*, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV document, every cell passed through `csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
