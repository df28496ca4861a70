"""The tool stack, edited by admins in Coachline: list, add, edit, delete, CSV import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from core.bulk import BulkResult
from tools.access import tool_get_for_admin, tools_admin_check
from tools.csv_import import CsvInvalid, tools_import_csv
from tools.forms import ToolCsvForm, ToolForm, tool_form_initial
from tools.models import Tool
from tools.selectors import tool_list
from tools.services import tool_delete, tools_upsert


@login_required
def tools_page(request: AuthenticatedRequest) -> HttpResponse:
    """Queries: session and user, then the tools and their seats with holders (3)."""
    tools_admin_check(request.user)
    return render(
        request, "tools/list.html", {"tools": list(tool_list()), "csv_form": ToolCsvForm()}
    )


def _save(request: AuthenticatedRequest, form: ToolForm, tool: Tool | None) -> BulkResult | None:
    row = form.row()
    if tool is not None:
        row["name"] = tool.name  # the name is the key: renaming would make another tool
    result = tools_upsert(rows=[row])
    for error in result.errors:
        name = error.field.split(".")[0].split("[")[0]
        form.add_error(
            name if name in form.fields else None,
            f"{error.field}: {error.message}" if name == "seats" else error.message,
        )
    return None if result.errors else result


@login_required
def tool_new(request: AuthenticatedRequest) -> HttpResponse:
    tools_admin_check(request.user)
    form = ToolForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save(request, form, None):
        messages.success(request, _("Tool saved."))
        return redirect("tools:list")
    status = 400 if request.method == "POST" else 200
    return render(request, "tools/edit.html", {"form": form, "tool": None}, status=status)


@login_required
def tool_edit(request: AuthenticatedRequest, tool_id: int) -> HttpResponse:
    tool = tool_get_for_admin(request.user, tool_id=tool_id)
    form = ToolForm(request.POST or None, initial=tool_form_initial(tool))
    form.fields["name"].disabled = True
    if request.method == "POST" and form.is_valid() and _save(request, form, tool):
        messages.success(request, _("Tool saved."))
        return redirect("tools:list")
    status = 400 if request.method == "POST" else 200
    return render(request, "tools/edit.html", {"form": form, "tool": tool}, status=status)


@login_required
@require_POST
def tool_remove(request: AuthenticatedRequest, tool_id: int) -> HttpResponse:
    tool = tool_get_for_admin(request.user, tool_id=tool_id)
    tool_delete(tool=tool)
    messages.success(request, _("Tool deleted."))
    return redirect("tools:list")


@login_required
@require_POST
def tools_csv(request: AuthenticatedRequest) -> HttpResponse:
    tools_admin_check(request.user)
    form = ToolCsvForm(request.POST, request.FILES)
    result: BulkResult | None = None
    lines: list[int] = []
    problem = ""
    if form.is_valid():
        try:
            result, lines = tools_import_csv(content=form.cleaned_data["file"].read())
        except CsvInvalid as exc:
            problem = str(exc)
    errors = [
        (lines[e.index] if e.index < len(lines) else "", e.key, e.field, e.message)
        for e in (result.errors if result else [])
    ]
    if result is not None and not errors:
        messages.success(
            request,
            _("Imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.")
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
        return redirect("tools:list")
    return render(
        request,
        "tools/list.html",
        {
            "tools": list(tool_list()),
            "csv_form": form,
            "csv_result": result,
            "csv_errors": errors,
            "csv_problem": problem,
        },
        status=400,
    )
