"""One way to show a figure that appears on several pages, so that a card and a page agree.

A mean rating is rounded half up to one decimal once, here (4.05 -> 4.1 on the catalog card and
on the course page alike), then written in the viewer's language. A day named in a heading or a
label (a calendar column, a list of free times) is written by CLDR's pattern for the reader's
language ("Mon, Dec 7" / "Mo., 7. Dez."), not by one spelled-out pattern for every language
("Mo 7 Dez"). A percentage likewise: "12%" in English, "12 %" in German (CLDR's pattern).
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_percent
from django.utils.formats import number_format
from django.utils.translation import get_language, to_locale

from core.display import localtime_or_stored

# CLDR skeletons: which fields, in any order; the language decides order and punctuation.
WEEKDAY_DAY_MONTH = "MMMEd"  # Mon, Dec 7 · Mo., 7. Dez.
WEEKDAY_DAY_MONTH_LONG = "MMMMEd"  # Mon, December 7 · Mo., 7. Dezember
WEEKDAY_DATE_LONG = "yMMMMEd"  # Mon, December 7, 2026 · Mo., 7. Dezember 2026


def rating_text(value: float | Decimal | None) -> str:
    """A mean star rating to one decimal, rounded half up, localised; "" for no rating."""
    if value is None:
        return ""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return number_format(rounded, 1)


def day_text(value: dt.date | dt.datetime, skeleton: str = WEEKDAY_DAY_MONTH) -> str:
    """The day of `value` (a datetime in the viewer's zone) by a CLDR skeleton, in the language
    in force."""
    if isinstance(value, dt.datetime):
        value = localtime_or_stored(value).date() if value.tzinfo else value.date()
    return format_skeleton(skeleton, value, locale=to_locale(get_language() or "en"))


def percent_text(value: float | Decimal | int, digits: int = 0) -> str:
    """A percentage given in 0..100 (12.5 -> "12.5%", "12,5 %") with `digits` decimals, by the
    language's CLDR percent pattern (German puts a no-break space before the sign)."""
    # Rounded half up, as the rating and Django's floatformat round (82.5 -> 83, not 82).
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return _percent(to_locale(get_language() or "en"), rounded, digits)


@lru_cache(maxsize=2048)
def _percent(locale: str, rounded: Decimal, digits: int) -> str:
    # Cached: list pages write a percentage per row, nearly all whole numbers 0-100.
    pattern = Locale.parse(locale).percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return format_percent(rounded / 100, format=pattern, locale=locale)
