"""Booking, rescheduling, cancelling and completing sessions through the services."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.roles import Role
from coaching.errors import SessionConflict
from coaching.models import CoachingSession, SessionKind, SessionParticipant, SessionStatus
from coaching.services.sessions import (
    session_book,
    session_cancel,
    session_complete,
    session_reschedule,
)
from events.models import EventType, WebhookDelivery
from tests.coaching.factories import SessionFactory, tomorrow_at
from tests.deals.factories import DealFactory
from tests.events.factories import WebhookSubscriptionFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def book(cast, start, end, *, coach=None, rep=None, **extra):
    coach = coach or cast.coach
    return session_book(
        booked_by=coach,
        coach=coach,
        rep=rep or cast.rep,
        kind=extra.pop("kind", SessionKind.ONE_ON_ONE),
        start=start,
        end=end,
        **extra,
    )


def test_booking_holds_the_slot_for_both_people_and_invites_them(
    cast, slot, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session = book(cast, *slot, location="Room 4", agenda="Talk about Acme")

    assert (session.status, session.sequence, session.agenda) == ("scheduled", 0, "Talk about Acme")
    held = SessionParticipant.objects.filter(session=session, is_active=True)
    assert sorted(held.values_list("user_id", flat=True)) == sorted([cast.coach.pk, cast.rep.pk])
    assert {(p.start, p.end) for p in held} == {slot}
    assert sorted(m.to[0] for m in mail.outbox) == ["coach@example.com", "rep@example.com"]


def test_no_invite_is_sent_when_the_booking_rolls_back(
    cast, slot, django_capture_on_commit_callbacks
):
    SessionFactory(coach=cast.coach, rep=cast.rep_peer, start=slot[0], end=slot[1])

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SessionConflict):
        book(cast, *slot)

    assert mail.outbox == []


@pytest.mark.parametrize(
    "who",
    ["coach_busy_as_coach", "rep_busy_with_another_coach", "coach_busy_as_a_rep"],
)
def test_overlap_for_either_person_in_either_role_is_refused_naming_the_session(cast, slot, who):
    start, end = slot
    if who == "coach_busy_as_coach":
        existing = SessionFactory(
            coach=cast.coach, rep=cast.rep_peer, start=start + H / 2, end=end + H
        )
    elif who == "rep_busy_with_another_coach":
        existing = SessionFactory(
            coach=cast.manager, rep=cast.rep, start=start - H / 2, end=start + H / 4
        )
    else:  # the manager coaches the coach: the coach is the rep there
        existing = SessionFactory(coach=cast.manager, rep=cast.coach, start=start, end=end)
    before = CoachingSession.objects.count()

    with pytest.raises(SessionConflict) as caught:
        book(cast, start, end)

    assert caught.value.session.pk == existing.pk
    assert f"session {existing.pk}" in caught.value.message
    assert CoachingSession.objects.count() == before
    assert SessionParticipant.objects.count() == 2


def test_back_to_back_sessions_do_not_overlap(cast, slot):
    start, end = slot
    SessionFactory(coach=cast.coach, rep=cast.rep_peer, start=start - H, end=start)

    session = book(cast, start, end)

    assert session.pk is not None


def test_a_cancelled_session_frees_its_time(cast, slot):
    SessionFactory(
        coach=cast.coach, rep=cast.rep_peer, start=slot[0], end=slot[1], status="cancelled"
    )

    session = book(cast, *slot)

    assert session.status == SessionStatus.SCHEDULED


@pytest.mark.parametrize(
    ("offset_start", "length", "field", "message"),
    [
        (0, -H, "end", "The end must be after the start."),
        (0, dt.timedelta(0), "end", "A session needs a length: the end equals the start."),
        (-48, H, "start", "This time is in the past."),
        (0, 9 * H, "end", "A session lasts at most 8 hours."),
        (24 * 400, H, "start", "Sessions can be booked at most a year ahead."),
    ],
)
def test_bad_times_are_refused_and_nothing_is_written(cast, offset_start, length, field, message):
    start = tomorrow_at(10) + dt.timedelta(hours=offset_start)

    with pytest.raises(ValidationError) as caught:
        book(cast, start, start + length)

    assert caught.value.message_dict == {field: [message]}
    assert CoachingSession.objects.count() == 0
    assert SessionParticipant.objects.count() == 0


def test_a_deal_of_someone_else_is_refused(cast, slot):
    deal = DealFactory(owner=cast.rep_peer)

    with pytest.raises(ValidationError) as caught:
        book(cast, *slot, deal=deal)

    assert caught.value.message_dict == {"deal_id": ["This deal is not the rep's."]}


def test_the_agenda_is_prefilled_with_the_reps_deals_at_risk(cast, slot):
    DealFactory(
        owner=cast.rep,
        name="Acme renewal",
        account_name="Acme",
        amount="25000",
        currency="EUR",
        stage="Proposal",
        has_compelling_deadline=False,
        has_economic_buyer=True,
        expected_close_date=dt.date.today() + dt.timedelta(days=30),
    )
    DealFactory(
        owner=cast.rep,
        name="Healthy deal",
        expected_close_date=dt.date.today() + dt.timedelta(days=30),
    )

    session = book(cast, *slot)

    assert session.agenda == (
        "Deals at risk to talk about:\n"
        "- Acme renewal (Acme, 25,000 EUR, Proposal): no compelling deadline"
    )


def test_a_german_agenda_groups_the_amount_the_german_way(cast, slot):
    # "25,000 EUR" in a German agenda reads as twenty-five euros
    DealFactory(
        owner=cast.rep,
        name="Acme Verlängerung",
        account_name="Acme",
        amount="25000",
        currency="EUR",
        stage="Angebot",
        has_compelling_deadline=False,
        has_economic_buyer=True,
        expected_close_date=dt.date.today() + dt.timedelta(days=30),
    )

    with translation.override("de"):
        session = book(cast, *slot)

    assert "- Acme Verlängerung (Acme, 25.000 EUR, Angebot): " in session.agenda


def test_rescheduling_moves_both_holds_and_raises_the_sequence(
    cast, slot, django_capture_on_commit_callbacks
):
    session = SessionFactory(coach=cast.coach, rep=cast.rep, start=slot[0], end=slot[1])
    CoachingSession.objects.filter(pk=session.pk).update(reminder_sent_at=slot[0] - 20 * H)
    new_start = slot[0] + 3 * H

    with django_capture_on_commit_callbacks(execute=True):
        session_reschedule(session=session, start=new_start, end=new_start + H / 2)

    session.refresh_from_db()
    assert (session.start, session.end, session.sequence) == (new_start, new_start + H / 2, 1)
    assert session.reminder_sent_at is None
    assert set(SessionParticipant.objects.filter(session=session).values_list("start", "end")) == {
        (new_start, new_start + H / 2)
    }
    assert [m.subject.startswith("Moved:") for m in mail.outbox] == [True, True]


def test_rescheduling_onto_a_busy_time_changes_nothing(cast, slot):
    session = SessionFactory(coach=cast.coach, rep=cast.rep, start=slot[0], end=slot[1])
    busy = SessionFactory(
        coach=cast.coach, rep=cast.rep_peer, start=slot[0] + 2 * H, end=slot[1] + 2 * H
    )

    with pytest.raises(SessionConflict) as caught:
        session_reschedule(session=session, start=slot[0] + 2 * H, end=slot[1] + 2 * H)

    assert caught.value.session.pk == busy.pk
    session.refresh_from_db()
    assert (session.start, session.sequence) == (slot[0], 0)
    assert set(
        SessionParticipant.objects.filter(session=session).values_list("start", flat=True)
    ) == {slot[0]}


def test_cancelling_needs_a_reason_frees_the_slot_and_sends_cancel(
    cast, slot, django_capture_on_commit_callbacks
):
    session = SessionFactory(coach=cast.coach, rep=cast.rep, start=slot[0], end=slot[1])

    with pytest.raises(ValidationError):
        session_cancel(session=session, by=cast.rep, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session, by=cast.rep, reason="Customer call moved")

    session.refresh_from_db()
    assert (session.status, session.sequence, session.cancel_reason) == (
        "cancelled",
        1,
        "Customer call moved",
    )
    assert session.cancelled_by == cast.rep
    assert not SessionParticipant.objects.filter(session=session, is_active=True).exists()
    assert sorted(m.subject.split(":")[0] for m in mail.outbox) == ["Cancelled", "Cancelled"]


def test_a_cancelled_session_cannot_be_moved_or_completed(cast, slot):
    session = SessionFactory(coach=cast.coach, rep=cast.rep, status="cancelled")

    with pytest.raises(ValidationError) as moved:
        session_reschedule(session=session, start=slot[0], end=slot[1])
    with pytest.raises(ValidationError):
        session_complete(session=session, by=cast.coach)

    assert moved.value.message_dict == {
        "status": ["This session is cancelled; only scheduled sessions can change."]
    }


def test_completing_before_the_start_is_refused(cast):
    session = SessionFactory(coach=cast.coach, rep=cast.rep)

    with pytest.raises(ValidationError) as caught:
        session_complete(session=session, by=cast.coach)

    assert caught.value.message_dict == {
        "status": ["A session can be completed once it has started."]
    }


def test_completing_keeps_the_time_held_and_emits_the_event(cast, field_encryption_key):
    WebhookSubscriptionFactory(event_types=[EventType.COACHING_SESSION_COMPLETED.value])
    session = SessionFactory(coach=cast.coach, rep=cast.rep)
    later = session.start + dt.timedelta(minutes=70)

    session_complete(session=session, by=cast.coach, notes="Good call", now=later)

    session.refresh_from_db()
    assert (session.status, session.completed_at, session.notes) == (
        "completed",
        later,
        "Good call",
    )
    assert SessionParticipant.objects.filter(session=session, is_active=True).count() == 2
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "coaching.session_completed"
    assert f'"session_id":{session.pk}' in delivery.body


def test_a_no_show_is_recorded_without_the_completed_event(cast, field_encryption_key):
    WebhookSubscriptionFactory(event_types=[EventType.COACHING_SESSION_COMPLETED.value])
    session = SessionFactory(coach=cast.coach, rep=cast.rep)

    session_complete(session=session, by=cast.coach, status="no_show", now=session.end)

    assert CoachingSession.objects.get(pk=session.pk).status == "no_show"
    assert WebhookDelivery.objects.count() == 0


def test_a_coach_cannot_book_themself(cast, slot):
    with pytest.raises(ValidationError):
        book(cast, *slot, rep=cast.coach)


def test_people_in_other_zones_get_their_own_local_time_in_the_invite(
    slot, django_capture_on_commit_callbacks
):
    coach = UserFactory(role=Role.COACH, time_zone="Europe/Berlin", email="c@example.com")
    rep = UserFactory(time_zone="America/New_York", email="r@example.com")
    start = dt.datetime(2031, 1, 15, 15, 0, tzinfo=dt.UTC)

    with django_capture_on_commit_callbacks(execute=True):
        session_book(
            booked_by=coach,
            coach=coach,
            rep=rep,
            kind="live_call",
            start=start,
            end=start + H,
            now=start - 48 * H,
        )

    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "16:00–17:00 (Europe/Berlin)" in bodies["c@example.com"]
    assert "10:00–11:00 (America/New_York)" in bodies["r@example.com"]
