"""The one CSV writer every export uses: cells a spreadsheet would run as a formula are defused.

A text cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip
before looking for those) is prefixed with an apostrophe, so Excel and LibreOffice show it as
text instead of evaluating it (OWASP "CSV injection"). Numbers (int, float, Decimal) are written
as plain fixed-point numbers (no exponent, a negative one included), so the file stays
machine-readable.
"""

import csv
import io
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _float_cell(value: float) -> str:
    """Fixed point, never an exponent ("1834112.38", not "1.83411e+06"): at least six
    significant digits and at least two decimals, trailing zeros dropped."""
    if not math.isfinite(value):
        return repr(value)
    if value == 0:
        return "0"
    decimals = max(2, 5 - math.floor(math.log10(abs(value))))
    text = format(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, float):
        return _float_cell(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_text(*, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV document, every cell passed through `csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
