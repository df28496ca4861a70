"""The notification centre, the bell's count, and each person's channel choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from core.forms import service_error_messages
from notifications import selectors
from notifications.channels.slack import slack_is_configured
from notifications.kinds import Channel, Kind
from notifications.models import Notification
from notifications.services import notifications_mark_read, preferences_set, teams_webhook_set


@login_required
@require_GET
def centre(request: AuthenticatedRequest) -> HttpResponse:
    # Queries: session, user, notifications.
    items = selectors.notification_list(user=request.user)
    return render(
        request,
        "notifications/centre.html",
        {"items": items, "has_unread": any(i.is_unread for i in items)},
    )


@login_required
@require_GET
def badge(request: AuthenticatedRequest) -> HttpResponse:
    """The bell's unread count, fetched by htmx after the page loads so that no page pays a
    query for it."""
    count = selectors.unread_count(user=request.user)
    return render(request, "notifications/_badge.html", {"unread": count})


@login_required
@require_POST
def open_notification(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = Notification.objects.filter(pk=pk, recipient=request.user).first()
    if found is None:
        raise Http404("No such notification")
    notifications_mark_read(user=request.user, notification_ids=[found.pk])
    # The stored link is a path on this site (notify refuses anything else).
    if found.url.startswith("/") and not found.url.startswith("//"):
        return redirect(found.url)
    return redirect("notifications:centre")


@login_required
@require_POST
def read_all(request: AuthenticatedRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    return redirect("notifications:centre")


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    teams_url = selectors.teams_webhook_for(user=request.user)
    if request.method == "POST":
        valid = {f"{k}:{c}" for k in Kind.values for c in Channel.values}
        chosen = {tuple(name.split(":", 1)) for name in request.POST if name in valid}
        teams_url = request.POST.get("teams_webhook_url", "")[:2000]
        try:
            teams_webhook_set(user=request.user, url=teams_url)
        except ValidationError as exc:
            errors = service_error_messages(exc)
        else:
            preferences_set(user=request.user, enabled={(k, c) for k, c in chosen})
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings.html",
        {
            "rows": selectors.preference_matrix(user=request.user),
            "channels": list(Channel),
            "teams_url": teams_url,
            "errors": errors,
            "slack_ready": slack_is_configured(),
        },
        status=400 if errors else 200,
    )
