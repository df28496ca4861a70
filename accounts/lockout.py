"""The login lockout (django-axes): what counts as the same account, and what a locked-out
person is told. Settings: AXES_* in config/settings.py."""

from http import HTTPStatus
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Failures count per email however it is typed ("Ana@X.com" and "ana@x.com" are one)."""
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(raw).strip().lower()


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The login page again, saying the account is locked, until when, and how to get out."""
    from accounts.forms import EmailLoginForm

    cool_off = get_cool_off(request)
    # Each attempt while locked restarts the cool-off (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_
    # LOCKOUT), so it ends one cool-off from now.
    unlocks_at = timezone.localtime(timezone.now() + cool_off) if cool_off else None
    form = EmailLoginForm(request, data=request.POST or None)
    message = _(
        "Too many failed logins: this account is locked until %(time)s (%(minutes)s minutes "
        "after the last attempt). Wait until then, or ask an administrator to unlock it."
    ) % {
        "time": unlocks_at.strftime("%H:%M %Z") if unlocks_at else "",
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else 0,
    }
    return render(
        request,
        "accounts/login.html",
        {"form": form, "lockout_message": message, "next": request.POST.get("next", "")},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
