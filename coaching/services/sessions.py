"""Booking, rescheduling, cancelling and completing sessions, without ever double-booking anyone.

How overlaps are kept out (both databases behave the same for callers):

- Each session holds one `SessionParticipant` row per person with the session's time range.
- PostgreSQL: an exclusion constraint refuses a second active row of the same person whose
  range overlaps. Two bookings racing for the same person: the second INSERT waits for the first
  transaction, then fails with an exclusion violation; we look up the session it collided with
  (now committed and visible under READ COMMITTED) and raise SessionConflict naming it.
  Lock order: participant rows are written in ascending user id. Even so, two inserts checking
  the exclusion constraint at the same instant can each wait for the other (PostgreSQL documents
  this for exclusion constraints) and one statement is aborted with a deadlock error. It runs in
  a savepoint, so we roll back to it and write the holds again: the retry now waits for the
  other booking and fails with the exclusion violation, which becomes the SessionConflict.
- SQLite: no EXCLUDE. SQLite has one writer at a time, and the booking *writes first* (the
  session and its participant rows) and *checks afterwards*, inside the same transaction. Once
  our first write holds the database's write lock, no other booking can commit until we do, so
  the check sees every competing booking. A competitor whose snapshot went stale cannot take the
  lock and fails ("database is locked") rather than double-booking.
- In both, the same check (`_first_conflict`) runs after the write, so the error names the same
  session whichever guard caught it.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from coaching.errors import SessionConflict
from coaching.models import (
    CoachingSession,
    RubricCriterion,
    SessionKind,
    SessionParticipant,
    SessionStatus,
)
from core.outbox import outbox_enqueue
from deals.models import Deal
from notifications.kinds import Kind
from notifications.services import notify

OVERLAP_CONSTRAINT = "coaching_participant_no_overlap"
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE
HOLD_ATTEMPTS = 3
MAX_LENGTH = dt.timedelta(hours=8)
# How far ahead a session may be booked.
MAX_AHEAD = dt.timedelta(days=366)


def session_times_validate(*, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> None:
    """Raise ValidationError (per field) unless [start, end) is a bookable slot."""
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError({"start": _("Give times with their time zone.")})
    if end == start:
        raise ValidationError({"end": _("A session needs a length: the end equals the start.")})
    if end < start:
        raise ValidationError({"end": _("The end must be after the start.")})
    if end - start > MAX_LENGTH:
        raise ValidationError({"end": _("A session lasts at most 8 hours.")})
    if start < now:
        raise ValidationError({"start": _("This time is in the past.")})
    if start > now + MAX_AHEAD:
        raise ValidationError({"start": _("Sessions can be booked at most a year ahead.")})


def _first_conflict(
    *, user_ids: Sequence[int], start: dt.datetime, end: dt.datetime, exclude_session_id: int
) -> tuple[CoachingSession, User] | None:
    """The earliest active session overlapping [start, end) for any of the people (one query)."""
    clash = (
        SessionParticipant.objects.filter(
            user_id__in=user_ids, is_active=True, start__lt=end, end__gt=start
        )
        .exclude(session_id=exclude_session_id)
        .select_related("session__coach", "session__rep", "user")
        .order_by("start", "session_id")
        .first()
    )
    if clash is None:
        return None
    return clash.session, clash.user


def _is_overlap_violation(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == OVERLAP_CONSTRAINT


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


def _write_holds(session: CoachingSession, *, user_ids: list[int], is_new: bool) -> None:
    if is_new:
        SessionParticipant.objects.bulk_create(
            [
                SessionParticipant(
                    session=session,
                    user_id=user_id,
                    start=session.start,
                    end=session.end,
                    is_active=True,
                )
                for user_id in user_ids
            ]
        )
    else:
        SessionParticipant.objects.filter(session=session).update(
            start=session.start, end=session.end, is_active=True
        )


def _hold_slot(session: CoachingSession, *, is_new: bool) -> None:
    """Write the session's participant rows, then refuse if anyone is double-booked.

    Runs inside the caller's transaction; raising SessionConflict rolls the whole write back.
    """
    user_ids = sorted([session.coach_id, session.rep_id])  # lock order: ascending user id
    for attempt in range(1, HOLD_ATTEMPTS + 1):
        try:
            # A savepoint: on PostgreSQL a failed statement would otherwise poison the
            # transaction and we could neither retry nor look up the conflicting session.
            with transaction.atomic():
                _write_holds(session, user_ids=user_ids, is_new=is_new)
            break
        except OperationalError as exc:
            if not _is_deadlock(exc) or attempt == HOLD_ATTEMPTS:
                raise
        except IntegrityError as exc:
            if not _is_overlap_violation(exc):
                raise
            conflict = _first_conflict(
                user_ids=user_ids,
                start=session.start,
                end=session.end,
                exclude_session_id=session.pk,
            )
            if conflict is None:  # the other booking rolled back in between: let the caller retry
                raise
            raise SessionConflict(session=conflict[0], person=conflict[1]) from None
    conflict = _first_conflict(
        user_ids=user_ids, start=session.start, end=session.end, exclude_session_id=session.pk
    )
    if conflict is not None:
        raise SessionConflict(session=conflict[0], person=conflict[1])


def _send_invites_after_commit(session: CoachingSession, method: str) -> None:
    outbox_enqueue(
        task="coaching.tasks.send_session_invites", args=[session.pk, method, session.sequence]
    )


def _notify_people(session: CoachingSession, *, kind: Kind, by: User | None, change: str) -> None:
    """In-app (and Slack/Teams) notice to the coach and the rep, except whoever made the change.
    The calendar invite is their email, so notify sends no second one."""
    for person, other in ((session.coach, session.rep), (session.rep, session.coach)):
        notify(
            recipients=[person],
            kind=kind,
            params={
                "title": str(session.get_kind_display()),
                "with": other.full_name,
                "start": session.start.isoformat(),
                "change": change,
            },
            url=reverse("coaching:session_detail", args=[session.pk]),
            actor=by,
            own_email=True,
        )


def session_book(
    *,
    booked_by: User,
    coach: User,
    rep: User,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
    location: str = "",
    agenda: str | None = None,
    focus_criteria: Sequence[RubricCriterion] = (),
    deal: Deal | None = None,
    now: dt.datetime | None = None,
) -> CoachingSession:
    """Book a session. The caller has checked that `coach` may coach `rep` (coaching.access).

    Without an agenda, the agenda is prefilled with the rep's deals at risk. Both people get a
    calendar invite (METHOD:REQUEST) after commit. Raises ValidationError or SessionConflict,
    having written nothing.
    """
    from coaching.services.agenda import agenda_prefill

    now = now or timezone.now()
    if kind not in SessionKind.values:
        raise ValidationError({"kind": _("Choose a kind of session.")})
    if coach.pk == rep.pk:
        raise ValidationError({"rep_id": _("A coach cannot book a session with themself.")})
    session_times_validate(start=start, end=end, now=now)
    if deal is not None and deal.owner_id != rep.pk:
        raise ValidationError({"deal_id": _("This deal is not the rep's.")})
    if agenda is None or not agenda.strip():
        agenda = agenda_prefill(rep=rep, today=timezone.localdate(now))
    with transaction.atomic():
        session = CoachingSession.objects.create(
            coach=coach,
            rep=rep,
            booked_by=booked_by,
            kind=kind,
            start=start,
            end=end,
            location=location.strip(),
            agenda=agenda,
            deal=deal,
        )
        if focus_criteria:
            session.focus_criteria.set(focus_criteria)
        _hold_slot(session, is_new=True)
        _send_invites_after_commit(session, "REQUEST")
        _notify_people(session, kind=Kind.SESSION_BOOKED, by=booked_by, change="booked")
    return session


def _require_scheduled(session: CoachingSession) -> None:
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError(
            {
                "status": _("This session is %(status)s; only scheduled sessions can change.")
                % {"status": session.get_status_display().lower()}
            }
        )


def session_reschedule(
    *,
    session: CoachingSession,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None = None,
    by: User | None = None,
) -> CoachingSession:
    """Move a scheduled session. Raises SEQUENCE and sends both people the updated invite."""
    now = now or timezone.now()
    session_times_validate(start=start, end=end, now=now)
    with transaction.atomic():
        # The row lock serialises two changes to the same session (reschedule vs cancel).
        locked = CoachingSession.objects.select_for_update().get(pk=session.pk)
        _require_scheduled(locked)
        if (locked.start, locked.end) == (start, end):
            return locked
        locked.start, locked.end = start, end
        locked.sequence += 1
        locked.reminder_sent_at = None  # a new time deserves a new reminder
        locked.save(update_fields=["start", "end", "sequence", "reminder_sent_at", "updated_at"])
        _hold_slot(locked, is_new=False)
        _send_invites_after_commit(locked, "REQUEST")
        _notify_people(locked, kind=Kind.SESSION_CHANGED, by=by, change="rescheduled")
    _copy_state(locked, into=session)
    return session


def session_cancel(
    *, session: CoachingSession, by: User | None, reason: str, now: dt.datetime | None = None
) -> CoachingSession:
    """Cancel a scheduled session with a reason; frees both people's time; sends METHOD:CANCEL."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the session is cancelled.")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = CoachingSession.objects.select_for_update().get(pk=session.pk)
        _require_scheduled(locked)
        locked.status = SessionStatus.CANCELLED
        locked.cancel_reason = reason
        locked.cancelled_at = now
        locked.cancelled_by = by
        locked.sequence += 1
        locked.save(
            update_fields=[
                "status",
                "cancel_reason",
                "cancelled_at",
                "cancelled_by",
                "sequence",
                "updated_at",
            ]
        )
        SessionParticipant.objects.filter(session=locked).update(is_active=False)
        _send_invites_after_commit(locked, "CANCEL")
        _notify_people(locked, kind=Kind.SESSION_CHANGED, by=by, change="cancelled")
    _copy_state(locked, into=session)
    return session


def session_complete(
    *,
    session: CoachingSession,
    by: User | None,
    status: str = SessionStatus.COMPLETED,
    notes: str = "",
    now: dt.datetime | None = None,
) -> CoachingSession:
    """Record that a session took place (or that the rep did not show up).

    The time stays held: a session that happened occupied it. Emits coaching.session_completed.
    """
    from events.services import event_emit

    if status not in (SessionStatus.COMPLETED, SessionStatus.NO_SHOW):
        raise ValidationError({"status": _("Choose completed or no-show.")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = CoachingSession.objects.select_for_update().get(pk=session.pk)
        _require_scheduled(locked)
        if locked.start > now:
            raise ValidationError({"status": _("A session can be completed once it has started.")})
        locked.status = status
        locked.completed_at = now
        if notes.strip():
            locked.notes = notes.strip()
        locked.save(update_fields=["status", "completed_at", "notes", "updated_at"])
        if status == SessionStatus.COMPLETED:
            event_emit(
                event_type="coaching.session_completed",
                payload=session_event_payload(locked),
            )
    _copy_state(locked, into=session)
    return session


def session_event_payload(session: CoachingSession) -> dict[str, Any]:
    return {
        "session_id": session.pk,
        "uid": str(session.uid),
        "kind": session.kind,
        "status": session.status,
        "coach_id": session.coach_id,
        "rep_id": session.rep_id,
        "deal_id": session.deal_id,
        "start": session.start,
        "end": session.end,
        "completed_at": session.completed_at,
    }


def _copy_state(source: CoachingSession, *, into: CoachingSession) -> None:
    """Give the caller's instance the committed state (it may hold select_related people)."""
    if source is into:
        return
    for field in (
        "status",
        "start",
        "end",
        "sequence",
        "cancel_reason",
        "cancelled_at",
        "cancelled_by_id",
        "completed_at",
        "reminder_sent_at",
        "notes",
        "updated_at",
    ):
        setattr(into, field, getattr(source, field))
