"""SAML 2.0 sign-in (Coachline is the service provider), done by pysaml2 with Debian's xmlsec1.

pysaml2 builds the AuthnRequest (HTTP-Redirect binding), the SP metadata the identity provider
imports, and parses and verifies the provider's Response (HTTP-POST binding): the assertion's
signature against the certificate in the provider's metadata (an unsigned assertion is
refused), the audience (our entity id), the recipient (our assertion consumer service URL) and
the validity window. We never parse or check XML signatures ourselves. What pysaml2 keeps no
record of is which assertions were already used: `_assertion_consume` does (decision 0018).

The configuration is built from the SSO settings row on each request, like accounts/oidc.py.
"""

import datetime as dt
import logging
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, SAMLError
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.mdstore import MetadataStore
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS

from accounts.models import SamlAssertionUse, SingleSignOn
from accounts.oidc import PROVIDER_TIMEOUT, ProviderAnswerRefused, ProviderUnavailable
from accounts.sso import VouchedIdentity
from core.http_client import http_client_shared
from events.destinations import DestinationRefused, destination_pinned

logger = logging.getLogger(__name__)

# The largest metadata document we read from a URL (Entra's is ~60 kB with its certificates).
METADATA_MAX_BYTES = 2_000_000
# Clock difference tolerated between the provider and us, in seconds.
CLOCK_SKEW = 120
# How long a used assertion id is kept when the assertion names no end of validity.
ASSERTION_KEEP = dt.timedelta(hours=24)

# Attribute names providers use for the email, the display name and groups; the first present
# wins. pysaml2 turns the standard OIDs into their friendly names (mail, displayName).
EMAIL_ATTRIBUTES = (
    "email",
    "mail",
    "emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
)
NAME_ATTRIBUTES = (
    "displayName",
    "name",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "cn",
)


class MetadataInvalid(Exception):
    """The provider's metadata cannot be used; the message says why, for the admin."""


@dataclass(frozen=True)
class SpUrls:
    """Where Coachline answers as a service provider (absolute, from the request's host)."""

    entity_id: str  # the metadata URL, as is usual
    acs: str


def _xmlsec() -> str:
    path = shutil.which("xmlsec1")
    if path is None:
        raise ProviderUnavailable("xmlsec1 is not installed on this server")
    return path


def _config(*, sso: SingleSignOn | None, urls: SpUrls) -> SPConfig:
    metadata = {"inline": [sso.saml_idp_metadata_xml]} if sso else {}
    config = SPConfig()
    config.load(
        {
            "entityid": urls.entity_id,
            "xmlsec_binary": _xmlsec(),
            "metadata": metadata,
            "allow_unknown_attributes": True,
            "accepted_time_diff": CLOCK_SKEW,
            "service": {
                "sp": {
                    "name": "Coachline",
                    "endpoints": {"assertion_consumer_service": [(urls.acs, BINDING_HTTP_POST)]},
                    # IdP-initiated sign-in sends a Response nobody asked for; replays are
                    # stopped by _assertion_consume instead of by the request id.
                    "allow_unsolicited": True,
                    "authn_requests_signed": False,
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "only_use_keys_in_metadata": True,
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                }
            },
        }
    )
    return config


def sp_metadata_xml(*, urls: SpUrls) -> str:
    """Coachline's SP metadata, for the identity provider to import."""
    return str(entity_descriptor(_config(sso=None, urls=urls)))


def idp_metadata_fetch(*, url: str) -> str:
    """The document at the IdP metadata URL an admin gave, fetched through the webhooks' SSRF
    guard (events.destinations): never from this machine or a private network unless
    WEBHOOKS_ALLOW_PRIVATE_URLS, connecting to the address checked; no redirects."""
    try:
        parsed = httpx.URL(url)
        headers: dict[str, str] = {}
        target, extensions = destination_pinned(parsed, headers)
        response = http_client_shared(key=parsed.host).get(
            target, headers=headers, extensions=extensions, timeout=PROVIDER_TIMEOUT
        )
        response.raise_for_status()
    except DestinationRefused as exc:
        raise MetadataInvalid(str(exc)) from None
    except (httpx.HTTPError, OSError, ValueError) as exc:
        raise MetadataInvalid(f"{url}: {exc.__class__.__name__}") from None
    if len(response.content) > METADATA_MAX_BYTES:
        raise MetadataInvalid(f"{url}: larger than {METADATA_MAX_BYTES} bytes")
    return response.text


def saml_metadata_refresh() -> str:
    """Beat: read the IdP metadata again from its URL, so a rotated signing certificate is
    picked up without a save of the SSO page. The new document must still describe the same
    identity provider with a signing certificate (idp_metadata_check); otherwise, or when the
    URL does not answer, the stored metadata stays and a warning is logged. Returns what
    happened: off, unchanged, updated or failed. Idempotent."""
    sso = SingleSignOn.current()
    if not (sso.saml_enabled and sso.saml_idp_metadata_url):
        return "off"
    try:
        xml = idp_metadata_fetch(url=sso.saml_idp_metadata_url)
        idp_metadata_check(xml=xml, entity_id=sso.saml_idp_entity_id)
    except MetadataInvalid as exc:
        logger.warning("SAML metadata refresh from %s failed: %s", sso.saml_idp_metadata_url, exc)
        return "failed"
    if xml == sso.saml_idp_metadata_xml:
        return "unchanged"
    with transaction.atomic():
        row = SingleSignOn.objects.select_for_update().get(pk=sso.pk)
        # An admin saved another provider meanwhile: theirs stands.
        if (row.saml_idp_metadata_url, row.saml_idp_entity_id) != (
            sso.saml_idp_metadata_url,
            sso.saml_idp_entity_id,
        ):
            return "unchanged"
        row.saml_idp_metadata_xml = xml
        row.save()  # saved, not updated, so the audit log records the change
    return "updated"


def idp_metadata_check(*, xml: str, entity_id: str) -> str:
    """The identity provider's entity id in `xml` (`entity_id` if given, else the only one);
    MetadataInvalid when the document is no SAML metadata, names no such identity provider,
    or gives it no signing certificate or HTTP-Redirect sign-in endpoint."""
    store = MetadataStore(attrc=None, config=SPConfig())
    try:
        store.load("inline", xml)
    except (SAMLError, ValueError, SyntaxError, TypeError) as exc:
        raise MetadataInvalid(f"not SAML metadata ({exc.__class__.__name__})") from None
    idps = sorted(store.identity_providers())
    if entity_id and entity_id not in idps:
        raise MetadataInvalid(f"it describes no identity provider {entity_id!r}")
    if not entity_id and len(idps) != 1:
        raise MetadataInvalid(f"it describes {len(idps)} identity providers; name one")
    chosen = entity_id or idps[0]
    if not store.certs(chosen, "idpsso", "signing"):
        raise MetadataInvalid("it has no signing certificate")
    if not store.single_sign_on_service(chosen, BINDING_HTTP_REDIRECT):
        raise MetadataInvalid("it has no HTTP-Redirect single sign-on endpoint")
    return chosen


def saml_redirect_url(*, sso: SingleSignOn, urls: SpUrls, relay_state: str) -> str:
    """The provider's sign-in URL carrying our AuthnRequest (SP-initiated sign-in)."""
    client = Saml2Client(config=_config(sso=sso, urls=urls))
    try:
        _request_id, info = client.prepare_for_authenticate(
            entityid=sso.saml_idp_entity_id,
            relay_state=relay_state,
            binding=BINDING_HTTP_REDIRECT,
        )
    except (SAMLError, ValueError, KeyError) as exc:
        raise ProviderUnavailable(exc.__class__.__name__) from None
    headers: Mapping[str, str] = dict(info["headers"])
    return headers["Location"]


def _first(attributes: Mapping[str, list[Any]], names: Iterable[str]) -> str:
    folded = {key.lower(): values for key, values in attributes.items()}
    for name in names:
        values = folded.get(name.lower())
        if values:
            return str(values[0])
    return ""


def _assertion_consume(*, assertion_id: str, not_on_or_after: int) -> None:
    """Record that this assertion was used; ProviderAnswerRefused if it already was. The
    unique constraint decides, so two requests with the same assertion cannot both pass."""
    if not_on_or_after:
        expires = dt.datetime.fromtimestamp(not_on_or_after, tz=dt.UTC)
    else:
        expires = timezone.now() + ASSERTION_KEEP
    try:
        with transaction.atomic():
            SamlAssertionUse.objects.create(assertion_id=assertion_id[:255], expires_at=expires)
    except IntegrityError:
        raise ProviderAnswerRefused("assertion already used (replayed)") from None


def saml_finish(*, sso: SingleSignOn, urls: SpUrls, saml_response: str) -> VouchedIdentity:
    """Verify the provider's POSTed Response and return who it vouches for, or raise
    ProviderAnswerRefused (signature, audience, recipient, validity, replay)."""
    client = Saml2Client(config=_config(sso=sso, urls=urls))
    try:
        response = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST)
    except Exception as exc:  # pysaml2 raises a plain Exception for a wrong audience
        raise ProviderAnswerRefused(str(exc)[:150] or exc.__class__.__name__) from None
    if response is None or response.assertion is None:
        raise ProviderAnswerRefused("no assertion")
    if response.issuer() != sso.saml_idp_entity_id:
        raise ProviderAnswerRefused(f"issued by {response.issuer()!r}")
    _assertion_consume(
        assertion_id=str(response.assertion.id), not_on_or_after=response.not_on_or_after
    )
    name_id = response.name_id
    attributes: Mapping[str, list[Any]] = response.ava or {}
    subject = str(name_id.text or "").strip()
    email = _first(attributes, EMAIL_ATTRIBUTES)
    if not email and name_id.format == NAMEID_FORMAT_EMAILADDRESS:
        email = subject
    groups = attributes.get(sso.groups_claim, []) if sso.groups_claim else []
    return VouchedIdentity(
        issuer=sso.saml_idp_entity_id,
        subject=subject,
        email=email,
        full_name=_first(attributes, NAME_ATTRIBUTES),
        groups=tuple(str(g) for g in groups),
        email_verified=None,
    )
