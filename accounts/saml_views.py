"""SAML 2.0 pages: Coachline's SP metadata, SP-initiated sign-in, and the assertion consumer
service that takes both SP- and IdP-initiated Responses. The protocol is pysaml2's
(accounts/saml.py); who the person is, accounts/sso.py decides, as for OpenID Connect."""

from http import HTTPStatus

from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import SignInMethod, SingleSignOn
from accounts.oidc import ProviderAnswerRefused, ProviderUnavailable
from accounts.saml import saml_finish, saml_redirect_url, sp_metadata_xml
from accounts.sso import SignInRefused, sign_in_record, sso_user_resolve
from accounts.sso_views import SSO_BACKEND, safe_next, sp_urls, sso_error_page


@require_GET
def saml_metadata(request: HttpRequest) -> HttpResponse:
    """Public: the identity provider imports it (entity id, assertion consumer service)."""
    try:
        xml = sp_metadata_xml(urls=sp_urls(request))
    except ProviderUnavailable as exc:
        return HttpResponse(
            str(exc), status=HTTPStatus.SERVICE_UNAVAILABLE, content_type="text/plain"
        )
    return HttpResponse(xml, content_type="application/samlmetadata+xml")


@require_GET
def saml_login(request: HttpRequest) -> HttpResponse:
    sso = SingleSignOn.current()
    if not sso.saml_enabled:
        raise Http404("SAML sign-in is off")
    # The RelayState comes back with the Response; it is checked again there.
    next_url = safe_next(request, request.GET.get("next", ""))
    try:
        url = saml_redirect_url(sso=sso, urls=sp_urls(request), relay_state=next_url)
    except ProviderUnavailable:
        return sso_error_page(
            request,
            message=_("SAML sign-in cannot start: the identity provider's settings are unusable."),
            status=HTTPStatus.BAD_GATEWAY,
        )
    return redirect(url)


def _refused(request: HttpRequest, *, provider: str, reason: str, email: str = "") -> None:
    sign_in_record(
        request=request,
        method=SignInMethod.SAML,
        succeeded=False,
        email=email,
        provider=provider,
        reason=reason,
    )


@csrf_exempt  # the identity provider's page posts here (HTTP-POST binding); it is signed instead
@require_POST
def saml_acs(request: HttpRequest) -> HttpResponse:
    sso = SingleSignOn.current()
    if not sso.saml_enabled:
        raise Http404("SAML sign-in is off")
    provider = sso.saml_idp_entity_id
    try:
        identity = saml_finish(
            sso=sso, urls=sp_urls(request), saml_response=request.POST.get("SAMLResponse", "")
        )
    except (ProviderAnswerRefused, ProviderUnavailable) as exc:
        _refused(request, provider=provider, reason=f"answer refused: {exc}")
        return sso_error_page(
            request,
            message=_(
                "The answer from your identity provider could not be verified (it may be "
                "unsigned, expired, meant for another service or already used), so you are not "
                "signed in. Start again from the login page."
            ),
            status=HTTPStatus.BAD_REQUEST,
        )
    try:
        user = sso_user_resolve(sso=sso, identity=identity)
    except SignInRefused as exc:
        _refused(request, provider=provider, reason=exc.reason, email=identity.email)
        return sso_error_page(request, message=exc.reason, status=HTTPStatus.FORBIDDEN)
    login(request, user, backend=SSO_BACKEND)
    sign_in_record(
        request=request, method=SignInMethod.SAML, succeeded=True, user=user, provider=provider
    )
    return redirect(safe_next(request, request.POST.get("RelayState", "")) or "home")
