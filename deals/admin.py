from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from deals.forms import OwnerMapForm
from deals.models import Activity, CsvColumnMapping, Deal, DealChange, ExchangeRate, IngestJob
from deals.selectors import deal_list_unmatched_owners
from deals.services import deal_owner_map, deals_attach_known_owners, deals_delete


class DealChangeInline(admin.TabularInline[DealChange, Deal]):
    model = DealChange
    extra = 0
    can_delete = False
    readonly_fields = ["field", "old_value", "new_value", "changed_at", "recorded_at"]
    ordering = ["changed_at", "pk"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin[Activity]):
    """Activities come from the CRM: shown here for support; changes belong in the CRM."""

    list_display = ["external_id", "kind", "owner", "deal", "occurred_at", "outcome"]
    list_filter = ["kind", "source"]
    search_fields = ["external_id", "deal_external_id", "owner_external_id", "owner__email"]
    list_select_related = ["owner", "deal"]
    readonly_fields = [f.name for f in Activity._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin[Deal]):
    """Deals come from the CRM: the admin shows them; changes belong in the CRM."""

    list_display = ["name", "account_name", "owner", "stage", "status", "amount", "currency"]
    list_filter = ["status", "source", "currency"]
    search_fields = ["name", "account_name", "external_id", "owner_external_id", "owner__email"]
    list_select_related = ["owner"]
    readonly_fields = [f.name for f in Deal._meta.fields]
    inlines = [DealChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Deal) -> None:
        deals_delete(deals=Deal.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Deal]) -> None:
        deals_delete(deals=queryset)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "unmatched-owners/",
                self.admin_site.admin_view(self.unmatched_owners_view),
                name="deals_deal_unmatched_owners",
            ),
            *super().get_urls(),
        ]

    def unmatched_owners_view(self, request: HttpRequest) -> HttpResponse:
        """CRM owners whose deals have no person yet: map each to a person, or attach the deals
        of owners who became known since (e.g. through the users bulk API)."""
        # Admins by role (the people who manage CRM identities), whatever their model perms.
        user: Any = request.user
        if not (user.is_superuser or getattr(user, "is_admin_role", False)):
            raise PermissionDenied
        people = [
            (u.pk, f"{u.full_name} <{u.email}>")
            for u in User.objects.filter(is_active=True).order_by("full_name", "email")
        ]
        if request.method == "POST":
            if request.POST.get("action") == "attach_known":
                count = deals_attach_known_owners()
                messages.success(request, _("%(count)s deals attached.") % {"count": count})
                return redirect("admin:deals_deal_unmatched_owners")
            form = OwnerMapForm(request.POST, people=people)
            if form.is_valid():
                try:
                    count = deal_owner_map(
                        source=form.cleaned_data["source"],
                        owner_external_id=form.cleaned_data["owner_external_id"],
                        user=User.objects.get(pk=form.cleaned_data["user"]),
                    )
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    messages.success(request, _("%(count)s deals attached.") % {"count": count})
            else:
                messages.error(request, _("Choose a person."))
            return redirect("admin:deals_deal_unmatched_owners")
        owners = deal_list_unmatched_owners()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Unmatched CRM owners"),
            "owners": owners,
            "known_count": sum(1 for o in owners if o.known_user is not None),
            "people": people,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "deals/admin/unmatched_owners.html", context)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin[ExchangeRate]):
    list_display = ["currency", "rate", "valid_from"]
    list_filter = ["currency"]
    ordering = ["currency", "-valid_from"]
    search_fields = ["currency"]


@admin.register(IngestJob)
class IngestJobAdmin(admin.ModelAdmin[IngestJob]):
    list_display = [
        "created_at",
        "kind",
        "status",
        "received",
        "created",
        "updated",
        "unchanged",
        "stale",
        "error_count",
    ]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in IngestJob._meta.fields]

    @admin.display(description=gettext_lazy("errors"))
    def error_count(self, job: IngestJob) -> int:
        return len(job.errors)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[IngestJob]:
        return super().get_queryset(request).defer("errors")


@admin.register(CsvColumnMapping)
class CsvColumnMappingAdmin(admin.ModelAdmin[CsvColumnMapping]):
    list_display = ["source", "updated_at"]
