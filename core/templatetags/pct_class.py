"""{{ percent|pct_class }} -> "pct-42": the CSS class that sets --pct to 42% (see app.css).

The Content Security Policy forbids style="" attributes, so a measured width is a class; the
value is rounded and clamped to 0-100, the classes that exist.
"""

from django import template

register = template.Library()


@register.filter
def pct_class(value: object) -> str:
    try:
        number = round(float(str(value)))
    except (TypeError, ValueError, OverflowError):
        number = 0
    return f"pct-{min(100, max(0, number))}"
