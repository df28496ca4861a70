"""The private calendar feed, its settings page, and one session's "Add to calendar" file."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedRequest
from coaching.access import calendar_feed_get, session_get_visible
from coaching.invites import calendar_feed_ics, session_download_ics
from coaching.models import CalendarFeed, CoachingSession, SessionStatus
from coaching.services.feeds import calendar_feed_revoke, calendar_feed_rotate, calendar_feed_touch

# A feed covers this far back and ahead.
FEED_PAST = dt.timedelta(days=90)
FEED_AHEAD = dt.timedelta(days=400)


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
            Q(coach=user) | Q(rep=user), start__gte=now - FEED_PAST, start__lte=now + FEED_AHEAD
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
def session_ics(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One session as an .ics download, for whoever may see its page."""
    session = session_get_visible(request.user, session_id=pk)
    response = HttpResponse(
        session_download_ics(session), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="coaching-session-{session.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
