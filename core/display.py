"""Showing a stored date-time in the viewer's time zone without failing on extreme values.

Python's datetime ends at years 1 and 9999, so an aware value within hours of either end cannot
be shifted into a time zone on the far side (9999-12-31 23:00 UTC is already year 10000 in
Berlin): Django's conversion raises OverflowError and the page answers 500. Input paths refuse
such values (core.validation); rows written before that, or by hand, are shown as stored (UTC)
instead of breaking every page that lists them.
"""

import datetime as dt
from typing import Any

from django.template import base as template_base
from django.utils import timezone

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
