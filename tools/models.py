"""Tools the sales org pays for, and who holds their seats.

A tool costs either per seat and month or a flat amount per month, in its own currency; reports
convert it to the home currency with the dated exchange rates (deals.ExchangeRate). A seat is
held by a person or by a whole team, for a period of days; one holder never holds two seats of
the same tool at once (PostgreSQL keeps that with an exclusion constraint, other databases by
the service's check).
"""

from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.db import DateRangeClosed, PostgresExclusionConstraint
from core.models import TimeStampedModel


class ToolCategory(models.TextChoices):
    CRM = "crm", _("CRM")
    ENGAGEMENT = "engagement", _("Sales engagement")
    DATA = "data", _("Data and enrichment")
    DIALER = "dialer", _("Dialer")
    CONFERENCING = "conferencing", _("Conferencing")
    ENABLEMENT = "enablement", _("Enablement")
    OTHER = "other", _("Other")


class ToolPricing(models.TextChoices):
    PER_SEAT = "per_seat", _("Per seat and month")
    FLAT = "flat", _("Flat per month")


class Tool(TimeStampedModel):
    # Unique whatever the case (the constraint below): the bulk API and CSV key tools by
    # lower-cased name, so "Gong" and "gong" are one tool.
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=16, choices=ToolCategory.choices)
    pricing = models.CharField(_("pricing"), max_length=8, choices=ToolPricing.choices)
    monthly_cost = models.DecimalField(_("cost per month"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    starts_on = models.DateField(_("paid from"))
    ends_on = models.DateField(_("paid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("tool")
        verbose_name_plural = _("tools")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tools_tool_name_unique_ci",
            ),
            models.CheckConstraint(
                condition=Q(monthly_cost__gte=0), name="tools_tool_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(category__in=ToolCategory.values), name="tools_tool_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(pricing__in=ToolPricing.values), name="tools_tool_pricing_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="tools_tool_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ToolSeat(models.Model):
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["tool", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="tools_seat_one_holder",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="tools_seat_ends_after_start",
            ),
            PostgresExclusionConstraint(
                name="tools_seat_person_no_overlap",
                expressions=[
                    ("tool", RangeOperators.EQUAL),
                    ("user", RangeOperators.EQUAL),
                    (DateRangeClosed("starts_on", "ends_on"), RangeOperators.OVERLAPS),
                ],
                condition=Q(user__isnull=False),
            ),
            PostgresExclusionConstraint(
                name="tools_seat_team_no_overlap",
                expressions=[
                    ("tool", RangeOperators.EQUAL),
                    ("team", RangeOperators.EQUAL),
                    (DateRangeClosed("starts_on", "ends_on"), RangeOperators.OVERLAPS),
                ],
                condition=Q(team__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tool_id}: {self.user_id or self.team_id}"
