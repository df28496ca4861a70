"""Admin: a fallback for support. Content is written in the studio (/learn/studio/), where the
services validate it; here completions and assignments can be inspected and corrected."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import User
from training.models import (
    Assignment,
    Choice,
    Completion,
    Course,
    CourseRating,
    Lesson,
    Program,
    ProgramCourse,
    Question,
    QuizAttempt,
)
from training.services.catalog import program_plan_changes_record, program_plan_stored


class ProgramCourseInline(admin.TabularInline[ProgramCourse, Program]):
    model = ProgramCourse
    extra = 0
    autocomplete_fields = ["course"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin[Program]):
    list_display = ["title", "slug", "status", "primary_metric", "horizon_months", "is_evaluation"]
    list_filter = ["status", "primary_metric", "is_evaluation"]
    search_fields = ["title", "slug"]
    inlines = [ProgramCourseInline]

    def save_model(self, request: HttpRequest, obj: Program, form: Any, change: bool) -> None:
        # The admin edits the plan too: record it like program_update does.
        before = program_plan_stored(program=obj) if change else None
        super().save_model(request, obj, form, change)
        if before is not None:
            editor = request.user if isinstance(request.user, User) else None
            program_plan_changes_record(program=obj, before=before, changed_by=editor)


class LessonInline(admin.TabularInline[Lesson, Course]):
    model = Lesson
    extra = 0
    fields = ["position", "slug", "kind", "title", "status", "minutes"]
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin[Course]):
    list_display = ["title", "slug", "status", "estimated_minutes", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    inlines = [LessonInline]


class ChoiceInline(admin.TabularInline[Choice, Question]):
    model = Choice
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin[Question]):
    list_display = ["prompt", "lesson", "kind", "position"]
    list_select_related = ["lesson"]
    inlines = [ChoiceInline]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin[Lesson]):
    list_display = ["title", "course", "kind", "status", "position"]
    list_filter = ["kind", "status"]
    list_select_related = ["course"]
    search_fields = ["title", "slug", "course__title"]


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin[Completion]):
    list_display = ["user", "course", "completed_at", "score", "source"]
    list_filter = ["source", "course"]
    list_select_related = ["user", "course"]
    search_fields = ["user__email", "user__full_name", "course__title"]
    date_hierarchy = "completed_at"
    readonly_fields = ["certificate_code"]
    autocomplete_fields = ["user", "course"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin[Assignment]):
    list_display = ["assignee", "program", "course", "due_date", "assigned_by"]
    list_filter = ["program", "course"]
    list_select_related = ["assignee", "program", "course", "assigned_by"]
    search_fields = ["assignee__email", "assignee__full_name"]
    autocomplete_fields = ["assignee", "assigned_by", "program", "course"]


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin[QuizAttempt]):
    list_display = ["user", "lesson", "number", "score", "passed", "attempted_at"]
    list_filter = ["passed"]
    list_select_related = ["user", "lesson"]
    search_fields = ["user__email"]


@admin.register(CourseRating)
class CourseRatingAdmin(admin.ModelAdmin[CourseRating]):
    list_display = ["user", "course", "stars", "created_at"]
    list_filter = ["stars", "course"]
    list_select_related = ["user", "course"]
