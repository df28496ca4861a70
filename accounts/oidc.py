"""OpenID Connect sign-in (authorization code flow with PKCE), done by authlib.

authlib reads the provider's discovery document, sends the browser to it with `state`, a
`nonce` and an S256 code challenge (kept in the session), exchanges the code with the client
secret and the verifier, and verifies the ID token: signature against the provider's JWKS, `iss`
equal to the discovered issuer, `aud` our client id, the session's `nonce`, `exp`/`iat`. We
never parse or check a token ourselves. The client is built from the SSO settings row on each
request, so a change on the SSO page applies at once.
"""

from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.http import HttpRequest, HttpResponse
from joserfc.errors import JoseError

from accounts.models import SingleSignOn
from accounts.sso import VouchedIdentity

# Seconds to wait for the provider (discovery, keys, token exchange) before giving up.
PROVIDER_TIMEOUT = 10
SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105 (a session key name, not a secret)


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered with something that is not OpenID Connect."""


class ProviderAnswerRefused(Exception):
    """The provider answered, but its answer failed a check (state, token signature, issuer,
    audience, nonce, expiry) or it reported an error."""


def discovery_url(issuer: str) -> str:
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def _client(sso: SingleSignOn) -> DjangoOAuth2App:
    registry = OAuth()
    client: DjangoOAuth2App = registry.register(
        name="sso",
        client_id=sso.oidc_client_id,
        client_secret=sso.oidc_client_secret,
        server_metadata_url=discovery_url(sso.oidc_issuer),
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "default_timeout": PROVIDER_TIMEOUT,
        },
    )
    return client


def provider_metadata_check(*, issuer: str) -> dict[str, Any]:
    """Fetch the discovery document (the SSO page's check); raises ProviderUnavailable with a
    reason a person can act on."""
    try:
        response = requests.get(discovery_url(issuer), timeout=PROVIDER_TIMEOUT)
        response.raise_for_status()
        metadata: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{discovery_url(issuer)}: {exc.__class__.__name__}") from None
    if metadata.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"the discovery document names the issuer {metadata.get('issuer')!r}"
        )
    return metadata


def oidc_redirect(*, request: HttpRequest, sso: SingleSignOn, callback_url: str) -> HttpResponse:
    try:
        response: HttpResponse = _client(sso).authorize_redirect(request, callback_url)
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
        raise ProviderUnavailable(exc.__class__.__name__) from None
    return response


def oidc_finish(*, request: HttpRequest, sso: SingleSignOn) -> tuple[VouchedIdentity, str]:
    """Complete the flow on the callback: the verified identity and the raw ID token (kept for
    logout), or ProviderUnavailable / ProviderAnswerRefused."""
    client = _client(sso)
    try:
        token = client.authorize_access_token(request)
    except (OAuthError, JoseError) as exc:
        raise ProviderAnswerRefused(str(exc) or exc.__class__.__name__) from None
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
        raise ProviderUnavailable(exc.__class__.__name__) from None
    claims = token.get("userinfo")
    if not claims:
        raise ProviderAnswerRefused("no ID token")
    groups = claims.get(sso.groups_claim) if sso.groups_claim else None
    if isinstance(groups, str):
        groups = [groups]
    verified = claims.get("email_verified")
    identity = VouchedIdentity(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=str(claims.get("email") or claims.get("preferred_username") or ""),
        full_name=str(claims.get("name") or ""),
        groups=tuple(str(g) for g in groups or () if isinstance(g, (str, int))),
        email_verified=verified if isinstance(verified, bool) else None,
    )
    return identity, str(token.get("id_token", ""))


def oidc_logout_url(*, sso: SingleSignOn, id_token: str, return_url: str) -> str | None:
    """The provider's end-session URL (RP-initiated logout), or None when it has none."""
    try:
        client = _client(sso)
        metadata = client.load_server_metadata()
        if not metadata.get("end_session_endpoint"):
            return None
        result = client.create_logout_url(
            post_logout_redirect_uri=return_url,
            id_token_hint=id_token,
            client_id=sso.oidc_client_id,
        )
    except (requests.RequestException, ValueError, KeyError, RuntimeError):
        return None
    url: str = result["url"]
    return url
