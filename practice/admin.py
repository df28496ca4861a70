from django.contrib import admin

from practice.models import PracticeScenario


@admin.register(PracticeScenario)
class PracticeScenarioAdmin(admin.ModelAdmin[PracticeScenario]):
    list_display = ["lesson", "rubric", "max_attempts"]
    raw_id_fields = ["lesson"]
