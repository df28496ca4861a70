"""Emails coaching sends: calendar invites, day-before reminders, commitment results.

All of them run in Celery after the write that caused them has committed.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coaching.invites import Method, session_invite_messages, session_url
from coaching.models import CoachingSession, Commitment, CommitmentStatus, SessionStatus
from notifications.kinds import Channel, Kind
from notifications.selectors import channel_wanted

# "The day before": a session starting within this window from now gets its reminder. The task
# runs hourly, so every session is reminded between 23 and 24 hours before it starts.
REMINDER_AHEAD = dt.timedelta(hours=24)


def session_invites_send(*, session_id: int, method: Method, sequence: int) -> int:
    """Email both people the invite for this version of the session; returns emails sent.

    A later change (higher SEQUENCE) sends its own invite, so an older one is skipped instead of
    reaching a calendar after the newer one.
    """
    session = CoachingSession.objects.select_related("coach", "rep").filter(pk=session_id).first()
    if session is None or session.sequence != sequence:
        return 0
    messages = session_invite_messages(session, method=method)
    return get_connection().send_messages(messages) or 0


def session_reminders_due_ids(*, now: dt.datetime) -> list[int]:
    return list(
        CoachingSession.objects.filter(
            status=SessionStatus.SCHEDULED,
            reminder_sent_at__isnull=True,
            start__gt=now,
            start__lte=now + REMINDER_AHEAD,
        )
        .order_by("start")
        .values_list("pk", flat=True)
    )


def session_reminder_send(*, session_id: int, now: dt.datetime) -> bool:
    """Send the day-before reminder once: a conditional UPDATE claims it, then the mail goes.

    Two overlapping runs cannot both claim a session. If sending fails after the claim, the
    reminder is not retried (once at most is the promise; the invite is already in calendars).
    """
    with transaction.atomic():
        claimed = CoachingSession.objects.filter(
            pk=session_id,
            status=SessionStatus.SCHEDULED,
            reminder_sent_at__isnull=True,
            start__gt=now,
        ).update(reminder_sent_at=now)
        if not claimed:
            return False
    session = CoachingSession.objects.select_related("coach", "rep").get(pk=session_id)
    messages = []
    for person, other in ((session.coach, session.rep), (session.rep, session.coach)):
        with translation.override(person.message_language):
            start = session.start.astimezone(ZoneInfo(person.time_zone))
            subject = _("Tomorrow: %(kind)s with %(other)s at %(time)s") % {
                "kind": session.get_kind_display(),
                "other": other.full_name,
                "time": date_format(start, "H:i"),
            }
            body = _("A reminder: %(kind)s with %(other)s, %(day)s at %(time)s (%(zone)s).") % {
                "kind": session.get_kind_display(),
                "other": other.full_name,
                "day": date_format(start, "DATE_FORMAT"),
                "time": date_format(start, "H:i"),
                "zone": person.time_zone,
            }
            if session.location:
                body += "\n" + _("Where: %(location)s") % {"location": session.location}
            if session.agenda:
                body += "\n\n" + _("Agenda:") + "\n" + session.agenda
            body += "\n\n" + session_url(session)
        messages.append(EmailMessage(subject=subject, body=body, to=[person.email]))
    get_connection().send_messages(messages)
    return True


def session_reminders_send(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(
        session_reminder_send(session_id=session_id, now=now)
        for session_id in session_reminders_due_ids(now=now)
    )


def commitment_result_notify(*, commitment_id: int) -> int:
    """Tell the rep and the coach how a checked commitment came out."""
    commitment = Commitment.objects.select_related("rep", "post_mortem__session__coach").get(
        pk=commitment_id
    )
    if commitment.status == CommitmentStatus.PENDING:
        return 0
    session = commitment.post_mortem.session
    people = [commitment.rep]
    if session.coach_id != commitment.rep_id:
        people.append(session.coach)
    # Each person's choice for this kind on the email channel (the in-app notice is separate).
    people = [
        p
        for p in people
        if channel_wanted(user=p, kind=Kind.COMMITMENT_CHECKED, channel=Channel.EMAIL)
    ]
    messages = []
    for person in people:
        with translation.override(person.message_language):
            status = commitment.get_status_display()
            subject = _("Commitment %(status)s: %(metric)s") % {
                "status": status.lower(),
                "metric": commitment.get_metric_display(),
            }
            if commitment.status == CommitmentStatus.NO_DATA:
                result = _("There were no deals to measure between %(start)s and %(end)s.") % {
                    "start": date_format(commitment.window_start, "DATE_FORMAT"),
                    "end": date_format(commitment.check_date, "DATE_FORMAT"),
                }
            else:
                result = _(
                    "Measured %(value)s%% against a target of %(target)s%% on %(count)s deals "
                    "(%(start)s to %(end)s)."
                ) % {
                    "value": commitment.measured_value,
                    "target": commitment.target,
                    "count": commitment.deals_measured,
                    "start": date_format(commitment.window_start, "DATE_FORMAT"),
                    "end": date_format(commitment.check_date, "DATE_FORMAT"),
                }
            body = "\n".join(
                [
                    _("%(rep)s's commitment: %(metric)s, target %(target)s%%.")
                    % {
                        "rep": commitment.rep.full_name,
                        "metric": commitment.get_metric_display(),
                        "target": commitment.target,
                    },
                    commitment.description,
                    result,
                    _("Result: %(status)s") % {"status": status},
                    "",
                    session_url(session),
                ]
            )
        messages.append(EmailMessage(subject=subject, body=body, to=[person.email]))
    return get_connection().send_messages(messages) or 0
