from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from accounts.models import ApiKey, CoachAssignment, CrmIdentity, Scope, Team, User


class CrmIdentityInline(admin.TabularInline[CrmIdentity, User]):
    model = CrmIdentity
    extra = 0


class CoacheeInline(admin.TabularInline[CoachAssignment, User]):
    model = CoachAssignment
    fk_name = "coachee"
    extra = 0
    autocomplete_fields = ["coach"]
    verbose_name = _("coach")
    verbose_name_plural = _("coaches")


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]
    ordering = ["full_name"]
    list_display = ["email", "full_name", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    search_fields = ["email", "full_name"]
    list_select_related = ["team"]
    autocomplete_fields = ["manager", "team"]
    inlines = [CrmIdentityInline, CoacheeInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "role", "team", "manager", "hire_date")}),
        (_("Preferences"), {"fields": ("language", "time_zone")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "password1", "password2"),
            },
        ),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "manager"]
    search_fields = ["name"]
    autocomplete_fields = ["manager"]


class ApiKeyForm(forms.ModelForm[ApiKey]):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "requests_per_hour", "revoked", "expiry_date"]


# The library registers its own key model; ours (with scopes) is the one in use, so the admin
# shows one "API keys" entry, not two.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    """The library hashes the key and shows it once after saving."""

    form = ApiKeyForm
    list_display = (  # type: ignore[assignment]
        *APIKeyModelAdmin.list_display,
        "scopes",
        "requests_per_hour",
        "last_used_at",
    )

    def get_readonly_fields(  # type: ignore[override]
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> tuple[str, ...]:
        return ("prefix", "last_used_at", "created_by") if obj else ("prefix",)

    def save_model(  # type: ignore[override]
        self, request: HttpRequest, obj: ApiKey, form: object = None, change: bool = False
    ) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
