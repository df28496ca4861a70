"""Single sign-on pages: the OpenID Connect round trip, the admin's SSO settings, the sign-in
record, and logout that also ends the provider's session where the protocol offers it."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import people_admin_check
from accounts.backends import VOUCHED_BACKEND
from accounts.forms import SsoSettingsForm
from accounts.http import AuthenticatedRequest
from accounts.models import Scope, SignInMethod, SingleSignOn
from accounts.oidc import (
    SESSION_ID_TOKEN,
    ProviderAnswerRefused,
    ProviderUnavailable,
    oidc_finish,
    oidc_logout_url,
    oidc_redirect,
    provider_metadata_check,
)
from accounts.saml import MetadataInvalid, SpUrls, idp_metadata_check, idp_metadata_fetch
from accounts.selectors import scim_key_list, sign_in_list
from accounts.services import api_key_create
from accounts.sso import (
    SignInRefused,
    group_rules_parse,
    group_rules_text,
    sign_in_record,
    sso_settings_update,
    sso_user_resolve,
)
from core.forms import form_add_service_errors

SESSION_NEXT = "sso_next"
SIGN_INS_PAGE_SIZE = 50
# Sessions signed in through a provider: no password was checked, the provider vouched.
SSO_BACKEND = VOUCHED_BACKEND


def sp_urls(request: HttpRequest) -> SpUrls:
    """Where Coachline answers as a SAML service provider; the metadata URL is the entity id."""
    return SpUrls(
        entity_id=request.build_absolute_uri(reverse("accounts:saml_metadata")),
        acs=request.build_absolute_uri(reverse("accounts:saml_acs")),
    )


def sso_error_page(request: HttpRequest, *, message: str, status: int) -> HttpResponse:
    return render(request, "accounts/sso_error.html", {"message": message}, status=status)


def safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    sso = SingleSignOn.current()
    if not sso.oidc_enabled:
        raise Http404("Single sign-on is off")
    request.session[SESSION_NEXT] = safe_next(request, request.GET.get("next", ""))
    try:
        return oidc_redirect(
            request=request,
            sso=sso,
            callback_url=request.build_absolute_uri(reverse("accounts:oidc_callback")),
        )
    except ProviderUnavailable:
        return sso_error_page(
            request,
            message=_(
                "%(provider)s does not answer right now, so single sign-on cannot start. Try "
                "again in a few minutes; if it persists, tell your IT team."
            )
            % {"provider": sso.provider_name or sso.oidc_issuer},
            status=HTTPStatus.BAD_GATEWAY,
        )


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    sso = SingleSignOn.current()
    if not sso.oidc_enabled:
        raise Http404("Single sign-on is off")
    provider = sso.oidc_issuer
    try:
        identity, id_token = oidc_finish(request=request, sso=sso)
        user = sso_user_resolve(sso=sso, identity=identity)
    except ProviderUnavailable as exc:
        sign_in_record(
            request=request,
            method=SignInMethod.OIDC,
            succeeded=False,
            provider=provider,
            reason=f"provider unavailable: {exc}",
        )
        return sso_error_page(
            request,
            message=_(
                "%(provider)s did not answer while finishing your sign-in. Try again in a few "
                "minutes."
            )
            % {"provider": sso.provider_name or provider},
            status=HTTPStatus.BAD_GATEWAY,
        )
    except ProviderAnswerRefused as exc:
        sign_in_record(
            request=request,
            method=SignInMethod.OIDC,
            succeeded=False,
            provider=provider,
            reason=f"answer refused: {exc}",
        )
        return sso_error_page(
            request,
            message=_(
                "The answer from your identity provider could not be verified, so you are not "
                "signed in. Start again from the login page."
            ),
            status=HTTPStatus.BAD_REQUEST,
        )
    except SignInRefused as exc:
        sign_in_record(
            request=request,
            method=SignInMethod.OIDC,
            succeeded=False,
            email=identity.email,
            provider=provider,
            reason=exc.reason,
        )
        return sso_error_page(request, message=exc.reason, status=HTTPStatus.FORBIDDEN)
    next_url = request.session.pop(SESSION_NEXT, "")
    login(request, user, backend=SSO_BACKEND)
    request.session[SESSION_ID_TOKEN] = id_token
    sign_in_record(
        request=request, method=SignInMethod.OIDC, succeeded=True, user=user, provider=provider
    )
    return redirect(next_url or "home")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End the session here, then, after a single sign-on, at the provider too (RP-initiated
    logout) when it publishes an end-session endpoint."""
    id_token = request.session.get(SESSION_ID_TOKEN, "")
    logout(request)
    if id_token:
        sso = SingleSignOn.current()
        if sso.oidc_enabled:
            url = oidc_logout_url(
                sso=sso,
                id_token=id_token,
                return_url=request.build_absolute_uri(reverse("accounts:login")),
            )
            if url:
                # A page that moves on by itself, not a redirect: the logout form's CSP
                # (form-action 'self') would block a redirect to the provider's origin.
                return render(
                    request,
                    "accounts/sso_logout.html",
                    {"logout_url": url, "provider": sso.provider_name or sso.oidc_issuer},
                )
    return redirect("accounts:login")


def _saml_metadata_read(form: SsoSettingsForm) -> dict[str, str]:
    """The identity provider's metadata (read from its URL when one is given) and entity id,
    checked; a problem becomes a form error."""
    data = form.cleaned_data
    try:
        xml = data["saml_idp_metadata_xml"]
        if data["saml_idp_metadata_url"]:
            xml = idp_metadata_fetch(url=data["saml_idp_metadata_url"])
        if not xml.strip():
            return {}
        entity_id = idp_metadata_check(xml=xml, entity_id=data["saml_idp_entity_id"].strip())
    except MetadataInvalid as exc:
        form.add_error(
            "saml_idp_metadata_url" if data["saml_idp_metadata_url"] else "saml_idp_metadata_xml",
            _("The SAML metadata cannot be used: %(why)s.") % {"why": exc},
        )
        return {}
    return {"saml_idp_metadata_xml": xml, "saml_idp_entity_id": entity_id}


@login_required
@require_http_methods(["GET", "POST"])
def sso_settings(request: AuthenticatedRequest) -> HttpResponse:
    people_admin_check(request.user)
    sso = SingleSignOn.current()
    form = SsoSettingsForm(
        request.POST or None,
        initial={
            "oidc_enabled": sso.oidc_enabled,
            "provider_name": sso.provider_name,
            "oidc_issuer": sso.oidc_issuer,
            "oidc_client_id": sso.oidc_client_id,
            "allowed_domains": ", ".join(sso.allowed_domains),
            "groups_claim": sso.groups_claim,
            "group_mapping": group_rules_text(sso.group_mapping),
            "jit_enabled": sso.jit_enabled,
            "sso_required": sso.sso_required,
            "break_glass_user": sso.break_glass_user,
            "saml_enabled": sso.saml_enabled,
            "saml_idp_metadata_url": sso.saml_idp_metadata_url,
            "saml_idp_metadata_xml": sso.saml_idp_metadata_xml,
            "saml_idp_entity_id": sso.saml_idp_entity_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rules = group_rules_parse(data["group_mapping"])
        except ValidationError as exc:
            form.add_error("group_mapping", exc)
        else:
            if data["oidc_enabled"] and data["oidc_issuer"]:
                try:
                    provider_metadata_check(issuer=data["oidc_issuer"])
                except ProviderUnavailable as exc:
                    form.add_error(
                        "oidc_issuer",
                        _("The provider's discovery document could not be read (%(why)s).")
                        % {"why": exc},
                    )
            saml = _saml_metadata_read(form) if data["saml_enabled"] else {}
            if form.is_valid():
                try:
                    sso_settings_update(actor=request.user, changes={**data, **saml}, rules=rules)
                except ValidationError as exc:
                    form_add_service_errors(form, exc)
                else:
                    messages.success(request, _("Single sign-on settings saved."))
                    return redirect("accounts:sso_settings")
    context = {
        "form": form,
        "sso": sso,
        "callback_url": request.build_absolute_uri(reverse("accounts:oidc_callback")),
        "login_url": request.build_absolute_uri(reverse("accounts:oidc_login")),
        "has_secret": bool(sso.oidc_client_secret),
        "scim_url": request.build_absolute_uri(reverse("scim_root")),
        "scim_keys": scim_key_list(),
        "saml": sp_urls(request),
    }
    return render(request, "accounts/sso_settings.html", context)


@login_required
@require_POST
def scim_token_create(request: AuthenticatedRequest) -> HttpResponse:
    """A new bearer token for the identity provider's SCIM client (an API key with only the
    scim scope), shown on this response only."""
    people_admin_check(request.user)
    name = (request.POST.get("name") or "").strip()[:50]
    if not name:
        messages.error(request, _("Give the provisioning token a name."))
        return redirect("accounts:sso_settings")
    _key, raw = api_key_create(name=name, scopes=[Scope.SCIM], created_by=request.user)
    response = render(
        request,
        "accounts/scim_token.html",
        {"token": raw, "name": name, "scim_url": request.build_absolute_uri(reverse("scim_root"))},
    )
    response["Cache-Control"] = "no-store"  # the token must not stay in any cache
    return response


@login_required
@require_GET
def sign_ins(request: AuthenticatedRequest) -> HttpResponse:
    """Every sign-in and failed attempt, newest first (admins)."""
    people_admin_check(request.user)
    # Queries: the count, then the page with the person joined.
    page = Paginator(sign_in_list(), SIGN_INS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/sign_ins.html", {"page": page, "records": list(page)})
