from tests.fakes.fixtures import field_encryption_key  # noqa: F401 - a fixture for this folder
