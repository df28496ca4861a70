"""Impact pages: thin views over roi.pages (snapshots for the organisation-wide reports, the panel
of a few reps for team and rep views), and the CSV export of every table they show."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import sees_only_self, visible_reps
from accounts.http import AuthenticatedRequest
from core.forms import form_add_service_errors
from core.models import Organization
from roi.access import (
    may_edit_settings,
    may_read_reports,
    program_get_for_reports,
    rep_get_for_reports,
    subject_for_reports,
    team_get_for_reports,
)
from roi.forms import HourlyCostsForm, ProgramCostsForm, RoiSettingsForm, RolloutForm
from roi.models import EvaluationRollout, RoiSettings, SubjectKind
from roi.pages import (
    ReportPage,
    dashboard_build,
    rep_page_build,
    report_page_build,
    team_page_build,
)
from roi.selectors import programs_with_costs, report_today
from roi.services import (
    ProgramCosts,
    RolloutAlreadyDrawn,
    evaluation_rollout_create,
    program_costs_update,
    roi_settings_update,
)
from roi.tables import Table


def _csv(table: Table | None, filename: str) -> HttpResponse:
    if table is None:
        raise Http404("No such table")
    response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not may_read_reports(user):
        # Reps see their own impact page; coaches the list of the reps they coach.
        if sees_only_self(user):
            return redirect("roi:rep", rep_id=user.pk)
        return redirect("roi:people")
    page = dashboard_build(viewer=user)
    for slug, table in page.tables.items():
        table.csv_url = reverse("roi:dashboard_csv", args=[slug])
    return render(request, "roi/dashboard.html", {"page": page})


@login_required
def dashboard_csv(request: AuthenticatedRequest, table: str) -> HttpResponse:
    if not may_read_reports(request.user):
        raise Http404("No such report")
    return _csv(dashboard_build(viewer=request.user).tables.get(table), f"impact-{table}")


def _report(
    request: AuthenticatedRequest, kind: str, key: str, title: str, extra: dict[str, Any]
) -> HttpResponse:
    """The caller has checked the subject (the access helpers)."""
    page = report_page_build(kind=kind, key=key, title=title, metric=request.GET.get("metric"))
    for slug, table in page.tables.items():
        table.csv_url = reverse(
            "roi:program_csv" if kind == SubjectKind.PROGRAM else "roi:coaching_csv",
            args=[key, page.metric, slug],
        )
    return render(request, "roi/report.html", {"page": page, **extra})


@login_required
def program_report(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    program = program_get_for_reports(principal=request.user, slug=slug)
    extra: dict[str, Any] = {"program": program}
    if program.is_evaluation:
        rollout = (
            EvaluationRollout.objects.filter(program=program)
            .prefetch_related("assignments__team")
            .first()
        )
        extra["rollout"] = rollout
        if rollout is None and may_edit_settings(request.user):
            extra["rollout_form"] = RolloutForm()
    return _report(request, SubjectKind.PROGRAM, slug, program.title, extra)


@login_required
@require_POST
def program_rollout(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    program = program_get_for_reports(principal=request.user, slug=slug)
    if not may_edit_settings(request.user):
        raise Http404("No such program")
    form = RolloutForm(request.POST)
    if form.is_valid():
        try:
            evaluation_rollout_create(
                program=program, created_by=request.user, today=report_today(), **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except RolloutAlreadyDrawn:
            messages.error(request, _("This program's rollout was drawn already."))
            return redirect("roi:program", slug=slug)
        else:
            messages.success(
                request,
                _("The rollout is drawn and recorded. Reports include it at the next refresh."),
            )
            return redirect("roi:program", slug=slug)
    extra = {"program": program, "rollout": None, "rollout_form": form}
    return _report(request, SubjectKind.PROGRAM, slug, program.title, extra)


@login_required
def coaching_report(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    _kind, title = subject_for_reports(principal=request.user, kind=SubjectKind.COACHING, key=kind)
    return _report(request, SubjectKind.COACHING, kind, title, {})


def _report_csv(
    request: AuthenticatedRequest, kind: str, key: str, metric: str, table: str
) -> HttpResponse:
    _kind, title = subject_for_reports(principal=request.user, kind=kind, key=key)
    page: ReportPage = report_page_build(kind=kind, key=key, title=title, metric=metric)
    if page.metric != metric:
        raise Http404("No such metric")
    return _csv(page.tables.get(table), f"{key}-{metric}-{table}")


@login_required
def program_csv(request: AuthenticatedRequest, slug: str, metric: str, table: str) -> HttpResponse:
    return _report_csv(request, SubjectKind.PROGRAM, slug, metric, table)


@login_required
def coaching_csv(request: AuthenticatedRequest, kind: str, metric: str, table: str) -> HttpResponse:
    return _report_csv(request, SubjectKind.COACHING, kind, metric, table)


@login_required
def team(request: AuthenticatedRequest, team_id: int) -> HttpResponse:
    page = team_page_build(team=team_get_for_reports(viewer=request.user, team_id=team_id))
    for slug, table in page.tables.items():
        table.csv_url = reverse("roi:team_csv", args=[team_id, slug])
    return render(request, "roi/team.html", {"page": page})


@login_required
def team_csv(request: AuthenticatedRequest, team_id: int, table: str) -> HttpResponse:
    page = team_page_build(team=team_get_for_reports(viewer=request.user, team_id=team_id))
    return _csv(page.tables.get(table), f"team-{team_id}-{table}")


@login_required
def rep(request: AuthenticatedRequest, rep_id: int) -> HttpResponse:
    page = rep_page_build(rep=rep_get_for_reports(viewer=request.user, rep_id=rep_id))
    for slug, table in page.tables.items():
        table.csv_url = reverse("roi:rep_csv", args=[rep_id, slug])
    return render(
        request,
        "roi/rep.html",
        {
            "page": page,
            "is_self": rep_id == request.user.pk,
            "can_read": may_read_reports(request.user),
        },
    )


@login_required
def rep_csv(request: AuthenticatedRequest, rep_id: int, table: str) -> HttpResponse:
    page = rep_page_build(rep=rep_get_for_reports(viewer=request.user, rep_id=rep_id))
    return _csv(page.tables.get(table), f"rep-{rep_id}-{table}")


@login_required
def people(request: AuthenticatedRequest) -> HttpResponse:
    # One query: the reps the viewer may see, with their team.
    reps = list(visible_reps(request.user).select_related("team").order_by("full_name", "pk"))
    return render(request, "roi/people.html", {"reps": reps})


@login_required
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    if not may_edit_settings(request.user):
        raise Http404("No such page")
    current = RoiSettings.current()
    initial = {
        name: getattr(current, name)
        for name in RoiSettingsForm.base_fields
        if name != "home_currency"
    }
    initial["home_currency"] = Organization.current().home_currency
    form = RoiSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            roi_settings_update(actor=request.user, changes=form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved. Reports use the new settings at the next refresh."))
            return redirect("roi:settings")
    return render(request, "roi/settings.html", {"form": form, "settings": current})


@login_required
def costs(request: AuthenticatedRequest) -> HttpResponse:
    """Every cost that enters ROI, in one place: what people's time costs, and per program its
    content, seat, delivery, learner-hours and coaching-hours costs. Admins only."""
    if not may_edit_settings(request.user):
        raise Http404("No such page")
    current = RoiSettings.current()
    # Queries: the settings row, then the programs with their costing joined.
    programs = programs_with_costs()
    posted = request.POST.get("form", "") if request.method == "POST" else ""
    hourly = HourlyCostsForm(
        request.POST if posted == "hourly" else None,
        initial={
            "rep_hourly_cost": current.rep_hourly_cost,
            "coach_hourly_cost": current.coach_hourly_cost,
        },
    )
    rows = []
    for program in programs:
        costing = getattr(program, "roi_costing", None)
        prefix = f"p{program.pk}"
        form = ProgramCostsForm(
            request.POST if posted == prefix else None,
            prefix=prefix,
            initial={
                "content_cost": program.content_cost,
                "cost_per_seat": program.cost_per_seat,
                "expected_learner_hours": program.expected_learner_hours,
                "delivery_cost": costing.delivery_cost if costing else 0,
                "coaching_hours_per_seat": costing.coaching_hours_per_seat if costing else 0,
            },
        )
        rows.append((program, prefix, form))
    if posted == "hourly" and hourly.is_valid():
        try:
            roi_settings_update(actor=request.user, changes=hourly.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(hourly, exc)
        else:
            messages.success(request, _("Saved. Reports use the new costs at the next refresh."))
            return redirect("roi:costs")
    for program, prefix, form in rows:
        if posted == prefix and form.is_valid():
            try:
                program_costs_update(
                    actor=request.user, program=program, costs=ProgramCosts(**form.cleaned_data)
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("Costs of %(program)s saved. Reports use them at the next refresh.")
                    % {"program": program.title},
                )
                return redirect("roi:costs")
    return render(
        request,
        "roi/costs.html",
        {"hourly": hourly, "rows": rows, "settings": current},
    )
