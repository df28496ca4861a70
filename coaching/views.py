"""Coaching pages. Thin: parse, fetch through coaching.access, call a selector or a service,
render. Every page shows times in the viewer's zone (the middleware activates it)."""

import contextlib
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import user_get_visible, visible_users
from accounts.http import AuthenticatedRequest
from accounts.models import Role, User
from coaching import selectors
from coaching.access import (
    action_item_get_for_owner,
    bookable_rep_get,
    bookable_reps,
    calendar_feed_get,
    may_coach,
    post_mortem_get_for_coach,
    session_get_for_coach,
    session_get_for_participant,
    session_get_visible,
    sessions_visible,
)
from coaching.errors import SessionConflict
from coaching.forms import (
    ActionItemForm,
    AvailabilityForm,
    BookingForm,
    CancelForm,
    CommitmentForm,
    CompleteForm,
    FindSlotForm,
    PostMortemForm,
    RescheduleForm,
    ScorecardForm,
)
from coaching.invites import calendar_feed_ics
from coaching.models import (
    POST_MORTEM_KINDS,
    AvailabilityWindow,
    CalendarFeed,
    CoachingSession,
    Rubric,
    RubricCriterion,
    SessionStatus,
)
from coaching.services.agenda import agenda_prefill
from coaching.services.availability import WindowInput, availability_replace
from coaching.services.feeds import calendar_feed_revoke, calendar_feed_rotate, calendar_feed_touch
from coaching.services.post_mortems import (
    ActionItemInput,
    CommitmentInput,
    action_item_add,
    action_item_set_done,
    commitment_add,
    post_mortem_record,
    post_mortem_to_story_lesson,
)
from coaching.services.scorecards import scorecard_record
from coaching.services.sessions import (
    session_book,
    session_cancel,
    session_complete,
    session_reschedule,
)
from deals.models import DealStatus

# Free times listed at most (a 4-week horizon of full days fits).
SLOT_LIMIT = 300
# A feed covers this far back and ahead.
FEED_PAST = dt.timedelta(days=90)
FEED_AHEAD = dt.timedelta(days=400)
# Services name fields as the API does; forms name some differently.
FIELD_ALIASES = {"rep_id": "rep", "deal_id": "deal", "reason": "reason"}


def _add_errors(form: Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: known fields at the field, the rest on top."""
    for key, errors in exc.message_dict.items():
        name = FIELD_ALIASES.get(key, key)
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


def _require_coach(user: User) -> None:
    if not may_coach(user):
        raise PermissionDenied(_("Only coaches and managers book coaching sessions."))


def _active_criteria() -> QuerySet[RubricCriterion]:
    return (
        RubricCriterion.objects.filter(rubric__is_active=True)
        .select_related("rubric")
        .order_by("rubric__name", "position", "pk")
    )


def _visible_person(viewer: User, raw_id: str) -> User:
    if not raw_id.isdigit():
        raise Http404(_("No such person."))
    return user_get_visible(viewer, user_id=int(raw_id))


def _may_run(user: User, session: CoachingSession) -> bool:
    return user.is_admin_role or session.coach_id == user.pk


# Dashboard, calendar, history


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if user.role == Role.REP and not user.is_superuser:
        return _rep_history_page(request, rep=user)
    if user.role == Role.LEADER:
        return redirect("coaching:trends")
    # Queries: coachees with summaries; upcoming; to close; unscored; overdue action items.
    board = selectors.coach_dashboard(coach=user, now=timezone.now())
    return render(request, "coaching/dashboard.html", {"board": board})


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Block:
    """A session placed on the week grid: its column (day) and its rows (quarter hours)."""

    session: CoachingSession
    column: int
    row: int
    span: int


QUARTER = 15


def _week_grid(
    days: list[selectors.CalendarDay],
) -> tuple[list[tuple[int, int]], list[Block]]:
    """Hours shown (at least 8 to 18, widened to fit every session) with their first grid row,
    and the placed sessions. Row 1 holds the day names; each hour spans four quarter rows."""
    first_hour, last_hour = 8, 18
    local = [
        (i, timezone.localtime(s.start), timezone.localtime(s.end), s)
        for i, day in enumerate(days)
        for s in day.sessions
    ]
    for _i, start, end, _s in local:
        first_hour = min(first_hour, start.hour)
        end_hour = 24 if end.date() > start.date() else math.ceil(end.hour + end.minute / 60)
        last_hour = max(last_hour, end_hour)
    blocks = []
    for i, start, end, session in local:
        begin = (start.hour - first_hour) * 60 + start.minute
        finish = (end.hour - first_hour) * 60 + end.minute
        if end.date() > start.date():
            finish = (24 - first_hour) * 60
        rows = max(1, math.ceil((finish - begin) / QUARTER))
        blocks.append(Block(session=session, column=i + 2, row=begin // QUARTER + 2, span=rows))
    hours = [(hour, 2 + i * 4) for i, hour in enumerate(range(first_hour, last_hour))]
    return hours, blocks


@login_required
@require_GET
def calendar(request: AuthenticatedRequest) -> HttpResponse:
    owner = request.user
    if request.GET.get("user"):
        owner = _visible_person(request.user, request.GET["user"])
    today = timezone.localdate()
    try:
        week_start = _monday(dt.date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        week_start = _monday(today)
    # Query: the owner's sessions in the week (with coach and rep).
    days = selectors.calendar_week(user=owner, week_start=week_start)
    hours, blocks = _week_grid(days)
    return render(
        request,
        "coaching/calendar.html",
        {
            "owner": owner,
            "days": days,
            "hours": hours,
            "blocks": blocks,
            "grid_rows": len(hours) * 4,
            "today": today,
            "week_start": week_start,
            "week_end": week_start + dt.timedelta(days=6),
            "prev_week": week_start - dt.timedelta(days=7),
            "next_week": week_start + dt.timedelta(days=7),
            "this_week": _monday(today),
            "session_count": sum(len(d.sessions) for d in days),
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
        trend = selectors.criterion_trend(
            sessions=sessions_visible(request.user).filter(rep=rep), rubric=rubric
        )
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


# Finding a slot and booking


@login_required
@require_GET
def find_slot(request: AuthenticatedRequest) -> HttpResponse:
    _require_coach(request.user)
    form = FindSlotForm(request.GET or None, reps=bookable_reps(request.user))
    slots: list[selectors.Slot] = []
    rep = None
    if form.is_valid():
        rep = form.cleaned_data["rep"]
        # Queries: the coach's weekly hours; both people's sessions in the horizon.
        slots = selectors.slot_list_free(
            coach=request.user,
            rep=rep,
            duration=dt.timedelta(minutes=form.cleaned_data["duration"]),
            days=form.cleaned_data["days"],
            now=timezone.now(),
            limit=SLOT_LIMIT,
        )
    days: dict[dt.date, list[selectors.Slot]] = {}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.start).date(), []).append(slot)
    has_hours = AvailabilityWindow.objects.filter(coach=request.user).exists()
    return render(
        request,
        "coaching/find_slot.html",
        {
            "form": form,
            "rep": rep,
            "slot_days": days,
            "searched": form.is_bound and form.is_valid(),
            "truncated": len(slots) >= SLOT_LIMIT,
            "has_hours": has_hours,
            "duration": form.cleaned_data.get("duration") if form.is_valid() else None,
        },
    )


def _booking_form(request: AuthenticatedRequest, data: Any = None) -> BookingForm:
    reps = bookable_reps(request.user)
    rep_id = (data or request.GET).get("rep")
    rep = bookable_rep_get(coach=request.user, rep_id=rep_id) if rep_id else None
    initial: dict[str, Any] = {}
    if data is None:
        initial = {
            "rep": rep,
            "kind": request.GET.get("kind") or None,
            "duration": request.GET.get("duration") or 60,
        }
        if request.GET.get("start"):
            with contextlib.suppress(ValueError):
                start = dt.datetime.fromisoformat(request.GET["start"])
                initial["start"] = timezone.localtime(start)
        if rep is not None:
            initial["agenda"] = agenda_prefill(rep=rep, today=timezone.localdate())
    return BookingForm(data, initial=initial, reps=reps, criteria=_active_criteria(), rep=rep)


@login_required
def book(request: AuthenticatedRequest) -> HttpResponse:
    _require_coach(request.user)
    form = _booking_form(request, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start = data["start"]
        try:
            session = session_book(
                booked_by=request.user,
                coach=request.user,
                rep=data["rep"],
                kind=data["kind"],
                start=start,
                end=start + dt.timedelta(minutes=data["duration"]),
                location=data["location"],
                agenda=data["agenda"],
                focus_criteria=list(data["focus_criteria"]),
                deal=data["deal"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except SessionConflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(
                request,
                _("Booked. %(rep)s and you have the calendar invite.")
                % {"rep": session.rep.full_name},
            )
            return redirect("coaching:session_detail", pk=session.pk)
    return render(request, "coaching/book.html", {"form": form}, status=status)


@login_required
@require_GET
def booking_rep_fields(request: AuthenticatedRequest) -> HttpResponse:
    """htmx: the deal choices and the prefilled agenda for the rep just chosen."""
    _require_coach(request.user)
    return render(request, "coaching/_rep_fields.html", {"form": _booking_form(request)})


# One session


def _detail_context(
    request: AuthenticatedRequest, session: CoachingSession, **forms: Any
) -> dict[str, Any]:
    # Queries: the session with people, deal, scorecard, post-mortem; focus criteria; scores;
    # commitments; action items.
    session = selectors.session_detail(session=session)
    user = request.user
    may_run = _may_run(user, session)
    is_completed = session.status == SessionStatus.COMPLETED
    scorecard = getattr(session, "scorecard", None)
    post_mortem = getattr(session, "post_mortem", None)
    rubric = None
    if may_run and is_completed:
        rubric_id = request.GET.get("rubric") or request.POST.get("rubric")
        rubrics = Rubric.objects.filter(is_active=True)
        if rubric_id:
            rubric = rubrics.filter(pk=rubric_id).first() if str(rubric_id).isdigit() else None
        if rubric is None and scorecard is not None:
            rubric = scorecard.rubric
        if rubric is None:
            rubric = selectors.rubric_default()
    context: dict[str, Any] = {
        "session": session,
        "scorecard": scorecard,
        "post_mortem": post_mortem,
        "may_run": may_run,
        "may_cancel": may_run or session.rep_id == user.pk,
        "is_scheduled": session.status == SessionStatus.SCHEDULED,
        "has_started": session.start <= timezone.now(),
        "has_post_mortem_kind": session.kind in POST_MORTEM_KINDS,
        "rubric": rubric,
        "rubrics": list(Rubric.objects.filter(is_active=True)) if may_run and is_completed else [],
        "may_make_story": bool(
            may_run
            and post_mortem is not None
            and post_mortem.story_lesson_id is None
            and session.deal is not None
            and session.deal.status in (DealStatus.WON, DealStatus.LOST)
        ),
        "lesson_url": _lesson_url(post_mortem.story_lesson_id) if post_mortem else "",
    }
    if may_run and session.status == SessionStatus.SCHEDULED:
        context["complete_form"] = forms.get("complete_form") or CompleteForm()
    if may_run and is_completed:
        if rubric is not None:
            criteria = list(rubric.criteria.order_by("position", "pk"))
            initial = {}
            if scorecard is not None and scorecard.rubric_id == rubric.pk:
                initial = {f"score_{s.criterion_id}": s.score for s in scorecard.scores.all()}
                initial["notes"] = scorecard.notes
            context["scorecard_form"] = forms.get("scorecard_form") or ScorecardForm(
                initial=initial, criteria=criteria
            )
        if session.kind in POST_MORTEM_KINDS:
            context["post_mortem_form"] = forms.get("post_mortem_form") or PostMortemForm(
                initial={"went_well": post_mortem.went_well, "to_improve": post_mortem.to_improve}
                if post_mortem
                else None
            )
            context["commitment_form"] = forms.get("commitment_form") or CommitmentForm(
                prefix="commitment",
                initial={"check_date": timezone.localdate() + dt.timedelta(days=90)},
            )
        context["action_form"] = forms.get("action_form") or ActionItemForm(
            prefix="action",
            people=[session.rep, session.coach],
            initial={"due_date": timezone.localdate() + dt.timedelta(days=14)},
        )
    return context


def _lesson_url(lesson_id: int | None) -> str:
    if lesson_id is None:
        return ""
    for name in ("training:lesson_edit", "admin:training_lesson_change"):
        try:
            return reverse(name, args=[lesson_id])
        except NoReverseMatch:
            continue
    return ""


@login_required
@require_GET
def session_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_visible(request.user, session_id=pk)
    return render(request, "coaching/session_detail.html", _detail_context(request, session))


@login_required
def session_reschedule_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_coach(request.user, session_id=pk)
    form = RescheduleForm(
        request.POST or None,
        initial={
            "start": timezone.localtime(session.start),
            "duration": session.duration_minutes,
        },
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        start = form.cleaned_data["start"]
        try:
            session_reschedule(
                session=session,
                start=start,
                end=start + dt.timedelta(minutes=form.cleaned_data["duration"]),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except SessionConflict as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            messages.success(request, _("Moved. Both calendars get the new time."))
            return redirect("coaching:session_detail", pk=session.pk)
    return render(
        request, "coaching/reschedule.html", {"form": form, "session": session}, status=status
    )


@login_required
def session_cancel_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_participant(request.user, session_id=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session_cancel(session=session, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Cancelled. Both people are told, with your reason."))
            return redirect("coaching:session_detail", pk=session.pk)
    return render(request, "coaching/cancel.html", {"form": form, "session": session})


@login_required
@require_POST
def session_complete_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_coach(request.user, session_id=pk)
    form = CompleteForm(request.POST)
    if form.is_valid():
        try:
            session_complete(
                session=session,
                by=request.user,
                status=form.cleaned_data["status"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect("coaching:session_detail", pk=session.pk)
    context = _detail_context(request, session, complete_form=form)
    return render(request, "coaching/session_detail.html", context, status=400)


@login_required
@require_POST
def scorecard_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_coach(request.user, session_id=pk)
    rubric_id = request.POST.get("rubric", "")
    rubric = Rubric.objects.filter(pk=rubric_id).first() if rubric_id.isdigit() else None
    if rubric is None:
        messages.error(request, _("Choose a rubric."))
        return redirect("coaching:session_detail", pk=session.pk)
    form = ScorecardForm(request.POST, criteria=list(rubric.criteria.order_by("position", "pk")))
    if form.is_valid():
        try:
            scorecard_record(
                session=session,
                scored_by=request.user,
                rubric=rubric,
                scores=form.scores(),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("Scorecard saved. %(rep)s can see it.") % {"rep": session.rep.full_name}
            )
            return redirect("coaching:session_detail", pk=session.pk)
    context = _detail_context(request, session, scorecard_form=form)
    return render(request, "coaching/session_detail.html", context, status=400)


def _commitment_filled(form: CommitmentForm) -> bool:
    return any(
        str(form.data.get(form.add_prefix(name), "")).strip()
        for name in ("description", "target", "metric")
    ) and bool(str(form.data.get(form.add_prefix("target"), "")).strip())


@login_required
@require_POST
def post_mortem_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The post-mortem, with an optional first commitment: both land or neither."""
    session = session_get_for_coach(request.user, session_id=pk)
    form = PostMortemForm(request.POST)
    commitment_form = CommitmentForm(request.POST, prefix="commitment")
    with_commitment = _commitment_filled(commitment_form)
    forms_valid = form.is_valid() and (not with_commitment or commitment_form.is_valid())
    if forms_valid:
        commitments = []
        if with_commitment:
            c = commitment_form.cleaned_data
            commitments.append(
                CommitmentInput(
                    metric=c["metric"],
                    target=c["target"],
                    check_date=c["check_date"],
                    description=c["description"],
                )
            )
        try:
            post_mortem_record(
                session=session,
                author=request.user,
                went_well=form.cleaned_data["went_well"],
                to_improve=form.cleaned_data["to_improve"],
                commitments=commitments,
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                target_form: Form = form
                name = key
                if key.startswith("commitments["):
                    target_form, name = commitment_form, key.split(".", 1)[1]
                for error in errors:
                    target_form.add_error(name if name in target_form.fields else None, error)
        else:
            messages.success(request, _("Post-mortem saved."))
            return redirect("coaching:session_detail", pk=session.pk)
    context = _detail_context(
        request, session, post_mortem_form=form, commitment_form=commitment_form
    )
    return render(request, "coaching/session_detail.html", context, status=400)


@login_required
@require_POST
def commitment_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    post_mortem = post_mortem_get_for_coach(request.user, post_mortem_id=pk)
    form = CommitmentForm(request.POST, prefix="commitment")
    if form.is_valid():
        c = form.cleaned_data
        try:
            commitment_add(
                post_mortem=post_mortem,
                data=CommitmentInput(
                    metric=c["metric"],
                    target=c["target"],
                    check_date=c["check_date"],
                    description=c["description"],
                ),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Commitment added."))
            return redirect("coaching:session_detail", pk=post_mortem.session_id)
    context = _detail_context(request, post_mortem.session, commitment_form=form)
    return render(request, "coaching/session_detail.html", context, status=400)


@login_required
@require_POST
def action_item_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = session_get_for_coach(request.user, session_id=pk)
    form = ActionItemForm(request.POST, prefix="action", people=[session.rep, session.coach])
    if form.is_valid():
        try:
            action_item_add(
                session=session,
                data=ActionItemInput(
                    owner_id=form.cleaned_data["owner"],
                    description=form.cleaned_data["description"],
                    due_date=form.cleaned_data["due_date"],
                ),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Action item added."))
            return redirect("coaching:session_detail", pk=session.pk)
    context = _detail_context(request, session, action_form=form)
    return render(request, "coaching/session_detail.html", context, status=400)


@login_required
@require_POST
def action_item_toggle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = action_item_get_for_owner(request.user, action_item_id=pk)
    action_item_set_done(item=item, is_done=request.POST.get("done") == "1")
    if request.headers.get("HX-Request"):
        return render(
            request, "coaching/_action_item.html", {"item": item, "today": timezone.localdate()}
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("coaching:session_detail", args=[item.session_id])
    return redirect(back)


@login_required
@require_POST
def story_lesson_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    post_mortem = post_mortem_get_for_coach(request.user, post_mortem_id=pk)
    try:
        lesson = post_mortem_to_story_lesson(post_mortem=post_mortem, author=request.user)
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(
            request,
            _("Draft story lesson “%(title)s” created for an author to polish.")
            % {"title": lesson.title},
        )
    return redirect("coaching:session_detail", pk=post_mortem.session_id)


# Availability, calendar feed, trends


@login_required
def availability(request: AuthenticatedRequest) -> HttpResponse:
    _require_coach(request.user)
    windows = list(AvailabilityWindow.objects.filter(coach=request.user))
    form = AvailabilityForm(request.POST or None, initial=AvailabilityForm.initial_from(windows))
    if request.method == "POST" and form.is_valid():
        filled = form.windows()
        try:
            availability_replace(
                coach=request.user,
                windows=[
                    WindowInput(weekday=day, start_time=start, end_time=end)
                    for day, start, end, _field in filled
                ],
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                # "windows[3].end_time" -> the form field of the fourth filled window
                index = (
                    int(key[len("windows[") :].split("]")[0])
                    if key.startswith("windows[")
                    else None
                )
                name = filled[index][3] if index is not None else None
                for error in errors:
                    form.add_error(name, error)
        else:
            messages.success(request, _("Your weekly hours are saved."))
            return redirect("coaching:availability")
    return render(
        request,
        "coaching/availability.html",
        {"form": form, "zone": request.user.time_zone},
    )


@login_required
def calendar_feed_settings(request: AuthenticatedRequest) -> HttpResponse:
    token = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar_feed_revoke(user=request.user)
            messages.success(request, _("Feed address revoked. Calendars using it stop updating."))
            return redirect("coaching:calendar_feed")
        token = calendar_feed_rotate(user=request.user)
    feed = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    feed_url = request.build_absolute_uri(reverse("coaching:feed", args=[token])) if token else None
    return render(request, "coaching/calendar_feed.html", {"feed": feed, "feed_url": feed_url})


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private ICS feed: no login (calendar programs cannot log in); the token is the key."""
    calendar_feed = calendar_feed_get(token=token)
    calendar_feed_touch(feed=calendar_feed)
    user = calendar_feed.user
    now = timezone.now()
    sessions = (
        CoachingSession.objects.filter(
            Q(coach=user) | Q(rep=user),
            start__gte=now - FEED_PAST,
            start__lte=now + FEED_AHEAD,
        )
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("coach", "rep")
        .order_by("start")
    )
    body = calendar_feed_ics(sessions, name=_("Coachline coaching"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="coaching.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_GET
def trends(request: AuthenticatedRequest) -> HttpResponse:
    sessions = sessions_visible(request.user)
    reps = list(
        visible_users(request.user)
        .filter(Q(role=Role.REP) | Q(coaching_sessions_received__isnull=False))
        .distinct()
        .order_by("full_name")[:500]
    )
    rep = None
    if request.GET.get("rep"):
        rep = _visible_person(request.user, request.GET["rep"])
        sessions = sessions.filter(rep=rep)
    elif request.user.role == Role.REP:
        rep = request.user
        sessions = sessions.filter(rep=rep)
    rubrics = list(Rubric.objects.filter(is_active=True))
    rubric = None
    if request.GET.get("rubric", "").isdigit():
        rubric = next((r for r in rubrics if r.pk == int(request.GET["rubric"])), None)
    rubric = rubric or selectors.rubric_default()
    trend = selectors.criterion_trend(sessions=sessions, rubric=rubric) if rubric else None
    return render(
        request,
        "coaching/trends.html",
        {"trend": trend, "reps": reps, "rep": rep, "rubrics": rubrics, "rubric": rubric},
    )
