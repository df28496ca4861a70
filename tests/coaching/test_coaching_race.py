"""Two bookings racing for the same person on PostgreSQL: exactly one wins, the other gets a 409
naming the winner's session. Real concurrent transactions: two threads, each with its own
database connection, both inside their booking transaction before either writes its hold."""

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from coaching.models import CoachingSession, SessionParticipant
from coaching.services import sessions as booking
from tests.coaching.factories import tomorrow_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only (CI runs it there)")


@pytest.mark.parametrize(
    ("first", "second", "contested"),
    [
        # one coach, two of their reps, same hour: the coach is contested
        (("coach", "rep"), ("coach", "rep_peer"), "coach"),
        # two coaches (the coach, the rep's manager), one rep, same hour: the rep is contested
        (("coach", "rep"), ("manager", "rep"), "rep"),
    ],
)
def test_two_overlapping_bookings_at_once_exactly_one_wins(
    cast: Any, monkeypatch: pytest.MonkeyPatch, first: Any, second: Any, contested: str
) -> None:
    start = tomorrow_at(10)
    both_inside = threading.Barrier(2, timeout=10)
    original_hold = booking._hold_slot

    def hold_after_both_began(session: CoachingSession, *, is_new: bool) -> None:
        # Both transactions have written their session row and are open: now both write holds.
        both_inside.wait()
        original_hold(session, is_new=is_new)

    monkeypatch.setattr(booking, "_hold_slot", hold_after_both_began)
    results: dict[str, Any] = {}

    def attempt(label: str, coach_name: str, rep_name: str, minutes: int) -> None:
        try:
            client = APIClient()
            client.force_authenticate(cast[coach_name])
            response = client.post(
                "/api/v1/coaching/sessions/",
                {
                    "rep_id": cast[rep_name].pk,
                    "kind": "one_on_one",
                    "start": (start + dt.timedelta(minutes=minutes)).isoformat(),
                    "end": (start + dt.timedelta(minutes=minutes + 60)).isoformat(),
                    "agenda": "race",
                },
                format="json",
            )
            results[label] = response
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=attempt, args=("a", *first, 0)),
        threading.Thread(target=attempt, args=("b", *second, 30)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [201, 409]
    winner = next(r for r in results.values() if r.status_code == 201).json()
    loser = next(r for r in results.values() if r.status_code == 409).json()
    assert loser["code"] == "conflict"
    assert loser["conflicting_session"]["id"] == winner["id"]
    assert loser["conflicting_session"]["person_id"] == cast[contested].pk
    assert f"session {winner['id']}" in loser["detail"]
    assert CoachingSession.objects.count() == 1
    assert SessionParticipant.objects.filter(is_active=True).count() == 2


def test_the_database_itself_refuses_an_overlapping_hold(cast: Any) -> None:
    """Even a write that skips the service cannot double-book (the exclusion constraint)."""
    from django.db import IntegrityError

    start = tomorrow_at(10)
    first = CoachingSession.objects.create(
        coach=cast.coach,
        rep=cast.rep,
        kind="live_call",
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    SessionParticipant.objects.create(
        session=first, user=cast.coach, start=first.start, end=first.end
    )
    second = CoachingSession.objects.create(
        coach=cast.coach,
        rep=cast.rep_peer,
        kind="live_call",
        start=start,
        end=start + dt.timedelta(hours=1),
    )

    with pytest.raises(IntegrityError, match="coaching_participant_no_overlap"):
        SessionParticipant.objects.create(
            session=second, user=cast.coach, start=second.start, end=second.end
        )
