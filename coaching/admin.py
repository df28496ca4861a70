"""Rubric authoring (admins), and read-mostly views of coaching records for support."""

from django.contrib import admin
from django.http import HttpRequest

from coaching.models import (
    AvailabilityWindow,
    CoachingSession,
    Commitment,
    Rubric,
    RubricCriterion,
)


class CriterionInline(admin.TabularInline[RubricCriterion, Rubric]):
    model = RubricCriterion
    extra = 1
    fields = ["position", "name", "description", "methodology", "weight", "scale_min", "scale_max"]
    ordering = ["position", "pk"]


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin[Rubric]):
    list_display = ["name", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [CriterionInline]


@admin.register(CoachingSession)
class CoachingSessionAdmin(admin.ModelAdmin[CoachingSession]):
    """Read only: sessions change through the booking service (it keeps the time holds and the
    invites right), never by editing rows here."""

    list_display = ["start", "kind", "coach", "rep", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["coach__full_name", "rep__full_name", "coach__email", "rep__email"]
    list_select_related = ["coach", "rep"]
    date_hierarchy = "start"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: CoachingSession | None = None
    ) -> bool:
        return False


@admin.register(AvailabilityWindow)
class AvailabilityWindowAdmin(admin.ModelAdmin[AvailabilityWindow]):
    list_display = ["coach", "weekday", "start_time", "end_time"]
    list_select_related = ["coach"]
    autocomplete_fields = ["coach"]


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin[Commitment]):
    list_display = ["rep", "metric", "target", "check_date", "status", "measured_value"]
    list_filter = ["status", "metric"]
    list_select_related = ["rep"]
    readonly_fields = ["status", "measured_value", "deals_measured", "checked_at"]
