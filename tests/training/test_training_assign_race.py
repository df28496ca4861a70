"""Two requests assigning the same course to the same person at once on PostgreSQL: the row the
other request inserted first is not counted or announced as created by this one. Real
concurrent transactions: another connection inserts after this call read the assignments."""

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from notifications.models import Notification
from tests.training.factories import course_with_lesson
from training.models import Assignment
from training.services import assignments as service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DUE = timezone.localdate() + dt.timedelta(days=10)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions on PostgreSQL (CI runs it there)")


def _assign_elsewhere(*, assignee_id: int, course_id: int) -> None:
    try:
        Assignment.objects.create(assignee_id=assignee_id, course_id=course_id, due_date=DUE)
    finally:
        connections.close_all()


def test_a_row_lost_to_a_parallel_request_is_neither_counted_nor_announced(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = course_with_lesson(title="Discovery")
    original = service._existing_assignments
    reads: list[set[int]] = []

    def read_then_lose_the_race(**kwargs: Any) -> dict[int, Assignment]:
        existing = original(**kwargs)
        reads.append(set(existing))
        if len(reads) == 1:  # the other request inserts the rep's row and commits
            other = threading.Thread(
                target=_assign_elsewhere,
                kwargs={"assignee_id": cast.rep.pk, "course_id": course.pk},
            )
            other.start()
            other.join(timeout=10)
        return existing

    monkeypatch.setattr(service, "_existing_assignments", read_then_lose_the_race)

    result = service.assignment_create(
        target=course,
        assignees=[cast.rep, cast.rep_peer],
        due_date=DUE,
        assigned_by=cast.manager,
    )

    assert reads == [set(), {cast.rep.pk}]
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    assert Assignment.objects.filter(course=course).count() == 2
    notified = set(
        Notification.objects.filter(kind="assigned").values_list("recipient_id", flat=True)
    )
    assert notified == {cast.rep_peer.pk}
