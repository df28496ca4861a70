from collections.abc import Iterator

import pytest

from tests.fakes.fixtures import field_encryption_key  # noqa: F401 - a fixture for this folder
from tests.training.lti_platform import FakePlatform, lti_register
from training.models import LtiPlatform


@pytest.fixture
def platform_server() -> Iterator[FakePlatform]:
    """A simulated LTI platform on loopback (tests/training/lti_platform.py)."""
    server = FakePlatform().start()
    yield server
    server.stop()


@pytest.fixture
def registered(platform_server: FakePlatform, request: pytest.FixtureRequest) -> LtiPlatform:
    request.getfixturevalue("field_encryption_key")  # the tool's private key is encrypted
    return lti_register(platform_server)
