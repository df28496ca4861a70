"""One way to show a figure that appears on several pages, so that a card and a page agree.

A mean rating is rounded half up to one decimal once, here (4.05 -> 4.1 on the catalog card and
on the course page alike), then written in the viewer's language.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format


def rating_text(value: float | Decimal | None) -> str:
    """A mean star rating to one decimal, rounded half up, localised; "" for no rating."""
    if value is None:
        return ""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return number_format(rounded, 1)
