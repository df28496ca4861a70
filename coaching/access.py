"""Who may see and act on coaching records (DESIGN.md §7). The single security boundary.

A session is visible to its coach and to everyone who may see its rep (the rep, their coaches,
their manager, leaders and admins), and to API keys with `coaching:read`. Acting on it is
narrower: the coach runs, reschedules and completes it; the coach or the rep may cancel it;
admins and keys with `coaching:write` may do all of it. Invisible answers 404; visible but not
allowed answers 403.
"""

import hashlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.access import (
    Actor,
    Principal,
    coachable_users,
    may_coach,
    principal_of,
    visible_user_ids,
    visible_users,
)
from accounts.models import Scope, User
from accounts.roles import Role
from coaching.models import ActionItem, CalendarFeed, CoachingSession, Commitment, PostMortem

__all__ = ["may_coach"]


def sessions_visible(principal: Actor | Principal) -> QuerySet[CoachingSession]:
    p = principal_of(principal)
    if p.is_key:
        if p.has_scope(Scope.COACHING_READ):
            return CoachingSession.objects.all()
        return CoachingSession.objects.none()
    if not p.is_person:
        return CoachingSession.objects.none()
    if p.sees_everyone:
        return CoachingSession.objects.all()
    # A subquery, not a join, so a rep with two coaches does not repeat their sessions.
    return CoachingSession.objects.filter(Q(coach=p.user_id) | Q(rep__in=visible_user_ids(p)))


def visible_coachees(principal: Actor | Principal) -> QuerySet[User]:
    """The visible people who are coached or could be: reps, and anyone with a session."""
    return (
        visible_users(principal)
        .filter(Q(role=Role.REP) | Q(coaching_sessions_received__isnull=False))
        .distinct()
    )


def session_get_visible(principal: Actor | Principal, *, session_id: int | str) -> CoachingSession:
    try:
        return (
            sessions_visible(principal)
            .select_related("coach", "rep", "booked_by", "cancelled_by")
            .get(pk=session_id)
        )
    except (CoachingSession.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such session.")) from None


def _may_run(principal: Actor | Principal, session: CoachingSession) -> bool:
    return principal_of(principal).may_run_session(coach_id=session.coach_id)


def session_get_for_coach(
    principal: Actor | Principal, *, session_id: int | str
) -> CoachingSession:
    """The session, for its coach (or an admin, or a key with coaching:write) to change."""
    session = session_get_visible(principal, session_id=session_id)
    if not _may_run(principal, session):
        raise PermissionDenied(_("Only the session's coach can do this."))
    return session


def session_get_for_participant(
    principal: Actor | Principal, *, session_id: int | str
) -> CoachingSession:
    """The session, for its coach or its rep (or an admin, or a writing key) to cancel."""
    session = session_get_visible(principal, session_id=session_id)
    p = principal_of(principal)
    is_rep = p.is_person and session.rep_id == p.user_id
    if not (is_rep or _may_run(principal, session)):
        raise PermissionDenied(_("Only the coach or the rep of this session can do this."))
    return session


def coach_get_for_booking(principal: Actor | Principal, *, coach_id: int | str | None) -> User:
    """Who the booking is for as the coach.

    People book as themselves; admins and writing keys may name another coach.
    """
    p = principal_of(principal)
    if isinstance(principal, User) and coach_id in (None, "", principal.pk):
        if not p.may_coach:
            raise PermissionDenied(_("Only coaches and managers book coaching sessions."))
        return principal
    may_name_coach = p.has_scope(Scope.COACHING_WRITE) if p.is_key else p.is_admin
    if not may_name_coach:
        raise PermissionDenied(_("You can only book sessions as yourself."))
    if coach_id is None:
        raise Http404(_("No such coach."))
    try:
        coach = User.objects.get(pk=coach_id, is_active=True)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such coach.")) from None
    if not may_coach(coach):
        raise Http404(_("No such coach."))
    return coach


def bookable_reps(coach: User) -> QuerySet[User]:
    """The people `coach` may book: their coachees, and for managers their team."""
    return coachable_users(coach)


def bookable_rep_get(*, coach: User, rep_id: int | str) -> User | None:
    """The rep if `coach` may book them, else None (the caller reports a field error).

    The same answer for someone who does not exist and someone who is not this coach's, so the
    answer tells nothing about people the coach may not see.
    """
    try:
        return bookable_reps(coach).get(pk=rep_id)
    except (User.DoesNotExist, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class CalendarBooking:
    """Booking from a week calendar: who the booking form starts with as the rep (none on the
    viewer's own week; the coach is always the viewer, who books as themselves)."""

    rep_id: int | None


def calendar_booking(viewer: User, *, owner: User) -> CalendarBooking | None:
    """Whether `viewer` may book from `owner`'s week calendar: a coach or manager on their own
    week, or on the week of someone they may book (pre-filled as the rep). None for everyone
    else (reps, leaders, a coach on another coach's week), who are offered no free slots."""
    if not may_coach(viewer):
        return None
    if owner.pk == viewer.pk:
        return CalendarBooking(rep_id=None)
    if bookable_rep_get(coach=viewer, rep_id=owner.pk) is None:
        return None
    return CalendarBooking(rep_id=owner.pk)


def post_mortem_get_visible(
    principal: Actor | Principal, *, post_mortem_id: int | str
) -> PostMortem:
    try:
        return PostMortem.objects.select_related(
            "session__coach", "session__rep", "author", "story_lesson"
        ).get(pk=post_mortem_id, session__in=sessions_visible(principal))
    except (PostMortem.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such post-mortem.")) from None


def post_mortem_get_for_coach(
    principal: Actor | Principal, *, post_mortem_id: int | str
) -> PostMortem:
    post_mortem = post_mortem_get_visible(principal, post_mortem_id=post_mortem_id)
    if not _may_run(principal, post_mortem.session):
        raise PermissionDenied(_("Only the session's coach can do this."))
    return post_mortem


def commitments_visible(principal: Actor | Principal) -> QuerySet[Commitment]:
    return Commitment.objects.filter(post_mortem__session__in=sessions_visible(principal))


def action_item_get_for_owner(
    principal: Actor | Principal, *, action_item_id: int | str
) -> ActionItem:
    """An action item its owner (or the session's coach, or an admin) may tick off."""
    try:
        item = ActionItem.objects.select_related("session").get(
            pk=action_item_id, session__in=sessions_visible(principal)
        )
    except (ActionItem.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such action item.")) from None
    p = principal_of(principal)
    is_owner = p.is_person and item.owner_id == p.user_id
    if not (is_owner or _may_run(principal, item.session)):
        raise PermissionDenied(_("Only the owner or the coach can change this action item."))
    return item


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_get(*, token: str) -> CalendarFeed:
    """The live feed behind a token; a wrong, revoked or rotated token answers 404."""
    try:
        return CalendarFeed.objects.select_related("user").get(
            token_hash=feed_token_hash(token), revoked_at__isnull=True, user__is_active=True
        )
    except CalendarFeed.DoesNotExist:
        raise Http404(_("No such calendar feed.")) from None
