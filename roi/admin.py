from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from roi.models import (
    EvaluationAssignment,
    EvaluationRollout,
    ProgramCosting,
    ReportSnapshot,
    RoiSettings,
)


@admin.register(RoiSettings)
class RoiSettingsAdmin(admin.ModelAdmin[RoiSettings]):
    """The singleton; the home currency is on the organisation (also editable on the Impact
    settings page, which writes both)."""

    fieldsets = [
        ("Money", {"fields": ["gross_margin_pct", "rep_hourly_cost", "coach_hourly_cost"]}),
        (
            "Evidence gates",
            {
                "fields": [
                    "min_treated_reps",
                    "min_comparison_reps",
                    "min_pre_months",
                    "post_months_beyond_cycle",
                    "default_plausible_effect_pct",
                    "bootstrap_draws",
                ]
            },
        ),
    ]
    readonly_fields = ["updated_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not RoiSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProgramCosting)
class ProgramCostingAdmin(admin.ModelAdmin[ProgramCosting]):
    list_display = ["program", "delivery_cost", "coaching_hours_per_seat"]
    autocomplete_fields = ["program"]


class EvaluationAssignmentInline(admin.TabularInline[EvaluationAssignment, EvaluationRollout]):
    model = EvaluationAssignment
    extra = 0
    can_delete = False
    readonly_fields = ["team", "stratum", "prior_bookings_per_rep", "wave", "starts_on"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EvaluationRollout)
class EvaluationRolloutAdmin(admin.ModelAdmin[EvaluationRollout]):
    """Recorded draws: read-only. A rollout is drawn from the program's Impact page."""

    list_display = ["program", "first_wave_starts_on", "n_waves", "seed", "created_at"]
    inlines = [EvaluationAssignmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(admin.ModelAdmin[ReportSnapshot]):
    list_display = ["title", "metric", "status", "evidence_grade", "att", "roi_pct", "computed_at"]
    list_filter = ["subject_kind", "metric", "status", "evidence_grade"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
