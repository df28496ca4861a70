"""A small LTI 1.3 platform for the tests: its own RSA key (made here, per test), its key set
served on loopback, id tokens signed with PyJWT (the JOSE library PyLTI1p3 verifies with), and
the Assignment and Grade Services endpoints recording what arrives. The token endpoint does what
a real platform does with Coachline's client assertion (RFC 7523): it verifies the signature
with the key of the header's `kid` from Coachline's published key set (`tool_jwks`, which the
test fetches from /lti/jwks/), the issuer and subject (the client id), the audience (the token
URL), the expiry and a fresh `jti`; anything else gets 401. The scores endpoint wants a token it
issued with the score scope."""

import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from jwcrypto.jwk import JWK

from tests.fakes.server import FakeServer, Reply, Request
from training.models import LtiPlatform
from training.services.lti import lti_platform_save

CLIENT_ID = "coachline-client"
DEPLOYMENT_ID = "deployment-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def rsa_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class FakePlatform(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.kid = secrets.token_hex(8)
        self.private_pem = rsa_private_pem()
        self.scores: list[dict[str, Any]] = []
        self.token_requests: list[dict[str, list[str]]] = []
        self.tool_jwks: dict[str, Any] = {"keys": []}
        self.access_tokens: dict[str, list[str]] = {}
        self.refusals: list[str] = []
        self._jtis: set[str] = set()

    @property
    def issuer(self) -> str:
        return self.url

    def jwks(self) -> dict[str, Any]:
        public = JWK.from_pem(self.private_pem.encode()).export_public(as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def public_pem(self) -> str:
        return JWK.from_pem(self.private_pem.encode()).export_to_pem().decode()

    def handle(self, request: Request) -> Reply:
        if request.path == "/jwks":
            return Reply(200, self.jwks())
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if request.path.endswith("/scores") and request.method == "POST":
            if SCORE_SCOPE not in self._bearer_scopes(request):
                return Reply(401, {"error": "invalid_token"})
            self.scores.append(
                {
                    "path": request.path,
                    "auth": request.headers.get("authorization"),
                    "content_type": request.headers.get("content-type"),
                    "body": request.json(),
                }
            )
            return Reply(200, {})
        return Reply(404, {"error": "not found"})

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def client_assertion_claims(self, assertion: str) -> dict[str, Any]:
        """The assertion's claims if it verifies against Coachline's published key set; raises
        jwt.InvalidTokenError (or KeyError for an unknown kid) otherwise."""
        kid = jwt.get_unverified_header(assertion).get("kid")
        keys = {key["kid"]: key for key in self.tool_jwks["keys"] if "kid" in key}
        public_key = jwt.PyJWK(keys[kid]).key
        claims: dict[str, Any] = jwt.decode(
            assertion,
            public_key,
            algorithms=["RS256"],
            audience=self.token_url,
            issuer=CLIENT_ID,
            options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]},
        )
        if claims["sub"] != CLIENT_ID:
            raise jwt.InvalidTokenError("sub is not the client id")
        return claims

    def _token(self, request: Request) -> Reply:
        form = parse_qs(request.body.decode())
        self.token_requests.append(form)
        if form.get("grant_type") != ["client_credentials"] or form.get(
            "client_assertion_type"
        ) != ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]:
            self.refusals.append("grant")
            return Reply(400, {"error": "unsupported_grant_type"})
        try:
            claims = self.client_assertion_claims(form["client_assertion"][0])
        except (KeyError, jwt.InvalidTokenError) as exc:
            self.refusals.append(f"assertion: {exc!r}")
            return Reply(401, {"error": "invalid_client"})
        if claims["jti"] in self._jtis:
            self.refusals.append("jti replayed")
            return Reply(401, {"error": "invalid_client"})
        self._jtis.add(claims["jti"])
        token = secrets.token_urlsafe(16)
        self.access_tokens[token] = form.get("scope", [""])[0].split()
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _bearer_scopes(self, request: Request) -> list[str]:
        auth = request.headers.get("authorization", "")
        return self.access_tokens.get(auth.removeprefix("Bearer "), [])

    def deep_linking_claims(self, *, data: str = "platform-opaque-data") -> dict[str, Any]:
        """What makes an id token a deep-linking request from an instructor."""
        return {
            CLAIM + "message_type": "LtiDeepLinkingRequest",
            CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
            DEEP_LINKING_CLAIM: {
                "deep_link_return_url": self.deep_link_return_url,
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False,
                "data": data,
            },
        }

    @property
    def deep_link_return_url(self) -> str:
        return f"{self.url}/deep-link-return"

    def deep_linking_response_claims(self, response_jwt: str) -> dict[str, Any]:
        """The tool's deep-linking response, verified as a platform does: the key of its kid in
        the tool's published key set, audience this issuer, issuer the client id."""
        kid = jwt.get_unverified_header(response_jwt)["kid"]
        [key] = [k for k in self.tool_jwks["keys"] if k["kid"] == kid]
        claims: dict[str, Any] = jwt.decode(
            response_jwt,
            jwt.PyJWK(key).key,
            algorithms=["RS256"],
            audience=self.issuer,
            issuer=CLIENT_ID,
            options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
        )
        return claims

    def lineitem_url(self, n: int = 1) -> str:
        return f"{self.url}/lineitems/{n}"

    def id_token(
        self,
        *,
        nonce: str,
        sub: str = "user-42",
        email: str = "learner@example.com",
        course: str = "",
        aud: str = CLIENT_ID,
        deployment_id: str = DEPLOYMENT_ID,
        key_pem: str | None = None,
        ags: bool = True,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": aud,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": email,
            "name": "Lee Learner",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": deployment_id,
            CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            CLAIM + "resource_link": {"id": "link-1", "title": "Discovery calls"},
            CLAIM + "target_link_uri": "https://coachline.test/lti/launch/",
            CLAIM + "custom": {"course": course},
            **extra,
        }
        if ags:
            claims[AGS_CLAIM] = {
                "scope": [
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                    SCORE_SCOPE,
                ],
                "lineitem": self.lineitem_url(),
                "lineitems": f"{self.url}/lineitems",
            }
        return jwt.encode(
            claims, key_pem or self.private_pem, algorithm="RS256", headers={"kid": self.kid}
        )


def login_redirect_params(location: str) -> dict[str, str]:
    """The state and nonce Coachline put in its redirect to the platform's auth endpoint."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def lti_register(server: FakePlatform, **overrides: Any) -> LtiPlatform:
    """Register the fake platform in Coachline, through the admin page's service."""
    changes: dict[str, Any] = {
        "name": "Moodle (HR)",
        "issuer": server.issuer,
        "client_id": CLIENT_ID,
        "auth_login_url": f"{server.url}/auth",
        "auth_token_url": server.token_url,
        "auth_audience": "",
        "key_set_url": f"{server.url}/jwks",
        "public_key": "",
        "deployment_ids": [DEPLOYMENT_ID],
        "is_active": True,
        **overrides,
    }
    return lti_platform_save(changes=changes)


def lti_login(client: Client, server: FakePlatform) -> dict[str, str]:
    """OIDC login initiation as the platform starts it; the state and nonce Coachline issued."""
    response = client.post(
        "/lti/login/",
        {
            "iss": server.issuer,
            "client_id": CLIENT_ID,
            "login_hint": "user-42",
            "target_link_uri": "http://testserver/lti/launch/",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"{server.url}/auth?")
    params = login_redirect_params(response["Location"])
    assert params["redirect_uri"] == "http://testserver/lti/launch/"
    assert params["client_id"] == CLIENT_ID
    return params


def lti_launch(client: Client, server: FakePlatform, **token: Any) -> Any:
    """Login, then the platform posts its signed id token (claims overridden by `token`)."""
    params = lti_login(client, server)
    id_token = server.id_token(**{"nonce": params["nonce"], **token})
    return client.post("/lti/launch/", {"id_token": id_token, "state": params["state"]})
