"""Managers: team progress, and assigning programs and courses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import Team
from core.validation import InputInvalid, parse_query_id
from training import selectors
from training.access import (
    assignable_teams,
    assignable_users,
    assignment_get_for_manager,
    can_assign,
    can_see_team_progress,
)
from training.forms import AssignForm, form_add_errors
from training.models import Course, Program, PublishStatus
from training.services import assignment_create, assignment_delete, team_reps

ROWS_PER_PAGE = 100


@login_required
@require_GET
def team_progress(request: AuthenticatedRequest) -> HttpResponse:
    if not can_see_team_progress(request.user):
        raise Http404("Not found")
    status = request.GET.get("status", "")
    if status not in selectors.Status.LABELS:
        status = ""
    try:
        team_id = parse_query_id(request.GET.get("team", "") or "0") or None
    except InputInvalid:  # not a whole number, or beyond any id: no team filter
        team_id = None
    target = request.GET.get("target", "")[:100]
    # Queries: session, user, count per status, filter targets; for the page (LIMIT/OFFSET in
    # SQL): assignments (+person, team, target), program courses, lesson counts, progress,
    # completions; teams.
    progress = selectors.team_progress(
        viewer=request.user, target=target, status=status, team_id=team_id
    )
    page = Paginator(progress.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/team_progress.html",
        {
            "progress": progress,
            "page": page,
            "status": status,
            "target": target,
            "team_id": team_id,
            "teams": list(Team.objects.order_by("name"))
            if request.user.sees_everyone
            else assignable_teams(request.user),
            "statuses": [
                (key, label, progress.counts[key]) for key, label in selectors.Status.LABELS.items()
            ],
            "can_assign": can_assign(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assign(request: AuthenticatedRequest) -> HttpResponse:
    if not can_assign(request.user):
        raise Http404("Not found")
    programs = list(Program.objects.filter(status=PublishStatus.PUBLISHED).order_by("title"))
    courses = list(Course.objects.filter(status=PublishStatus.PUBLISHED).order_by("title"))
    teams = assignable_teams(request.user)
    people = assignable_users(request.user)
    form = AssignForm(
        request.POST or None,
        programs=programs,
        courses=courses,
        teams=teams,
        people=people,
        initial={"target": request.GET.get("target", "")},
    )
    if request.method == "POST" and form.is_valid():
        kind, _sep, slug = form.cleaned_data["target"].partition(":")
        target = next(
            (t for t in (programs if kind == "program" else courses) if t.slug == slug), None
        )
        team = next((t for t in teams if str(t.pk) == form.cleaned_data["team"]), None)
        chosen = {str(pk) for pk in form.cleaned_data["people"]}
        assignees = [p for p in people if str(p.pk) in chosen]
        if team is not None:
            assignees += [p for p in team_reps(team=team) if p.pk not in {a.pk for a in assignees}]
        try:
            assert target is not None  # the form only offers these
            result = assignment_create(
                target=target,
                assignees=assignees,
                due_date=form.cleaned_data["due_date"],
                assigned_by=request.user,
                team=team,
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Assigned “%(title)s”: %(created)d new, %(updated)d with a new due date.")
                % {"title": target.title, "created": result.created, "updated": result.updated},
            )
            return redirect(f"{reverse('training:team_progress')}?target={kind}:{slug}")
    status = 400 if request.method == "POST" else 200
    return render(request, "training/assign.html", {"form": form}, status=status)


@login_required
@require_POST
def unassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assignment = assignment_get_for_manager(user=request.user, assignment_id=pk)
    assignment_delete(assignment=assignment)
    messages.success(
        request,
        _("Removed “%(title)s” from %(name)s.")
        % {"title": assignment.target_title, "name": assignment.assignee.full_name},
    )
    return redirect("training:team_progress")
