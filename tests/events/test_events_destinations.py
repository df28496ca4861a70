"""Outgoing webhooks refuse loopback, link-local and private addresses, when the URL is saved and
again at delivery (DNS rebinding), unless WEBHOOKS_ALLOW_PRIVATE_URLS (issue #11, item 8)."""

import uuid

import httpx
import pytest
from django.core.exceptions import ValidationError

from events import destinations
from events.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from events.services import webhook_delivery_attempt, webhook_subscription_create
from tests.events.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"


@pytest.fixture
def refuse_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def dns(monkeypatch):
    """dns["hooks.example.com"] = ["10.0.0.7"]: what the resolver answers from now on."""
    answers: dict[str, list[str]] = {}
    monkeypatch.setattr(destinations, "_resolve", lambda host, port: answers[host])
    return answers


def _create(url):
    return webhook_subscription_create(name="x", url=url, event_types=["course.completed"])


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.8.9.10:8443/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://0.0.0.0/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://localhost/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://10.1.2.3/hook", "private"),
        ("https://172.16.0.1/hook", "private"),
        ("https://192.168.1.1/hook", "private"),
        ("https://[fd00::1]/hook", "private"),
        ("https://100.64.0.1/hook", "private"),
    ],
)
def test_a_private_destination_is_refused_naming_the_rule(refuse_private, url, rule):
    with pytest.raises(ValidationError) as refused:
        _create(url)

    message = refused.value.message_dict["url"][0]
    assert f", a {rule} address: webhooks are not sent to loopback" in message
    assert "WEBHOOKS_ALLOW_PRIVATE_URLS" in message
    assert not WebhookSubscription.objects.exists()


def test_a_name_resolving_to_any_private_address_is_refused(refuse_private, dns):
    dns["hooks.example.com"] = [PUBLIC, "10.0.0.7"]

    with pytest.raises(ValidationError) as refused:
        _create("https://hooks.example.com/coachline")

    assert refused.value.message_dict["url"][0].startswith(
        "hooks.example.com resolves to 10.0.0.7, a private address"
    )


def test_a_public_destination_is_accepted(refuse_private, dns):
    dns["hooks.example.com"] = [PUBLIC]

    assert _create("https://hooks.example.com/coachline").url == (
        "https://hooks.example.com/coachline"
    )


def test_the_admin_setting_allows_private_destinations(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True

    assert _create("https://127.0.0.1:9000/hook").url == "https://127.0.0.1:9000/hook"


def test_the_admin_page_shows_the_rule(refuse_private, cast, client):
    client.force_login(cast.admin)

    response = client.post(
        "/integrations/webhooks/new/",
        {"name": "x", "url": "https://169.254.169.254/", "event_types": ["course.completed"]},
    )

    assert response.status_code == 400
    assert "169.254.169.254 resolves to 169.254.169.254, a link-local address" in (
        response.content.decode()
    )


def _delivery(url):
    sub = WebhookSubscriptionFactory(url=url)
    return WebhookDelivery.objects.create(
        subscription=sub, event_id=uuid.uuid4(), event_type="course.completed", body="{}"
    )


def _recording_client(seen):
    def handle(request):
        seen.append(request)
        return httpx.Response(204)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_delivery_connects_to_the_checked_address_naming_the_host(refuse_private, dns):
    dns["hooks.example.com"] = [PUBLIC]
    delivery = _delivery("https://hooks.example.com:8443/coachline?a=1")
    seen: list[httpx.Request] = []

    outcome = webhook_delivery_attempt(delivery_id=delivery.pk, client=_recording_client(seen))

    assert outcome.status == DeliveryStatus.SUCCEEDED
    [request] = seen
    assert str(request.url) == f"https://{PUBLIC}:8443/coachline?a=1"
    assert request.headers["Host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_a_name_rebound_to_a_private_address_is_refused_at_delivery(refuse_private, dns):
    dns["hooks.example.com"] = [PUBLIC]
    delivery = _delivery(_create("https://hooks.example.com/coachline").url)
    dns["hooks.example.com"] = ["127.0.0.1"]  # the attacker's DNS now answers loopback
    seen: list[httpx.Request] = []

    outcome = webhook_delivery_attempt(delivery_id=delivery.pk, client=_recording_client(seen))

    delivery.refresh_from_db()
    assert (outcome.status, delivery.status, seen) == ("failed", "failed", [])
    assert delivery.last_error.startswith(
        "hooks.example.com resolves to 127.0.0.1, a loopback address"
    )


def test_a_name_that_stops_resolving_is_retried_later(refuse_private, dns, monkeypatch):
    def gone(host, port):
        raise OSError("Name or service not known")

    delivery = _delivery("https://hooks.example.com/coachline")
    monkeypatch.setattr(destinations, "_resolve", gone)

    outcome = webhook_delivery_attempt(delivery_id=delivery.pk, client=_recording_client([]))

    assert outcome.status == DeliveryStatus.PENDING
    assert outcome.next_attempt_at is not None
