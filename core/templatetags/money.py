"""Money in the reader's language: {{ amount|money:currency }} -> "$12,500" or "12.500 $";
ranges of values with the catalogue's word between the ends ("+$1,641 to +$10,226",
"+1.641 $ bis +10.226 $")."""

from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_compact_currency, format_currency
from django import template
from django.utils.translation import get_language, gettext, to_locale

register = template.Library()


def _decimal(amount: object) -> Decimal | None:
    if amount is None or amount == "":
        return None
    try:
        return Decimal(str(amount))
    except InvalidOperation:
        return None


@register.filter
def money(amount: object, currency: str = "USD") -> str:
    value = _decimal(amount)
    if value is None:
        return "—"
    locale = Locale.parse(to_locale(get_language() or "en"))
    pattern = locale.currency_formats["standard"].pattern
    if value == value.to_integral_value():
        # Whole amounts drop the cents: deal sizes read better as $12,500 than $12,500.00.
        pattern = pattern.replace(".00", "")
    return format_currency(
        value, currency or "USD", format=pattern, locale=locale, currency_digits=False
    )


@register.filter
def money_short(amount: object, currency: str = "USD") -> str:
    """Compact money for headline figures: $1.2M, 1,2 Mio. $."""
    value = _decimal(amount)
    if value is None:
        return "—"
    locale = to_locale(get_language() or "en")
    text = format_compact_currency(value, currency or "USD", locale=locale, fraction_digits=1)
    whole = abs(value).to_integral_value()
    if whole >= 1000 and str(whole) in text:
        # German has no short form below a million ("849.432 $", not "849 Tsd. $"), and Babel
        # then writes the plain digits without their grouping ("849432 $"): the whole amount.
        return money(value.to_integral_value(), currency)
    return text


def value_range(low: str, high: str) -> str:
    """Two formatted ends of a range joined in the reader's language ("to", "bis"): the one
    place that says how a range reads, so no page glues a bare "to" between two figures."""
    return gettext("%(low)s to %(high)s") % {
        "low": low,
        "high": high,
    }


@register.simple_tag
def money_range(low: object, high: object, currency: str = "USD") -> str:
    """{% money_range low high currency %} -> "$1,641 to $10,226", "1.641 $ bis 10.226 $"."""
    return value_range(money(low, currency), money(high, currency))
