"""Deliveries share one pooled keep-alive client per worker process (core.http_client), and the
address check still decides every connection: a kept-alive connection to the address a name
resolved to before never carries a delivery after the name resolves elsewhere (issue #13 item 4).

Real sockets on loopback: 127.0.0.1 and 127.0.0.3 play public addresses and 127.0.0.2 a private
one (address_rule is replaced for these tests only); the receiver records every connection.
"""

import ipaddress
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core import http_client
from events import destinations
from events.models import DeliveryStatus, WebhookDelivery
from events.services import webhook_delivery_attempt
from tests.events.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

PRIVATE_FOR_THE_TEST = ipaddress.ip_address("127.0.0.2")


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("0.0.0.0", 0), _Handler)  # noqa: S104 (loopback addresses only)
        self.connections: list[str] = []  # the local address each connection was made to
        self.requests: list[tuple[str, str]] = []  # (local address, Host header)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Receiver

    def setup(self) -> None:
        super().setup()
        self.server.connections.append(self.connection.getsockname()[0])

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append((self.connection.getsockname()[0], self.headers["Host"]))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This test's own pools, closed afterwards."""
    monkeypatch.setattr(http_client, "_clients", http_client.OrderedDict())
    yield
    for client in http_client._clients.values():
        client.close()


@pytest.fixture
def dns(settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    answers: dict[str, list[str]] = {}
    monkeypatch.setattr(destinations, "_resolve", lambda host, port: answers[host])
    real_rule = destinations.address_rule

    def rule(address: destinations.Address) -> str | None:
        if address == PRIVATE_FOR_THE_TEST:
            return "private"
        return None if address.is_loopback else real_rule(address)

    monkeypatch.setattr(destinations, "address_rule", rule)
    return answers


def _deliver(url: str) -> tuple[WebhookDelivery, Any]:
    sub = WebhookSubscriptionFactory(url=url)
    delivery = WebhookDelivery.objects.create(
        subscription=sub, event_id=uuid.uuid4(), event_type="course.completed", body="{}"
    )
    outcome = webhook_delivery_attempt(delivery_id=delivery.pk)  # the process's shared client
    delivery.refresh_from_db()
    return delivery, outcome


def test_deliveries_to_one_host_reuse_one_connection(receiver, pools, dns):
    port = receiver.server_address[1]
    dns["hooks.example.com"] = ["127.0.0.1"]

    for _ in range(3):
        delivery, _outcome = _deliver(f"http://hooks.example.com:{port}/hook")
        assert delivery.status == DeliveryStatus.SUCCEEDED

    assert receiver.requests == [("127.0.0.1", f"hooks.example.com:{port}")] * 3
    assert receiver.connections == ["127.0.0.1"]


def test_a_kept_alive_connection_does_not_carry_a_delivery_after_rebinding(receiver, pools, dns):
    port = receiver.server_address[1]
    url = f"http://hooks.example.com:{port}/hook"
    dns["hooks.example.com"] = ["127.0.0.1"]
    _deliver(url)  # leaves a live connection to 127.0.0.1 in the host's pool

    dns["hooks.example.com"] = ["127.0.0.2"]  # the attacker's DNS now answers a private address
    delivery, outcome = _deliver(url)

    assert (outcome.status, delivery.status) == ("failed", "failed")
    assert "127.0.0.2, a private address" in delivery.last_error
    assert len(receiver.requests) == 1  # nothing went out over the pooled connection

    dns["hooks.example.com"] = ["127.0.0.3"]  # another allowed address: a connection of its own
    delivery, _outcome = _deliver(url)

    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert receiver.requests[-1] == ("127.0.0.3", f"hooks.example.com:{port}")
    assert receiver.connections == ["127.0.0.1", "127.0.0.3"]


def test_two_hosts_on_one_address_do_not_share_a_connection(receiver, pools, dns):
    port = receiver.server_address[1]
    dns["a.example.com"] = dns["b.example.com"] = ["127.0.0.1"]

    _deliver(f"http://a.example.com:{port}/hook")
    _deliver(f"http://b.example.com:{port}/hook")
    _deliver(f"http://a.example.com:{port}/hook")

    assert [host for _addr, host in receiver.requests] == [
        f"a.example.com:{port}",
        f"b.example.com:{port}",
        f"a.example.com:{port}",
    ]
    assert receiver.connections == ["127.0.0.1", "127.0.0.1"]  # one per host, each reused
