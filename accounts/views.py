from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import may_edit_settings, require
from accounts.backends import PASSWORD_BACKEND
from accounts.forms import (
    AuditLogFilterForm,
    EmailLoginForm,
    ProfileForm,
    SsoAwarePasswordResetForm,
    TwoFactorCodeForm,
)
from accounts.http import AuthenticatedRequest
from accounts.models import SignInMethod, SingleSignOn, User
from accounts.selectors import AuditFilters, audit_entry_row, audit_log_list
from accounts.services import user_language_set
from accounts.sso import password_sign_in_allowed, sign_in_record
from accounts.two_factor import (
    two_factor_disable,
    two_factor_enrolment_confirm,
    two_factor_enrolment_start,
    two_factor_is_on,
    two_factor_may_enrol,
    two_factor_pending_start,
    two_factor_pending_user,
    two_factor_recovery_codes_renew,
    two_factor_verify,
)

AUDIT_PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso"] = SingleSignOn.current()
        return context

    def form_invalid(self, form: EmailLoginForm) -> HttpResponse:  # type: ignore[override]
        if self.request.method == "POST":
            sign_in_record(
                request=self.request,
                method=SignInMethod.PASSWORD,
                succeeded=False,
                email=str(self.request.POST.get("username", ""))[:254],
                reason="password refused"
                if not form.has_error(NON_FIELD_ERRORS, "sso_required")
                else "single sign-on required",
            )
        return super().form_invalid(form)

    def form_valid(self, form: EmailLoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if not password_sign_in_allowed(user=user):
            form.add_error(
                None,
                ValidationError(
                    _(
                        "Your organisation signs in with single sign-on: use the button "
                        "below the form."
                    ),
                    code="sso_required",
                ),
            )
            return self.form_invalid(form)
        sign_in_record(
            request=self.request, method=SignInMethod.PASSWORD, succeeded=True, user=user
        )
        if not two_factor_is_on(user=user):
            return super().form_valid(form)
        # The password was right; the login happens only once the code is right too.
        backend = getattr(user, "backend", PASSWORD_BACKEND)  # set by authenticate
        two_factor_pending_start(request=self.request, user=user, backend=backend)
        return redirect(
            f"{reverse('accounts:two_factor_verify')}?{urlencode({'next': self.get_success_url()})}"
        )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's: a link to choose a new password, by email. With "SSO required" the page says
    so, and only the break-glass admin is sent a link (SsoAwarePasswordResetForm)."""

    form_class = SsoAwarePasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso"] = SingleSignOn.current()
        return context


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's: the emailed link sets a password. A link sent before "SSO required" was turned
    on (a reset or an invitation) no longer sets one for anyone but the break-glass admin."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    refused_for_sso = False

    def get_user(self, uidb64: str) -> User | None:
        user: User | None = super().get_user(uidb64)
        if user is not None and not password_sign_in_allowed(user=user):
            self.refused_for_sso = True
            return None
        return user

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["refused_for_sso"] = self.refused_for_sso
        return context


@require_http_methods(["GET", "POST"])
def two_factor_verify_view(request: HttpRequest) -> HttpResponse:
    pending = two_factor_pending_user(request=request)
    if pending is None:
        messages.info(request, _("Log in again: the step before the code took too long."))
        return redirect("accounts:login")
    user, _backend = pending
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor_verify(request=request, user=user, token=form.cleaned_data["code"]):
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        form.add_error(
            "code", _("That code is not right, or too many tries: wait a moment and try again.")
        )
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Admins and leaders turn two-factor on (scan, confirm with a code) or off, and renew
    their recovery codes; others get 404."""
    user = request.user
    if not two_factor_may_enrol(user=user):
        raise Http404
    form = TwoFactorCodeForm(request.POST or None)
    action = request.POST.get("action", "")
    recovery_codes: list[str] = []
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["code"]
        try:
            if action == "enable":
                recovery_codes = two_factor_enrolment_confirm(user=user, token=token)
                messages.success(request, _("Two-factor login is on."))
            elif action == "renew":
                recovery_codes = two_factor_recovery_codes_renew(user=user, token=token)
                messages.success(request, _("New recovery codes: the old ones no longer work."))
            elif action == "disable":
                two_factor_disable(user=user, token=token)
                messages.success(request, _("Two-factor login is off."))
                return redirect("accounts:two_factor")
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            form = TwoFactorCodeForm()
    is_on = two_factor_is_on(user=user)
    context = {
        "form": form,
        "is_on": is_on,
        "recovery_codes": recovery_codes,
        "enrolment": None if is_on else two_factor_enrolment_start(user=user),
    }
    return render(request, "accounts/two_factor.html", context)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie, then back to `next`) for everyone; a
    signed-in person's choice is also saved to their profile, so it follows them to other
    browsers and to their emails."""
    response = i18n_views.set_language(request)
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    context = {"form": form, "may_enrol_two_factor": two_factor_may_enrol(user=request.user)}
    return render(request, "accounts/profile.html", context)


@login_required
@require_GET
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    """Who changed what, when, from where: admins only (404 for anyone else)."""
    require(may_edit_settings(request.user))
    form = AuditLogFilterForm(request.GET or None)
    filters = AuditFilters(**form.cleaned_data) if form.is_valid() else AuditFilters()
    # Queries: the count, then the page (actor and model joined).
    page = Paginator(audit_log_list(filters=filters), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "page": page,
            "entries": [audit_entry_row(entry) for entry in page],
            "query": query.urlencode(),
        },
    )
