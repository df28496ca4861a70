"""The glue between PyLTI1p3 and Coachline's platform registrations.

PyLTI1p3 checks the OIDC state, the nonce it issued, the registration (issuer and audience),
the signature against the platform's keys and the deployment id. It keeps its state and nonces
in the Django cache (not the session: the launch is a cross-site POST that carries no session
cookie). What it leaves to the tool, replays of an accepted id token, is
`training.services.lti.launch_accept`'s unique (platform, nonce).
"""

import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from pylti1p3.contrib.django.launch_data_storage.cache import DjangoCacheDataStorage
from pylti1p3.contrib.django.message_launch import DjangoMessageLaunch
from pylti1p3.contrib.django.oidc_login import DjangoOIDCLogin
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from training.models import Course, LtiPlatform

ALGORITHM = "RS256"
SCORE_MAXIMUM = 100  # a course's score goes to the platform in percent


def tool_private_key_new() -> str:
    """A fresh RSA private key (PEM) for Coachline towards one platform."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def tool_public_pem(platform: LtiPlatform) -> str:
    """The public half of Coachline's key towards `platform`."""
    public_pem: bytes = JWK.from_pem(platform.tool_private_key.encode()).export_to_pem()
    return public_pem.decode()


def tool_public_jwk(platform: LtiPlatform) -> dict[str, Any]:
    """The JWK a platform verifies Coachline's signatures with. Its `kid` is PyLTI1p3's own
    (`Registration.get_jwk`: the RFC 7638 thumbprint of the public key), the same function the
    library calls to put the `kid` header on every JWT it signs (service-token requests,
    deep-linking responses), so the published key set and the signatures always agree."""
    return dict(Registration.get_jwk(tool_public_pem(platform)))


def tool_jwks() -> dict[str, list[dict[str, Any]]]:
    """The key set platforms fetch from Coachline's JWKS URL: every active platform's key."""
    platforms = LtiPlatform.objects.filter(is_active=True).exclude(tool_private_key="")
    return {"keys": [tool_public_jwk(p) for p in platforms.order_by("pk")]}


def platform_key_set(text: str) -> dict[str, Any] | None:
    """A pasted JWKS (or one JWK) as the key set PyLTI1p3 matches by `kid`; None for a PEM."""
    text = text.strip()
    if not text.startswith("{"):
        return None
    data = json.loads(text)
    return data if "keys" in data else {"keys": [data]}


def registration_of(platform: LtiPlatform) -> Registration:
    registration = (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_tool_private_key(platform.tool_private_key)
        .set_tool_public_key(tool_public_pem(platform))
        .set_key_set_url(platform.key_set_url or None)
        .set_key_set(
            platform_key_set(platform.public_key) if platform.public_key else None  # type: ignore[arg-type]
        )
    )
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    return registration


def platform_find(issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The active registration for (issuer, client id); without a client id (some platforms
    leave it out of the login request), the issuer's only one."""
    platforms = LtiPlatform.objects.filter(issuer=issuer, is_active=True)
    if client_id:
        return platforms.filter(client_id=client_id).first()
    found = list(platforms[:2])
    return found[0] if len(found) == 1 else None


class ToolConf(ToolConfAbstract):  # type: ignore[type-arg]
    """Registrations from `LtiPlatform` rows; an issuer may have several client ids."""

    def __init__(self) -> None:
        self.issuers_relation_types = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        raise NotImplementedError  # every issuer may have several client ids

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        platform = platform_find(iss, client_id)
        return registration_of(platform) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        raise NotImplementedError

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = platform_find(iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


def launch_storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name="default")  # type: ignore[no-untyped-call]


class OidcLogin(DjangoOIDCLogin):
    """The library's OIDC login initiation, named here so views import one module."""


class MessageLaunch(DjangoMessageLaunch):
    """The library's launch, plus a platform key given as a PEM (no key id to match)."""

    def get_public_key(self) -> tuple[str, str]:
        platform = platform_find(self.get_iss(), self.get_client_id())
        if platform and platform.public_key and platform_key_set(platform.public_key) is None:
            return platform.public_key.strip(), ALGORITHM
        key: tuple[str, str] = super().get_public_key()
        return key


__all__ = ["LtiException", "MessageLaunch", "OidcLogin", "ToolConf", "launch_storage"]


DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def course_link_jwt(message_launch: MessageLaunch, *, course: Course, launch_url: str) -> str:
    """PyLTI1p3's signed deep-linking response offering `course` as one resource link: it opens
    at `launch_url` with the custom parameter `course` (what a launch reads), and asks for a
    line item out of 100 so the platform has somewhere to take the score."""
    line_item = (
        LineItem()
        .set_score_maximum(SCORE_MAXIMUM)
        .set_label(course.title)
        .set_resource_id(course.slug)
    )
    resource = (
        DeepLinkResource()
        .set_url(launch_url)
        .set_title(course.title)
        .set_custom_params({"course": course.slug})
        .set_lineitem(line_item)
    )
    jwt: str = message_launch.get_deep_link().get_response_jwt([resource])
    return jwt
