"""The provider's claims, and the one test hook: `CONTROL["tamper"]` makes the provider mint a
bad ID token (wrong audience, issuer, nonce or signature, or expired), the way a misconfigured
or malicious provider would, so that the relying party's checks are exercised for real."""

import time
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

CONTROL: dict[str, Any] = {"tamper": "", "email": "", "name": "", "groups": [], "verified": True}


class TestValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below goes into the ID token

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        return {
            "email": CONTROL["email"] or request.user.email,
            "email_verified": CONTROL["verified"],
            "name": CONTROL["name"] or request.user.get_full_name(),
            "groups": list(CONTROL["groups"]),
        }

    def get_oidc_issuer_endpoint(self, request: Any) -> str:
        issuer = super().get_oidc_issuer_endpoint(request)
        # Only the ID token lies about its issuer; discovery keeps telling the truth.
        if CONTROL["tamper"] == "iss" and getattr(request, "_minting_id_token", False):
            return "http://issuer.invalid/o"
        return issuer

    def get_id_token_dictionary(self, token: Any, token_handler: Any, request: Any) -> Any:
        request._minting_id_token = True
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        if CONTROL["tamper"] == "expired":
            # An hour ago: well past any clock-skew leeway a relying party allows.
            claims["exp"] = int(time.time()) - 3600
            claims["auth_time"] = int(time.time()) - 4 * 3600
        return claims, expiration

    def finalize_id_token(self, id_token: Any, token: Any, token_handler: Any, request: Any) -> str:
        if CONTROL["tamper"] == "aud":
            id_token["aud"] = "someone-else"
        if CONTROL["tamper"] == "nonce":
            id_token["nonce"] = "not-the-nonce-you-sent"
        if CONTROL["tamper"] == "expired":
            id_token["iat"] = int(id_token.get("iat", 0)) - 4 * 3600
        signed: str = super().finalize_id_token(id_token, token, token_handler, request)
        if CONTROL["tamper"] == "signature":
            header, payload, signature = signed.split(".")
            # Same header and claims, a signature over something else: it cannot verify.
            flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
            signed = ".".join((header, payload, flipped))
        return signed
