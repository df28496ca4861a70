"""pytest fixtures that start the fakes; import them into a test folder's conftest.py."""

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.chat import SLACK_TOKEN, FakeSlack, FakeTeams
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.server import FakeSubscriber

# pytest-django runs tests with DEBUG off, where a missing FIELD_ENCRYPTION_KEY is refused (as in
# production), so tests that store secrets set a fixed test key.
# The chat fakes listen on loopback: on ports from CHAT_FAKES_PORT (ten per xdist worker) when a
# shared machine gives each checkout a range, else on any free port.
CHAT_FAKES_BASE_PORT = int(os.environ.get("CHAT_FAKES_PORT", "0"))
TEST_FIELD_ENCRYPTION_KEY = "q9R1Zk3yqjW3m0aL4C4l7mQJ5m3v8b2e1cXJ0hZ1Ykk="


@pytest.fixture
def field_encryption_key(settings: Any) -> str:
    settings.FIELD_ENCRYPTION_KEY = TEST_FIELD_ENCRYPTION_KEY
    return TEST_FIELD_ENCRYPTION_KEY


@pytest.fixture
def subscriber(settings: Any) -> Iterator[FakeSubscriber]:
    # The fake receiver listens on loopback, which webhooks refuse unless the operator allows
    # private addresses: the tests that deliver to it allow them, explicitly.
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    server = FakeSubscriber().start()
    yield server
    server.stop()


@pytest.fixture
def fake_hubspot() -> Iterator[FakeHubSpot]:
    server = FakeHubSpot().start()
    yield server
    server.stop()


@pytest.fixture
def fake_salesforce() -> Iterator[FakeSalesforce]:
    server = FakeSalesforce().start()
    yield server
    server.stop()


def _port(offset: int) -> int:
    """A port in this checkout's range, apart per xdist worker; 0 (any free port) without one."""
    if not CHAT_FAKES_BASE_PORT:
        return 0
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    return CHAT_FAKES_BASE_PORT + index * 10 + offset


@pytest.fixture
def fake_slack(settings: Any) -> Iterator[FakeSlack]:
    server = FakeSlack(_port(0)).start()
    settings.SLACK_BOT_TOKEN = SLACK_TOKEN
    settings.SLACK_API_URL = server.api_url
    yield server
    server.stop()


@pytest.fixture
def fake_teams(settings: Any) -> Iterator[FakeTeams]:
    # Teams URLs are held to Microsoft's hosts; the tests allow the loopback fake explicitly.
    server = FakeTeams(_port(1)).start()
    settings.TEAMS_WEBHOOK_HOST_SUFFIXES = ["127.0.0.1"]
    settings.TEAMS_WEBHOOK_SCHEMES = ["http", "https"]
    yield server
    server.stop()
