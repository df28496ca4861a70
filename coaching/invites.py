"""iCalendar for sessions (RFC 5545, with iTIP methods from RFC 5546).

- Invites: METHOD:REQUEST when a session is booked or moved, METHOD:CANCEL when it is cancelled.
  The UID is stable per session and SEQUENCE is the session's stored counter, raised by every
  change, so calendar programs update or remove the event they already have instead of adding a
  second one. The coach organises; both people attend.
- "Add to calendar": METHOD:PUBLISH with the one session, downloaded from its page. It carries
  the invite's UID and SEQUENCE, so a calendar that already holds the invite updates that event.
- Feeds: METHOD:PUBLISH with a person's active sessions, for Google Calendar or Outlook to
  subscribe to (a cancelled session drops out of the feed, and so out of the subscriber).
"""

import datetime as dt
from collections.abc import Iterable
from email.mime.text import MIMEText
from typing import Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from accounts.models import User
from coaching.models import CoachingSession, SessionStatus

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//Coachline//Coaching sessions//EN"


def _address(user: User, *, role: str, partstat: str, rsvp: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.full_name or user.email)
    address.params["CUTYPE"] = vText("INDIVIDUAL")
    address.params["ROLE"] = vText(role)
    address.params["PARTSTAT"] = vText(partstat)
    if rsvp:
        address.params["RSVP"] = vText("TRUE")
    return address


def session_url(session: CoachingSession) -> str:
    return settings.SITE_URL + reverse("coaching:session_detail", args=[session.pk])


def _summary(session: CoachingSession) -> str:
    return _("Coaching: %(kind)s with %(rep)s and %(coach)s") % {
        "kind": session.get_kind_display(),
        "rep": session.rep.full_name,
        "coach": session.coach.full_name,
    }


def _event(session: CoachingSession, *, cancelled: bool, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", session.ical_uid)
    event.add("sequence", session.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", session.start.astimezone(dt.UTC))
    event.add("dtend", session.end.astimezone(dt.UTC))
    event.add("summary", _summary(session))
    description = session.agenda.strip()
    if cancelled and session.cancel_reason:
        description = _("Cancelled: %(reason)s") % {"reason": session.cancel_reason}
    event.add("description", f"{description}\n\n{session_url(session)}".strip())
    event.add("url", session_url(session))
    if session.location:
        event.add("location", session.location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(session.coach, role="CHAIR", partstat="ACCEPTED", rsvp=False))
    event.add("attendee", _address(session.coach, role="CHAIR", partstat="ACCEPTED", rsvp=False))
    event.add(
        "attendee",
        _address(session.rep, role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp=True),
    )
    return event


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def session_invite_ics(
    session: CoachingSession, *, method: Method, stamp: dt.datetime | None = None
) -> bytes:
    cal = _calendar(method)
    cal.add_component(_event(session, cancelled=method == "CANCEL", stamp=stamp or timezone.now()))
    return cal.to_ical()


def session_download_ics(session: CoachingSession, *, stamp: dt.datetime | None = None) -> bytes:
    cal = _calendar("PUBLISH")
    cancelled = session.status == SessionStatus.CANCELLED
    cal.add_component(_event(session, cancelled=cancelled, stamp=stamp or timezone.now()))
    return cal.to_ical()


def calendar_feed_ics(
    sessions: Iterable[CoachingSession], *, name: str, stamp: dt.datetime | None = None
) -> bytes:
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", "PT1H")  # ask subscribers to refresh hourly
    stamp = stamp or timezone.now()
    for session in sessions:
        cal.add_component(_event(session, cancelled=False, stamp=stamp))
    return cal.to_ical()


def _when(session: CoachingSession, person: User) -> str:
    zone = ZoneInfo(person.time_zone)
    start, end = session.start.astimezone(zone), session.end.astimezone(zone)
    return _("%(day)s, %(start)s–%(end)s (%(zone)s)") % {
        "day": date_format(start, "DATE_FORMAT"),
        "start": date_format(start, "H:i"),
        "end": date_format(end, "H:i"),
        "zone": person.time_zone,
    }


def _invite_text(session: CoachingSession, person: User, method: Method) -> tuple[str, str]:
    when = _when(session, person)
    kind = session.get_kind_display()
    if method == "CANCEL":
        subject = _("Cancelled: %(kind)s on %(when)s") % {"kind": kind, "when": when}
        body = _("This coaching session is cancelled: %(kind)s, %(when)s.\nReason: %(reason)s") % {
            "kind": kind,
            "when": when,
            "reason": session.cancel_reason,
        }
    elif session.sequence > 0:
        subject = _("Moved: %(kind)s, now %(when)s") % {"kind": kind, "when": when}
        body = _("This coaching session has a new time: %(kind)s, %(when)s.") % {
            "kind": kind,
            "when": when,
        }
    else:
        subject = _("Coaching session: %(kind)s on %(when)s") % {"kind": kind, "when": when}
        body = _("%(coach)s booked a coaching session with %(rep)s: %(kind)s, %(when)s.") % {
            "coach": session.coach.full_name,
            "rep": session.rep.full_name,
            "kind": kind,
            "when": when,
        }
    if session.location and method != "CANCEL":
        body += "\n" + _("Where: %(location)s") % {"location": session.location}
    if session.agenda and method != "CANCEL":
        body += "\n\n" + _("Agenda:") + "\n" + session.agenda
    body += "\n\n" + session_url(session)
    return subject, body


def session_invite_messages(
    session: CoachingSession, *, method: Method
) -> list[EmailMultiAlternatives]:
    """One email per person, in their language and time zone, with the invite attached."""
    ics = session_invite_ics(session, method=method)
    messages = []
    for person in (session.coach, session.rep):
        with translation.override(person.message_language):
            subject, body = _invite_text(session, person, method)
        message = EmailMultiAlternatives(subject=subject, body=body, to=[person.email])
        # text/calendar with the iTIP method as a parameter is what calendar programs look for.
        part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
        part.set_param("method", method)
        part.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(part)
        messages.append(message)
    return messages
