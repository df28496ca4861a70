"""Showing stored values: a date-time in the viewer's time zone without failing on extreme
values, and a choice's label without get_FOO_display()'s cost.

Python's datetime ends at years 1 and 9999, so an aware value within hours of either end cannot
be shifted into a time zone on the far side (9999-12-31 23:00 UTC is already year 10000 in
Berlin): Django's conversion raises OverflowError and the page answers 500. Input paths refuse
such values (core.validation); rows written before that, or by hand, are shown as stored (UTC)
instead of breaking every page that lists them.
"""

import datetime as dt
import functools
from typing import Any

from django.db import models
from django.template import base as template_base
from django.utils import timezone, translation

_template_localtime = timezone.template_localtime  # type: ignore[attr-defined]


def localtime_or_stored(value: dt.datetime) -> dt.datetime:
    try:
        return timezone.localtime(value)
    except OverflowError:
        return value


def _template_localtime_or_stored(value: Any, use_tz: bool | None = None) -> Any:
    try:
        return _template_localtime(value, use_tz)
    except OverflowError:
        return value


def install_template_localtime_guard() -> None:
    """Every template variable goes through django.template.base.template_localtime; wrap it.
    Called once from CoreConfig.ready()."""
    template_base.template_localtime = _template_localtime_or_stored  # type: ignore[attr-defined]


def choice_label(choices: type[models.Choices], value: object) -> str:
    """The label of a stored choice, as the model's get_FOO_display() gives it, in the active
    language; a value outside the choices is shown as stored.

    get_FOO_display() builds a dict of every choice on each call, and hashing each lazy label
    translates it: on the week calendar's 80 sessions that was a quarter of the page's time.
    Here a dict lookup; each choice class is translated once per language and process (the
    catalogues are loaded once per process too)."""
    label = _choice_labels(choices, translation.get_language()).get(value)
    return str(value) if label is None else label


@functools.cache
def _choice_labels(choices: type[models.Choices], language: str | None) -> dict[object, str]:
    # `language` is the active one: it keys the cache, the labels are translated into it.
    return {member.value: str(member.label) for member in choices}
