"""Managers: team progress, and assigning programs and courses."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import user_get_visible, visible_teams
from accounts.http import AuthenticatedRequest
from core.csv_export import csv_text
from core.forms import form_add_service_errors
from core.validation import InputInvalid, parse_query_id
from training import selectors
from training.access import (
    assignable_teams,
    assignable_users,
    assignment_get_for_manager,
    may_assign,
    may_see_team_progress,
    quiz_get_for_retake,
)
from training.forms import AssignForm
from training.models import Course, Program, PublishStatus
from training.services import (
    assignment_create,
    assignment_delete,
    assignment_nudge,
    may_grant_retake,
    retake_grant,
    team_reps,
)

ROWS_PER_PAGE = 100


@login_required
@require_GET
def team_progress(request: AuthenticatedRequest) -> HttpResponse:
    if not may_see_team_progress(request.user):
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
            "teams": list(visible_teams(request.user)),
            "statuses": [
                (key, label, progress.counts[key]) for key, label in selectors.Status.LABELS.items()
            ],
            "can_assign": may_assign(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assign(request: AuthenticatedRequest) -> HttpResponse:
    if not may_assign(request.user):
        raise Http404("Not found")
    programs = list(Program.objects.filter(status=PublishStatus.PUBLISHED).order_by("title"))
    courses = list(Course.objects.filter(status=PublishStatus.PUBLISHED).order_by("title"))
    teams = list(assignable_teams(request.user))
    people = list(assignable_users(request.user).select_related("team").order_by("full_name", "pk"))
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
            form_add_service_errors(form, exc)
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
@require_http_methods(["GET", "POST"])
def unassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """GET asks "are you sure?"; only the POST from that page removes the assignment."""
    assignment = assignment_get_for_manager(user=request.user, assignment_id=pk)
    if request.method == "GET":
        return render(request, "training/unassign_confirm.html", {"assignment": assignment})
    assignment_delete(assignment=assignment)
    messages.success(
        request,
        _("Removed “%(title)s” from %(name)s.")
        % {"title": assignment.target_title, "name": assignment.assignee.full_name},
    )
    return redirect("training:team_progress")


@login_required
@require_GET
def person_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    if not may_see_team_progress(request.user):
        raise Http404("Not found")
    person = user_get_visible(request.user, user_id=pk)
    # Queries: session, user, person, assignments, program courses, progress, completions,
    # quiz attempts per quiz, retake grants.
    progress = selectors.person_progress(person=person)
    return render(
        request,
        "training/person_progress.html",
        {
            "progress": progress,
            "person": person,
            "can_assign": may_assign(request.user) and person.pk != request.user.pk,
            "can_grant": may_grant_retake(granter=request.user, user=person),
        },
    )


@login_required
@require_POST
def nudge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    assignment = assignment_get_for_manager(user=request.user, assignment_id=pk)
    try:
        assignment_nudge(assignment=assignment, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s was nudged about “%(title)s”.")
            % {"name": assignment.assignee.full_name, "title": assignment.target_title},
        )
    return redirect("training:person_progress", pk=assignment.assignee_id)


@login_required
@require_POST
def person_retake(request: AuthenticatedRequest, pk: int, lesson_id: int) -> HttpResponse:
    person = user_get_visible(request.user, user_id=pk)
    quiz = quiz_get_for_retake(lesson_id=lesson_id)
    if not may_grant_retake(granter=request.user, user=person):
        # Seeing someone is not coaching them; a rep never grants themselves attempts.
        raise PermissionDenied(_("You can grant retakes only to your own people."))
    try:
        retake_grant(granter=request.user, user=person, lesson=quiz, extra_attempts=1)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s can take “%(quiz)s” again.")
            % {"name": person.full_name, "quiz": quiz.title},
        )
    return redirect("training:person_progress", pk=person.pk)


@login_required
@require_GET
def team_progress_csv(request: AuthenticatedRequest) -> HttpResponse:
    """Every assignment the viewer sees, filters applied, as machine-readable CSV: ISO dates,
    status keys, whole percents, scores with a dot."""
    if not may_see_team_progress(request.user):
        raise Http404("Not found")
    status = request.GET.get("status", "")
    if status not in selectors.Status.LABELS:
        status = ""
    try:
        team_id = parse_query_id(request.GET.get("team", "") or "0") or None
    except InputInvalid:
        team_id = None
    progress = selectors.team_progress(
        viewer=request.user,
        target=request.GET.get("target", "")[:100],
        status=status,
        team_id=team_id,
    )
    body = csv_text(
        header=[
            "person",
            "email",
            "team",
            "kind",
            "training",
            "due_date",
            "status",
            "percent",
            "courses_done",
            "courses_total",
            "completed_at",
        ],
        rows=(
            [
                row.assignment.assignee.full_name,
                row.assignment.assignee.email,
                row.assignment.assignee.team.name if row.assignment.assignee.team else "",
                "program" if row.assignment.program_id else "course",
                row.assignment.target_title,
                row.assignment.due_date.isoformat(),
                row.state.status,
                row.state.percent,
                row.state.courses_done,
                row.state.courses_total,
                row.state.completed_at.date().isoformat() if row.state.completed_at else "",
            ]
            for row in progress.rows
        ),
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="team-progress.csv"'
    return response
