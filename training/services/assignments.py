"""Assigning programs and courses to people, and the daily reminders about them."""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.roles import Role
from notifications.kinds import Kind
from notifications.selectors import notification_sent_since
from notifications.services import notify
from training.models import Assignment, Course, Program, PublishStatus
from training.selectors import DUE_SOON_DAYS, assignment_states

log = logging.getLogger(__name__)


@dataclass
class AssignResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def team_reps(*, team: Team) -> list[User]:
    """Who a team assignment reaches: the team's active reps."""
    return list(team.members.filter(is_active=True, role=Role.REP).order_by("pk"))


def assignment_create(
    *,
    target: Program | Course,
    assignees: Sequence[User],
    due_date: dt.date,
    assigned_by: User | None,
    team: Team | None = None,
    today: dt.date | None = None,
) -> AssignResult:
    """Assign `target` to each person (one row each). Idempotent per (person, target): assigning
    again with a new due date moves the date and re-arms the reminders.

    The caller has checked that `assigned_by` may assign to these people (training.access).
    """
    _assignment_validate(
        target=target, assignees=assignees, due_date=due_date, today=today or timezone.localdate()
    )
    key: dict[str, Any] = {"program": target} if isinstance(target, Program) else {"course": target}
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            with transaction.atomic():
                result, new = _assignments_write(
                    assignees=assignees,
                    key=key,
                    due_date=due_date,
                    assigned_by=assigned_by,
                    team=team,
                )
                # Only the rows this call inserted are counted and announced.
                _notify_assigned(target=target, new=new, due_date=due_date, assigned_by=assigned_by)
            return result
        except IntegrityError:
            # A parallel request assigned one of these people the same target between our
            # read and our insert: read again, that row now counts as updated or unchanged.
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# A retry reads the competing request's rows; a third conflict on the same call is a bug.
_WRITE_ATTEMPTS = 2


def _existing_assignments(*, assignee_ids: list[int], key: dict[str, Any]) -> dict[int, Assignment]:
    """The target's current assignments of these people, locked, by assignee."""
    return {
        a.assignee_id: a
        for a in Assignment.objects.select_for_update().filter(assignee__in=assignee_ids, **key)
    }


def _assignments_write(
    *,
    assignees: Sequence[User],
    key: dict[str, Any],
    due_date: dt.date,
    assigned_by: User | None,
    team: Team | None,
) -> tuple[AssignResult, list[Assignment]]:
    """Insert the missing rows (IntegrityError when another request inserted one meanwhile) and
    move the due dates of the others; the counts and the inserted rows."""
    result = AssignResult()
    existing = _existing_assignments(assignee_ids=[u.pk for u in assignees], key=key)
    new = []
    for person in {u.pk: u for u in assignees}.values():
        current = existing.get(person.pk)
        if current is None:
            new.append(
                Assignment(
                    assignee=person, due_date=due_date, assigned_by=assigned_by, team=team, **key
                )
            )
        elif current.due_date != due_date:
            Assignment.objects.filter(pk=current.pk).update(
                due_date=due_date,
                due_soon_reminded_at=None,
                overdue_reminded_at=None,
                updated_at=timezone.now(),
            )
            result.updated += 1
        else:
            result.unchanged += 1
    Assignment.objects.bulk_create(new)
    result.created = len(new)
    return result, new


def _assignment_validate(
    *,
    target: Program | Course,
    assignees: Sequence[User],
    due_date: dt.date,
    today: dt.date,
) -> None:
    errors: dict[str, list[str]] = {}
    if due_date < today:
        errors["due_date"] = [_("Choose today or a later date.")]
    if not assignees:
        errors["assignees"] = [_("Choose at least one person.")]
    if target.status != PublishStatus.PUBLISHED:
        errors["target"] = [_("Publish it before assigning it.")]
    elif empty := _courses_without_lessons(target):
        errors["target"] = [
            _("%(courses)s has no lessons yet: add lessons before assigning it.")
            % {"courses": ", ".join(empty)}
        ]
    if errors:
        raise ValidationError(errors)


def _courses_without_lessons(target: Program | Course) -> list[str]:
    """Titles of the target's courses with no published lesson: nothing to learn, so nothing to
    assign (nor to rate or complete). One query."""
    courses = (
        Course.objects.filter(pk=target.pk)
        if isinstance(target, Course)
        else Course.objects.filter(program_links__program=target)
    )
    published = Q(lessons__status=PublishStatus.PUBLISHED)
    empty = courses.annotate(n=Count("lessons", filter=published)).filter(n=0)
    return list(empty.order_by("title").values_list("title", flat=True))


def _notify_assigned(
    *,
    target: Program | Course,
    new: list[Assignment],
    due_date: dt.date,
    assigned_by: User | None,
) -> None:
    """Tell each newly assigned person at once (inside the transaction: a rollback tells nobody)."""
    notify(
        recipients=[a.assignee for a in new],
        kind=Kind.ASSIGNED,
        params={
            "title": target.title,
            "due": due_date.isoformat(),
            "actor": assigned_by.full_name if assigned_by else "",
        },
        url=_target_path(target),
        actor=assigned_by,
    )


def _target_path(target: Program | Course) -> str:
    if isinstance(target, Program):
        return reverse("training:program_detail", args=[target.slug])
    return reverse("training:course_detail", args=[target.slug])


def assignment_delete(*, assignment: Assignment) -> None:
    assignment.delete()


@dataclass
class ReminderRun:
    due_soon: int = 0
    overdue: int = 0
    failed: int = 0


def assignment_reminders_send(*, today: dt.date | None = None) -> ReminderRun:
    """Email each unfinished assignment once when it is due soon and once when overdue.

    Safe to run twice, or in two workers at once: each email is claimed first with a conditional
    UPDATE of its `*_reminded_at` field, and only the worker whose UPDATE matched sends it.
    """
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    candidates = list(
        Assignment.objects.filter(
            Q(due_date__lt=today, overdue_reminded_at__isnull=True)
            | Q(due_date__gte=today, due_date__lte=soon, due_soon_reminded_at__isnull=True),
            assignee__is_active=True,
        ).select_related("assignee", "program", "course")
    )
    states = assignment_states(assignments=candidates, today=today)
    run = ReminderRun()
    for assignment in candidates:
        if states[assignment.pk].is_done:
            continue
        overdue = assignment.due_date < today
        field = "overdue_reminded_at" if overdue else "due_soon_reminded_at"
        claimed = Assignment.objects.filter(pk=assignment.pk, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()}
        )
        if not claimed:
            continue  # another run sent it
        try:
            _reminder_send(assignment=assignment, overdue=overdue, today=today)
        except Exception:
            # Release the claim so tomorrow's run tries again; one bad address must not stop
            # the others.
            Assignment.objects.filter(pk=assignment.pk).update(**{field: None})
            log.exception("training reminder for assignment %s failed", assignment.pk)
            run.failed += 1
            continue
        if overdue:
            run.overdue += 1
        else:
            run.due_soon += 1
    return run


def _reminder_send(*, assignment: Assignment, overdue: bool, today: dt.date) -> None:
    """In the app, and by email, Slack or Teams as the person chose (notifications)."""
    target = assignment.program or assignment.course
    assert target is not None
    notify(
        recipients=[assignment.assignee],
        kind=Kind.OVERDUE if overdue else Kind.DUE_SOON,
        params={"title": target.title, "due": assignment.due_date.isoformat()},
        url=_target_path(target),
    )


# A person is nudged about one assignment at most once in this window: a reminder, not spam.
NUDGE_INTERVAL = dt.timedelta(hours=12)
NUDGE_NOTE_MAX = 500


def assignment_nudge(*, assignment: Assignment, by: User, note: str = "") -> None:
    """Send the assignee a nudge about this assignment, with an optional note. The caller has
    checked that `by` manages the assignee (training.access.assignment_get_for_manager)."""
    note = note.replace("\x00", "").strip()
    if len(note) > NUDGE_NOTE_MAX:
        raise ValidationError(
            {"note": [_("Keep the note under %(n)d characters.") % {"n": NUDGE_NOTE_MAX}]}
        )
    target = assignment.program or assignment.course
    assert target is not None
    url = _target_path(target)
    with transaction.atomic():
        # Lock the assignment: two clicks at once send one nudge.
        Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
        if notification_sent_since(
            recipient=assignment.assignee,
            kind=Kind.NUDGE,
            url=url,
            since=timezone.now() - NUDGE_INTERVAL,
        ):
            raise ValidationError(
                {
                    "note": [
                        _("%(name)s was nudged about this in the last 12 hours.")
                        % {"name": assignment.assignee.full_name}
                    ]
                }
            )
        notify(
            recipients=[assignment.assignee],
            kind=Kind.NUDGE,
            params={"title": target.title, "actor": by.full_name, "note": note},
            url=url,
            actor=by,
        )
