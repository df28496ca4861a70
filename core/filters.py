"""Filter sets whose every value is checked against core.validation's bounds.

A NUL character, a date outside 1900-2100, an offset beyond ±14:00 or a number no column can
hold becomes an error on that parameter: the API answers 400 naming it (django-filter's DRF
backend), an HTML list shows the form error. Without this the database raises mid-query: 500.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend

from core.validation import (
    MAX_BIGINT,
    InputInvalid,
    date_checked,
    datetime_checked,
    number_checked,
    text_checked,
)


def filter_value_check(value: Any) -> None:
    """Raises InputInvalid when a cleaned filter value is out of bounds."""
    if isinstance(value, str):
        text_checked(value)
    elif isinstance(value, dt.datetime):
        datetime_checked(value)
    elif isinstance(value, dt.date):
        date_checked(value)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number_checked(value)
        if abs(Decimal(value)) > MAX_BIGINT:
            raise InputInvalid(_("The number is too large."))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            filter_value_check(item)
    elif isinstance(value, slice):  # range filters
        filter_value_check([value.start, value.stop])


class _BoundedForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in list(cleaned.items()):
            try:
                filter_value_check(value)
            except InputInvalid as exc:
                self.add_error(name, exc.reason)
        return cleaned


class BoundedFilterSet(django_filters.FilterSet):
    def get_form_class(self) -> type[forms.Form]:
        form_class: type[forms.Form] = super().get_form_class()
        return type(form_class.__name__, (_BoundedForm, form_class), {})


class BoundedFilterBackend(DjangoFilterBackend):
    """For views that list `filterset_fields` instead of a filter set of their own."""

    filterset_base = BoundedFilterSet
