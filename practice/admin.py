from django.contrib import admin
from django.http import HttpRequest

from practice.models import PracticeScenario, PracticeSettings


@admin.register(PracticeScenario)
class PracticeScenarioAdmin(admin.ModelAdmin[PracticeScenario]):
    list_display = ["lesson", "rubric", "max_attempts"]
    raw_id_fields = ["lesson"]


@admin.register(PracticeSettings)
class PracticeSettingsAdmin(admin.ModelAdmin[PracticeSettings]):
    """The one row: edited, never added twice or deleted."""

    list_display = ["retention_days", "max_recording_mb", "max_minutes", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PracticeSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
