"""A small LTI 1.3 platform for the tests: its own RSA key (made here, per test), its key set
served on loopback, id tokens signed with PyJWT (the JOSE library PyLTI1p3 verifies with), and
the Assignment and Grade Services endpoints (token, line-item scores) recording what arrives."""

import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from tests.fakes.server import FakeServer, Reply, Request

CLIENT_ID = "coachline-client"
DEPLOYMENT_ID = "deployment-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


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
            self.token_requests.append(parse_qs(request.body.decode()))
            return Reply(
                200, {"access_token": "platform-token", "token_type": "Bearer", "expires_in": 3600}
            )
        if request.path.endswith("/scores") and request.method == "POST":
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
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
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
