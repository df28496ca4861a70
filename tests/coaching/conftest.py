import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.coaching.factories import discovery_rubric, tomorrow_at
from tests.fakes.fixtures import field_encryption_key  # noqa: F401


@pytest.fixture
def rubric(db: Any):  # type: ignore[no-untyped-def]
    """The "Discovery call" rubric and its three criteria."""
    return discovery_rubric()


@pytest.fixture
def slot() -> tuple[dt.datetime, dt.datetime]:
    """Tomorrow 10:00-11:00 UTC."""
    start = tomorrow_at(10)
    return start, start + dt.timedelta(hours=1)


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()
