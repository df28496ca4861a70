"""pytest fixtures that start the fakes; import them into a test folder's conftest.py."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.server import FakeSubscriber

# pytest-django runs tests with DEBUG off, where a missing FIELD_ENCRYPTION_KEY is refused (as in
# production), so tests that store secrets set a fixed test key.
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
