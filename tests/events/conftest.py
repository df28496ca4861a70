from typing import Any

import pytest

from tests.fakes.fixtures import field_encryption_key, subscriber  # noqa: F401


@pytest.fixture(autouse=True)
def _secrets_need_a_key(field_encryption_key: str) -> None:  # noqa: F811
    pass


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings: Any) -> None:
    # Delivery tests send to receivers on loopback (the fake, or a closed local port); the
    # refusal of such addresses is tested on its own in test_events_destinations.py.
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
