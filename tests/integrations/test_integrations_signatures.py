import pytest

from integrations.signatures import (
    hubspot_signature_v3,
    hubspot_signature_v3_valid,
    hubspot_uri_normalise,
)

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
BODY = b'[{"eventId":1}]'
NOW = 1_700_000_000_000
# HMAC-SHA256(secret, "POST" + uri + body + timestamp), base64; computed independently.
EXPECTED = "vnX5Als0n2OhEZQxOS/1ftERzeabHuxE8jEarlPWRdE="


def test_v3_signature_is_the_documented_hmac():
    signature = hubspot_signature_v3(
        client_secret=SECRET,
        method="POST",
        uri="https://www.example.com/webhook_uri",
        body=BODY,
        timestamp=str(NOW),
    )

    assert signature == EXPECTED


def check(**overrides):
    kwargs = {
        "client_secret": SECRET,
        "method": "POST",
        "uris": ["https://www.example.com/webhook_uri"],
        "body": BODY,
        "timestamp": str(NOW),
        "signature": EXPECTED,
        "now_ms": NOW,
    }
    return hubspot_signature_v3_valid(**{**kwargs, **overrides})


def test_a_matching_fresh_signature_is_valid():
    assert check()


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_secret": "other"},
        {"client_secret": ""},
        {"method": "GET"},
        {"body": b'[{"eventId":2}]'},
        {"uris": ["https://www.example.com/other"]},
        {"signature": EXPECTED.lower()},
        {"signature": None},
        {"timestamp": None},
        {"timestamp": "17e11"},
        {"now_ms": NOW + 5 * 60 * 1000 + 1},
        {"now_ms": NOW - 5 * 60 * 1000 - 1},
    ],
)
def test_anything_different_or_stale_is_invalid(overrides):
    assert not check(**overrides)


def test_five_minutes_old_is_still_accepted():
    assert check(now_ms=NOW + 5 * 60 * 1000)


def test_any_of_several_candidate_uris_may_match():
    assert check(uris=["http://internal:8000/webhook_uri", "https://www.example.com/webhook_uri"])


def test_uri_decoding_follows_hubspots_list():
    assert hubspot_uri_normalise("https://x.io/hook?a=b%3Ac%2Fd%2a%40%2C") == (
        "https://x.io/hook?a=b:c/d*@,"
    )
    assert hubspot_uri_normalise("https://x.io/hook?q=a%20b") == "https://x.io/hook?q=a%20b"
