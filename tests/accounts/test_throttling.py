"""API keys are principals with their own rate; throttling degrades when the cache is down
(issue #11, item 2). The test settings switch throttling off, so each test here switches the
production throttles back on."""

import logging

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils.module_loading import import_string
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from config import settings as production_settings
from tests.factories import make_api_key

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens here (the helper ports 8201-8209 are ours; 8209 is left closed).
        "LOCATION": "redis://127.0.0.1:8209/0",
    }
}


@pytest.fixture
def throttled(monkeypatch):
    """The throttles config/settings.py names, with small people/anonymous rates."""
    classes = [
        import_string(path)
        for path in production_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    ]
    monkeypatch.setattr(APIView, "throttle_classes", classes)
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/hour", "anon": "2/hour"})
    cache.clear()
    yield
    cache.clear()


def _key_client(requests_per_hour=None, *, ip="203.0.113.7"):
    key, raw = make_api_key("users:read")
    if requests_per_hour is not None:
        key.requests_per_hour = requests_per_hour
        key.save(update_fields=["requests_per_hour"])
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _statuses(client, n):
    return [client.get("/api/v1/users/").status_code for _ in range(n)]


def test_a_new_key_gets_ten_thousand_requests_an_hour():
    key, _raw = make_api_key("users:read")

    assert key.requests_per_hour == 10_000


def test_two_keys_behind_one_ip_are_throttled_independently(throttled):
    first, second = _key_client(3), _key_client(3)

    assert _statuses(first, 4) == [200, 200, 200, 429]
    assert _statuses(second, 3) == [200, 200, 200]
    assert _statuses(first, 1) == [429]


def test_a_per_key_rate_is_honoured_and_says_when_to_retry(throttled):
    client = _key_client(5)

    assert _statuses(client, 6) == [200] * 5 + [429]
    refused = client.get("/api/v1/users/")
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 3600


def test_key_traffic_does_not_spend_the_anonymous_or_person_budget_of_its_ip(throttled, cast):
    # The anonymous rate is 2 an hour here; a key behind the same IP is far from its own rate.
    assert _statuses(_key_client(ip="127.0.0.1"), 5) == [200] * 5
    # The schema is the API view anonymous callers may read (others answer 401 before throttles).
    anonymous = APIClient(REMOTE_ADDR="127.0.0.1")
    assert [anonymous.get("/api/schema/").status_code for _ in range(3)] == [200, 200, 429]


def test_session_and_anonymous_rates_are_unchanged(throttled, cast):
    person = APIClient()
    person.force_login(cast.leader)

    assert _statuses(person, 4) == [200, 200, 200, 429]


@override_settings(CACHES=DEAD_REDIS)
def test_with_redis_down_an_authenticated_api_call_answers_200_and_logs(throttled, cast, caplog):
    person = APIClient()
    person.force_login(cast.leader)

    with caplog.at_level(logging.WARNING, logger="accounts.throttling"):
        key_status = _key_client().get("/api/v1/users/").status_code
        person_status = person.get("/api/v1/users/").status_code

    assert (key_status, person_status) == (200, 200)
    assert [r.getMessage().split(" skipped")[0] for r in caplog.records] == [
        "ApiKeyRateThrottle",
        "PersonRateThrottle",
    ]
