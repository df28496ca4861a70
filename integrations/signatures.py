"""HubSpot's request signature, version 3, checked exactly as HubSpot documents it.

X-HubSpot-Signature-v3 = base64(HMAC-SHA256(app client secret,
    method + URI + raw body + X-HubSpot-Request-Timestamp)), with the timestamp in epoch
milliseconds. Requests older than five minutes are refused (a captured request cannot be
replayed later), and the comparison runs in constant time.

The URI is the full URL HubSpot called (scheme, host, path, query), with a few percent-encoded
characters decoded as HubSpot's documentation lists them.
"""

import base64
import hashlib
import hmac
from collections.abc import Iterable

MAX_AGE_MS = 5 * 60 * 1000
SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"

# HubSpot decodes these before signing, so we do the same to the URI we were called on.
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


def hubspot_uri_normalise(uri: str) -> str:
    for encoded, char in _DECODED.items():
        uri = uri.replace(encoded, char).replace(encoded.lower(), char)
    return uri


def hubspot_signature_v3(
    *, client_secret: str, method: str, uri: str, body: bytes, timestamp: str
) -> str:
    source = (
        method.upper().encode() + hubspot_uri_normalise(uri).encode() + body + timestamp.encode()
    )
    digest = hmac.new(client_secret.encode(), source, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def hubspot_signature_v3_valid(
    *,
    client_secret: str,
    method: str,
    uris: Iterable[str],
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now_ms: int,
) -> bool:
    """True when the signature matches for one of `uris` and the timestamp is fresh.

    Several URIs may be tried because behind a proxy the URL HubSpot called and the URL Django
    sees can differ (http vs https, host); each candidate still needs the app's secret.
    """
    if not client_secret or not signature or not timestamp or not timestamp.isdecimal():
        return False
    # Stale requests are refused, and so are ones from the future beyond the same skew.
    if abs(now_ms - int(timestamp)) > MAX_AGE_MS:
        return False
    expected_any = False
    for uri in dict.fromkeys(uris):
        expected = hubspot_signature_v3(
            client_secret=client_secret, method=method, uri=uri, body=body, timestamp=timestamp
        )
        # compare_digest on every candidate, no early exit: timing says nothing about which.
        expected_any |= hmac.compare_digest(expected.encode(), signature.encode())
    return expected_any
