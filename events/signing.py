"""Signatures on outgoing webhooks, Stripe-style, so subscribers can verify what we send.

Header: `X-Coachline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.
The timestamp is inside the signed bytes, so a captured request cannot be replayed later with a
fresh time; receivers reject timestamps older than a few minutes.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Coachline-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def signature_compute(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature_compute(secret=secret, timestamp=timestamp, body=body)}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    now: float,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a subscriber does with our header (also used by our own tests and docs)."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = signature_compute(secret=secret, timestamp=timestamp, body=body)
    # Any v1 may match: during a secret rotation a sender may include one signature per secret.
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))
