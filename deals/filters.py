"""Filters shared by the deals list page and the deals API (django-filter)."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import BoundedFilterSet
from deals.models import Deal, DealStatus
from deals.selectors import deals_slipped_q


class DealFilter(BoundedFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=DealStatus.choices, label=_("Status"))
    stage = django_filters.CharFilter(field_name="stage", label=_("Stage"))
    source = django_filters.CharFilter(field_name="source", label=_("Source"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("Owner"))
    closing_after = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte", label=_("Closing from")
    )
    closing_before = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte", label=_("Closing until")
    )
    closed_after = django_filters.IsoDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = django_filters.IsoDateTimeFilter(field_name="closed_at", lookup_expr="lt")
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="source_updated_at", lookup_expr="gte"
    )
    slipped = django_filters.BooleanFilter(method="filter_slipped", label=_("Slipped"))
    lacking = django_filters.ChoiceFilter(
        method="filter_lacking",
        label=_("Qualification"),
        choices=[
            ("deadline", _("No compelling deadline")),
            ("buyer", _("No economic buyer")),
            ("either", _("Missing either")),
        ],
    )

    class Meta:
        model = Deal
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(account_name__icontains=value) | Q(external_id=value)
        )

    def filter_slipped(self, queryset: QuerySet[Deal], name: str, value: Any) -> QuerySet[Deal]:
        if value is None:
            return queryset
        slipped = deals_slipped_q(today=timezone.localdate())
        return queryset.filter(slipped) if value else queryset.exclude(slipped)

    def filter_lacking(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        no_deadline = ~Q(has_compelling_deadline=True)
        no_buyer = ~Q(has_economic_buyer=True)
        wanted = {"deadline": no_deadline, "buyer": no_buyer, "either": no_deadline | no_buyer}
        return queryset.filter(wanted[value]) if value in wanted else queryset
