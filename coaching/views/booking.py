"""Finding a free slot, booking a session, and a coach's weekly hours."""

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedRequest
from coaching import selectors
from coaching.access import bookable_rep_get, bookable_reps
from coaching.errors import SessionConflict
from coaching.forms import AvailabilityForm, BookingForm, FindSlotForm
from coaching.models import AvailabilityWindow
from coaching.services.agenda import agenda_prefill
from coaching.services.availability import WindowInput, availability_replace
from coaching.services.sessions import session_book
from coaching.views.shared import FIELD_ALIASES, active_criteria, require_coach
from core.forms import form_add_service_errors, service_error_messages

# Finding a slot and booking

# Free times listed at most (a 4-week horizon of full days fits).
SLOT_LIMIT = 300


@login_required
@require_GET
def find_slot(request: AuthenticatedRequest) -> HttpResponse:
    require_coach(request.user)
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
    return BookingForm(data, initial=initial, reps=reps, criteria=active_criteria(), rep=rep)


@login_required
def book(request: AuthenticatedRequest) -> HttpResponse:
    require_coach(request.user)
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
            form_add_service_errors(form, exc, aliases=FIELD_ALIASES)
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
    require_coach(request.user)
    return render(request, "coaching/_rep_fields.html", {"form": _booking_form(request)})


# Availability, calendar feed, trends


@login_required
def availability(request: AuthenticatedRequest) -> HttpResponse:
    require_coach(request.user)
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
            for key, errors in service_error_messages(exc).items():
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
        request, "coaching/availability.html", {"form": form, "zone": request.user.time_zone}
    )
