"""Numbers on the impact pages, in the reader's language: effects with their unit and sign,
percentages, and the cells of roi.tables by column kind."""

import math
from typing import Any

from babel.numbers import format_decimal
from django import template
from django.utils.translation import get_language, gettext, to_locale

from core.formats import percent_text
from core.templatetags.money import money, money_short, value_range

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or "en")


def _number(value: float, digits: int = 1) -> str:
    pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return format_decimal(value, format=pattern, locale=_locale())


def _finite(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag
def effect(value: Any, unit: str, currency: str = "USD", signed: bool = True) -> str:
    """+$6,977 (currency), +2.3 pts (percentage points), −4.1 days."""
    number = _finite(value)
    if number is None:
        return "—"
    sign = "+" if signed and number > 0 else ("−" if number < 0 else "")
    magnitude = abs(number)
    if unit == "currency":
        return sign + money(round(magnitude), currency)
    if unit == "days":
        return gettext("%(value)s days") % {"value": sign + _number(magnitude)}
    return gettext("%(value)s pts") % {"value": sign + _number(magnitude)}


@register.simple_tag
def effect_range(low: Any, high: Any, unit: str, currency: str = "USD") -> str:
    """An interval of effects: "+$1,641 to +$10,226", "+1.641 $ bis +10.226 $"."""
    return value_range(effect(low, unit, currency), effect(high, unit, currency))


@register.simple_tag
def pct_range(low: Any, high: Any, digits: int = 0) -> str:
    return value_range(pct(low, digits), pct(high, digits))


@register.simple_tag
def num_range(low: Any, high: Any, digits: int = 2) -> str:
    """Plain numbers with a fixed number of decimals, in the reader's language."""
    ends = [_finite(low), _finite(high)]
    texts = ["—" if end is None else _number(end, digits) for end in ends]
    return value_range(texts[0], texts[1])


@register.filter
def pct(value: Any, digits: int = 0) -> str:
    number = _finite(value)
    if number is None:
        return "—"
    sign = "+" if number > 0 else ("−" if number < 0 else "")
    return sign + percent_text(abs(number), digits)


@register.filter
def share(value: Any) -> str:
    """A probability 0..1 as a percentage; one decimal near the ends (99.8%, not 100%)."""
    number = _finite(value)
    if number is None:
        return "—"
    percent = number * 100
    digits = 0 if 1 <= percent <= 99 or percent in (0, 100) else 1
    return percent_text(percent, digits)


@register.filter
def num(value: Any, digits: int = 1) -> str:
    number = _finite(value)
    if number is None:
        return "—"
    if float(number).is_integer():
        return _number(number, 0)
    return _number(number, digits)


@register.simple_tag
def cell(value: Any, kind: str, unit: str = "", currency: str = "USD", row_kind: str = "") -> str:
    """A table cell formatted by its column kind (row_kind for mixed columns)."""
    if kind == "cell":
        kind = row_kind or "number"
    if kind.startswith("metric:"):
        metric = kind.partition(":")[2]
        unit = {"bookings": "currency", "cycle_days": "days"}.get(metric, "points")
        kind = "effect"
    if kind == "text":
        return "—" if value in (None, "") else str(value)
    if kind == "bool":
        return gettext("yes") if value else gettext("no")
    if kind == "int":
        number = _finite(value)
        return "—" if number is None else _number(number, 0)
    if kind == "effect":
        return effect(value, unit, currency)
    if kind == "level":
        return effect(value, unit, currency, signed=False)
    if kind == "points":
        return effect(value, "points", currency)
    if kind == "money":
        number = _finite(value)
        return "—" if number is None else money(round(number), currency)
    if kind == "rate":
        number = _finite(value)
        return "—" if number is None else _number(number, 1)
    return num(value)


@register.filter
def money_or_dash(value: Any, currency: str = "USD") -> str:
    number = _finite(value)
    return "—" if number is None else money(round(number), currency)


@register.filter
def money_short_or_dash(value: Any, currency: str = "USD") -> str:
    """$1.8M for headline figures; small amounts in full."""
    number = _finite(value)
    if number is None:
        return "—"
    return (
        money_short(round(number), currency)
        if abs(number) >= 100_000
        else money(round(number), currency)
    )
