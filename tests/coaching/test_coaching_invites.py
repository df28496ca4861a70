"""Calendar invites and the private feed: parse the produced iCalendar and check what calendar
programs rely on (METHOD, UID, SEQUENCE, organizer, attendees)."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from coaching.models import CalendarFeed
from coaching.services.feeds import calendar_feed_revoke, calendar_feed_rotate
from coaching.services.sessions import session_book, session_cancel, session_reschedule
from tests.coaching.factories import SessionFactory, tomorrow_at

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def _invites() -> list[tuple[str, Calendar, str]]:
    """(recipient, parsed calendar, content type) of every email sent so far."""
    out = []
    for message in mail.outbox:
        parts = [a for a in message.attachments if a.get_content_type() == "text/calendar"]
        assert len(parts) == 1
        part = parts[0]
        out.append(
            (message.to[0], Calendar.from_ical(part.get_payload(decode=True)), part["Content-Type"])
        )
    return out


def _event(cal: Calendar):  # type: ignore[no-untyped-def]
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    return events[0]


def test_book_reschedule_cancel_send_request_request_cancel_with_one_uid_and_rising_sequence(
    cast, django_capture_on_commit_callbacks
):
    start = tomorrow_at(9)
    with django_capture_on_commit_callbacks(execute=True):
        session = session_book(
            booked_by=cast.coach,
            coach=cast.coach,
            rep=cast.rep,
            kind="live_call",
            start=start,
            end=start + H,
            location="https://meet.example.com/x",
            agenda="Acme",
        )
    booked = _invites()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_reschedule(session=session, start=start + 2 * H, end=start + 3 * H)
    moved = _invites()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session, by=cast.coach, reason="Rep is ill")
    cancelled = _invites()

    uid = f"session-{session.uid}@coachline"
    for invites, method, sequence, status, begins in (
        (booked, "REQUEST", 0, "CONFIRMED", start),
        (moved, "REQUEST", 1, "CONFIRMED", start + 2 * H),
        (cancelled, "CANCEL", 2, "CANCELLED", start + 2 * H),
    ):
        assert sorted(to for to, _cal, _type in invites) == ["coach@example.com", "rep@example.com"]
        for _to, cal, content_type in invites:
            event = _event(cal)
            assert str(cal["METHOD"]) == method
            assert f"method={method}" in content_type.replace('"', "")
            assert str(event["UID"]) == uid
            assert int(event["SEQUENCE"]) == sequence
            assert str(event["STATUS"]) == status
            assert event.decoded("DTSTART") == begins
            assert event.decoded("DTEND") == begins + H
            assert str(event["ORGANIZER"]) == "mailto:coach@example.com"
            assert event["ORGANIZER"].params["CN"] == "Cole Coach"
            assert sorted(str(a) for a in event["ATTENDEE"]) == [
                "mailto:coach@example.com",
                "mailto:rep@example.com",
            ]
    assert "Rep is ill" in str(_event(cancelled[0][1])["DESCRIPTION"])


def test_an_older_invite_task_does_not_overtake_a_newer_change(cast):
    from coaching.services.notifications import session_invites_send

    session = SessionFactory(coach=cast.coach, rep=cast.rep, sequence=2)

    sent_stale = session_invites_send(session_id=session.pk, method="REQUEST", sequence=1)
    sent_current = session_invites_send(session_id=session.pk, method="REQUEST", sequence=2)

    assert (sent_stale, sent_current) == (0, 2)


def test_the_feed_lists_my_active_sessions_and_a_revoked_token_answers_404(cast, client):
    mine = SessionFactory(coach=cast.coach, rep=cast.rep, start=tomorrow_at(9), end=tomorrow_at(10))
    as_rep = SessionFactory(
        coach=cast.manager, rep=cast.rep, start=tomorrow_at(11), end=tomorrow_at(12)
    )
    SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        start=tomorrow_at(13),
        end=tomorrow_at(14),
        status="cancelled",
    )
    SessionFactory(coach=cast.other_coach, rep=cast.other_rep)
    token = calendar_feed_rotate(user=cast.rep)
    url = reverse("coaching:feed", args=[token])

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert sorted(str(e["UID"]) for e in cal.walk("VEVENT")) == sorted(
        [f"session-{mine.uid}@coachline", f"session-{as_rep.uid}@coachline"]
    )
    assert CalendarFeed.objects.get(user=cast.rep).last_used_at is not None

    calendar_feed_revoke(user=cast.rep)

    assert client.get(url).status_code == 404


def test_rotating_stops_the_old_address_and_stores_only_a_hash(cast, client):
    old = calendar_feed_rotate(user=cast.rep)
    new = calendar_feed_rotate(user=cast.rep)

    assert client.get(reverse("coaching:feed", args=[old])).status_code == 404
    assert client.get(reverse("coaching:feed", args=[new])).status_code == 200
    assert not CalendarFeed.objects.filter(token_hash__in=[old, new]).exists()
    assert CalendarFeed.objects.filter(user=cast.rep, revoked_at__isnull=True).count() == 1


@pytest.mark.parametrize("token", ["nope", "x" * 43, ""])
def test_a_made_up_token_answers_404(cast, client, token):
    calendar_feed_rotate(user=cast.rep)

    assert client.get(f"/coaching/feed/{token}.ics").status_code == 404


def test_the_feed_of_a_deactivated_person_is_gone(cast, client):
    token = calendar_feed_rotate(user=cast.rep)
    cast.rep.is_active = False
    cast.rep.save()

    assert client.get(reverse("coaching:feed", args=[token])).status_code == 404


def test_the_feed_settings_page_shows_the_address_once_then_only_its_prefix(cast, client):
    client.force_login(cast.rep)

    created = client.post("/coaching/calendar-feed/", {"action": "rotate"})
    again = client.get("/coaching/calendar-feed/")

    feed = CalendarFeed.objects.get(user=cast.rep)
    assert created.status_code == 200
    assert "/coaching/feed/" in created.content.decode()
    assert f"…/feed/{feed.token_prefix}…" in again.content.decode()
    assert "http://testserver/coaching/feed/" not in again.content.decode()
    revoked = client.post("/coaching/calendar-feed/", {"action": "revoke"})
    assert revoked.status_code == 302
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()


def test_add_to_calendar_downloads_the_one_session_with_the_invites_uid_and_sequence(cast, client):
    # given a session that was moved once, and another session of the same rep
    session = SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        start=tomorrow_at(9),
        end=tomorrow_at(10),
        location="Room 4",
        agenda="Discovery call review",
        sequence=1,
    )
    SessionFactory(coach=cast.coach, rep=cast.rep, start=tomorrow_at(11), end=tomorrow_at(12))
    client.force_login(cast.rep)

    # when the rep follows "Add to calendar" on its page
    page = client.get(reverse("coaching:session_detail", args=[session.pk]))
    url = reverse("coaching:session_ics", args=[session.pk])
    response = client.get(url)

    # then it is a download of one PUBLISH event matching the invite
    assert f'href="{url}"' in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="coaching-session-{session.pk}.ics"'
    )
    cal = Calendar.from_ical(response.content)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"
    event = _event(cal)
    assert str(event["UID"]) == f"session-{session.uid}@coachline"
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == session.start
    assert event.decoded("DTEND") == session.end
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert str(event["LOCATION"]) == "Room 4"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Discovery call review" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:coach@example.com"
    assert sorted(str(a) for a in event["ATTENDEE"]) == [
        "mailto:coach@example.com",
        "mailto:rep@example.com",
    ]


def test_add_to_calendar_of_a_cancelled_session_marks_it_cancelled_and_hides_the_button(
    cast, client
):
    session = SessionFactory(
        coach=cast.coach,
        rep=cast.rep,
        start=tomorrow_at(9),
        end=tomorrow_at(10),
        status="cancelled",
    )
    client.force_login(cast.coach)

    page = client.get(reverse("coaching:session_detail", args=[session.pk]))
    response = client.get(reverse("coaching:session_ics", args=[session.pk]))

    assert "Add to calendar" not in page.content.decode()
    assert str(_event(Calendar.from_ical(response.content))["STATUS"]) == "CANCELLED"


def test_add_to_calendar_of_someone_elses_session_answers_404(cast, client):
    session = SessionFactory(coach=cast.other_coach, rep=cast.other_rep)
    client.force_login(cast.rep)

    assert client.get(reverse("coaching:session_ics", args=[session.pk])).status_code == 404
