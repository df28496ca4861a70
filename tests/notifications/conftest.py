from tests.fakes.fixtures import (  # noqa: F401 - fixtures for this folder
    fake_slack,
    fake_teams,
    field_encryption_key,
)
