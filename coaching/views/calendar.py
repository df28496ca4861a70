"""The coaching dashboard, the week calendar, a rep's history and score trends."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import sees_only_self, user_get_visible
from accounts.http import AuthenticatedRequest
from accounts.models import User
from coaching import selectors
from coaching.access import (
    bookable_rep_get,
    calendar_booking,
    may_coach,
    visible_coachees,
)
from coaching.calendar_grid import Block, FreeCell, free_cells, monday, week_grid
from coaching.models import CoachingSession, Rubric
from coaching.views.shared import visible_person
from core.validation import date_checked

# Dashboard, calendar, history


@dataclass(frozen=True)
class WeekDay:
    date: dt.date
    blocks: list[Block[CoachingSession]]
    free: list[FreeCell]


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if sees_only_self(user):
        return _rep_history_page(request, rep=user)
    if not may_coach(user):  # leaders: they read trends, they do not coach
        return redirect("coaching:trends")
    # Queries: coachees with summaries; upcoming; to close; unscored; overdue action items.
    raw_page = request.GET.get("page", "")
    # A page beyond the last shows no coachees; anything but a small whole number is page 1.
    page = int(raw_page) if raw_page.isdecimal() and 0 < len(raw_page) < 6 else 1
    board = selectors.coach_dashboard(coach=user, now=timezone.now(), coachees_page=max(page, 1))
    return render(
        request,
        "coaching/dashboard.html",
        {"board": board, "board_list": selectors.DASHBOARD_LIST},
    )


@login_required
@require_GET
def calendar(request: AuthenticatedRequest) -> HttpResponse:
    owner = request.user
    if request.GET.get("user"):
        owner = visible_person(request.user, request.GET["user"])
    today = timezone.localdate()
    try:
        week_start = monday(date_checked(dt.date.fromisoformat(request.GET.get("week", ""))))
    except ValueError:  # not a date, or outside core.validation's bounds: this week
        week_start = monday(today)
    # Query: the owner's sessions in the week (with coach and rep).
    days = selectors.calendar_week(user=owner, week_start=week_start)
    local = [
        [(timezone.localtime(s.start), timezone.localtime(s.end), s) for s in day.sessions]
        for day in days
    ]
    hours, blocks = week_grid(local)
    # The free half hours link to the booking form, for those who may book from this week
    # (on someone else's week, one query: may the viewer book them).
    booking = calendar_booking(request.user, owner=owner)
    free = (
        [[] for _day in days]
        if booking is None
        else free_cells(
            [day.date for day in days],
            hours,
            [(start, end) for day in local for start, end, _s in day],
            zone=timezone.get_current_timezone(),
            after=timezone.now(),
        )
    )
    # Each session is written once, in its day's list, placed on the grid by its block's classes.
    by_column = defaultdict(list)
    for block in blocks:
        by_column[block.column].append(block)
    return render(
        request,
        "coaching/calendar.html",
        {
            "owner": owner,
            "days": [
                WeekDay(date=day.date, blocks=by_column[column], free=free[column - 2])
                for column, day in enumerate(days, start=2)
            ],
            "hours": hours,
            "grid_rows": len(hours) * 4,
            "today": today,
            "week_start": week_start,
            "week_end": week_start + dt.timedelta(days=6),
            "prev_week": week_start - dt.timedelta(days=7),
            "next_week": week_start + dt.timedelta(days=7),
            "this_week": monday(today),
            "session_count": sum(len(d.sessions) for d in days),
            "may_book": may_coach(request.user),
            "booking": booking,
        },
    )


def _rep_history_page(request: AuthenticatedRequest, *, rep: User) -> HttpResponse:
    now = timezone.now()
    # Queries: upcoming; past with scorecards; commitments; action items.
    history = selectors.rep_history(principal=request.user, rep=rep, now=now)
    # Queries: the default rubric; its criteria; monthly means.
    rubric = selectors.rubric_default()
    trend = None
    if rubric is not None:
        trend = selectors.criterion_trend(viewer=request.user, rubric=rubric, rep_id=rep.pk)
    return render(
        request,
        "coaching/rep_history.html",
        {
            "history": history,
            "trend": trend,
            "is_self": rep.pk == request.user.pk,
            "may_book": bookable_rep_get(coach=request.user, rep_id=rep.pk) is not None
            if may_coach(request.user)
            else False,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def rep_history(request: AuthenticatedRequest, rep_id: int) -> HttpResponse:
    rep = user_get_visible(request.user, user_id=rep_id)
    return _rep_history_page(request, rep=rep)


@login_required
@require_GET
def trends(request: AuthenticatedRequest) -> HttpResponse:
    reps = list(visible_coachees(request.user).order_by("full_name")[:500])
    rep = None
    if request.GET.get("rep"):
        rep = visible_person(request.user, request.GET["rep"])
    elif sees_only_self(request.user):
        rep = request.user
    rubrics = list(Rubric.objects.filter(is_active=True))
    rubric = None
    if request.GET.get("rubric", "").isdecimal():
        rubric = next((r for r in rubrics if r.pk == int(request.GET["rubric"])), None)
    rubric = rubric or selectors.rubric_default()
    trend = (
        selectors.criterion_trend(
            viewer=request.user, rubric=rubric, rep_id=rep.pk if rep else None
        )
        if rubric
        else None
    )
    return render(
        request,
        "coaching/trends.html",
        {"trend": trend, "reps": reps, "rep": rep, "rubrics": rubrics, "rubric": rubric},
    )
