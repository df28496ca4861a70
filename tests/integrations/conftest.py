import pytest

from tests.fakes.fixtures import (  # noqa: F401
    fake_hubspot,
    fake_salesforce,
    field_encryption_key,
    subscriber,
)


@pytest.fixture(autouse=True)
def _secrets_need_a_key(field_encryption_key: str) -> None:  # noqa: F811
    pass


class Sleeps(list[float]):
    """A stand-in for time.sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
