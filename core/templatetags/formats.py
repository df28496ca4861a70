from decimal import Decimal

from django import template

from core.formats import rating_text

register = template.Library()


@register.filter
def rating(value: float | Decimal | None) -> str:
    """{{ avg|rating }}: core.formats.rating_text, the catalog card's rounding."""
    return rating_text(value)
