"""Assigning programs and courses to people, and the daily reminders about them."""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
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
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if due_date < today:
        errors["due_date"] = [_("Choose today or a later date.")]
    if not assignees:
        errors["assignees"] = [_("Choose at least one person.")]
    if target.status != PublishStatus.PUBLISHED:
        errors["target"] = [_("Publish it before assigning it.")]
    if errors:
        raise ValidationError(errors)
    key: dict[str, Any] = {"program": target} if isinstance(target, Program) else {"course": target}
    result = AssignResult()
    with transaction.atomic():
        existing = {
            a.assignee_id: a
            for a in Assignment.objects.select_for_update().filter(
                assignee__in=[u.pk for u in assignees], **key
            )
        }
        new = []
        for person in {u.pk: u for u in assignees}.values():
            current = existing.get(person.pk)
            if current is None:
                new.append(
                    Assignment(
                        assignee=person,
                        due_date=due_date,
                        assigned_by=assigned_by,
                        team=team,
                        **key,
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
        # ignore_conflicts: a parallel request assigning the same person wins; nothing doubles.
        Assignment.objects.bulk_create(new, ignore_conflicts=True)
        result.created = len(new)
    return result


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
    person = assignment.assignee
    if assignment.program is not None:
        path = reverse("training:program_detail", args=[assignment.program.slug])
    else:
        assert assignment.course is not None
        path = reverse("training:course_detail", args=[assignment.course.slug])
    with translation.override(person.language):
        context = {
            "person": person,
            "title": assignment.target_title,
            "due_date": assignment.due_date,
            "days_left": (assignment.due_date - today).days,
            "overdue": overdue,
            "url": f"{settings.SITE_URL}{path}",
        }
        subject = (_("Overdue: %(title)s") if overdue else _("Due soon: %(title)s")) % {
            "title": assignment.target_title
        }
        body = render_to_string("training/email/reminder.txt", context)
    send_mail(subject, body, None, [person.email])
