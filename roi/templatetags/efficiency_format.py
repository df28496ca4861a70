"""A figure of the efficiency page with how sure it is: the value, its 95% interval and what it
rests on, or words saying there is too little to give an interval."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from core.templatetags.money import money, value_range
from roi.efficiency.stats import Figure
from roi.templatetags.roi_format import _finite, _number

register = template.Library()


def _text(value: float | None, kind: str, currency: str) -> str:
    number = _finite(value)
    if number is None:
        return "—"
    if kind == "money":
        return money(round(number), currency)
    if kind == "pct":
        return _number(number) + " %"
    return _number(number)


def _basis(n: int, basis: str) -> str:
    if basis == "stays":
        return ngettext("%(n)s stage move", "%(n)s stage moves", n) % {"n": n}
    return ngettext("%(n)s rep", "%(n)s reps", n) % {"n": n}


@register.simple_tag
def figure(
    fig: Any, kind: str = "number", currency: str = "USD", basis: str = "reps"
) -> SafeString:
    if not isinstance(fig, Figure) or fig.value is None:
        return format_html('<span class="muted">{}</span>', "—")
    main = _text(fig.value, kind, currency)
    if fig.low is None or fig.high is None:
        sure = gettext("too few to give an interval (%(basis)s)") % {"basis": _basis(fig.n, basis)}
    else:
        sure = gettext("95%% interval %(range)s, %(basis)s") % {
            "range": value_range(_text(fig.low, kind, currency), _text(fig.high, kind, currency)),
            "basis": _basis(fig.n, basis),
        }
    return format_html('<strong>{}</strong><span class="cell-sub">{}</span>', main, sure)


@register.simple_tag
def spend(value: Any, currency: str = "USD") -> SafeString:
    number = _finite(value)
    if number is None:
        return format_html('<span class="muted">{}</span>', "—")
    return format_html(
        '<strong>{}</strong><span class="cell-sub">{}</span>',
        money(round(number), currency),
        gettext("exact, from records"),
    )
