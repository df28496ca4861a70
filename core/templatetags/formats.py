import datetime as dt
from decimal import Decimal

from django import template

from core.formats import day_text, percent_text, rating_text

register = template.Library()


@register.filter
def rating(value: float | Decimal | None) -> str:
    """{{ avg|rating }}: core.formats.rating_text, the catalog card's rounding."""
    return rating_text(value)


@register.filter
def day(value: dt.date | dt.datetime | None, skeleton: str = "MMMEd") -> str:
    """{{ session.start|day:"MMMMEd" }}: core.formats.day_text, a day in a heading or label."""
    return "" if value is None else day_text(value, skeleton)


@register.filter
def percent(value: float | Decimal | int | None, digits: int = 0) -> str:
    """{{ score|percent }}: a 0..100 figure as "80%" / "80 %" (core.formats.percent_text)."""
    if value is None or value == "":
        return "—"
    return percent_text(value, digits)
