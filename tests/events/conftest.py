import pytest

from tests.fakes.fixtures import field_encryption_key, subscriber  # noqa: F401


@pytest.fixture(autouse=True)
def _secrets_need_a_key(field_encryption_key: str) -> None:  # noqa: F811
    pass
