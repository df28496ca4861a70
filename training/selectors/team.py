"""Managers' view of their people's assignments."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.access import visible_users
from accounts.models import User
from training.models import Assignment
from training.selectors.assignments import AssignmentState, assignment_states
from training.selectors.progress import Status


@dataclass(frozen=True)
class TeamRow:
    assignment: Assignment
    state: AssignmentState


@dataclass
class TeamProgress:
    rows: list[TeamRow]
    counts: dict[str, int]
    targets: list[tuple[str, str]]  # (value for the filter, title)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def team_progress_assignments(*, viewer: User) -> QuerySet[Assignment]:
    """Assignments of the people `viewer` may see, except the viewer's own."""
    return (
        Assignment.objects.filter(assignee__in=visible_users(viewer).values("pk"))
        .exclude(assignee=viewer)
        .select_related("assignee", "assignee__team", "program", "course")
    )


def team_progress(
    *,
    viewer: User,
    target: str = "",
    status: str = "",
    team_id: int | None = None,
    today: dt.date | None = None,
) -> TeamProgress:
    """Who is done, in progress, not started or overdue. Queries: assignments (with person,
    team, target), program courses, progress rows, completions, targets for the filter."""
    assignments = team_progress_assignments(viewer=viewer)
    kind, _sep, slug = target.partition(":")
    if kind == "program" and slug:
        assignments = assignments.filter(program__slug=slug)
    elif kind == "course" and slug:
        assignments = assignments.filter(course__slug=slug)
    if team_id:
        assignments = assignments.filter(assignee__team_id=team_id)
    loaded = list(assignments.order_by("assignee__full_name", "assignee_id", "due_date", "pk"))
    states = assignment_states(assignments=loaded, today=today)
    counts = {s: 0 for s in Status.LABELS}
    rows = []
    for a in loaded:
        state = states[a.pk]
        counts[state.status] += 1
        if not status or state.status == status:
            rows.append(TeamRow(a, state))
    targets = sorted(
        {
            (f"program:{p}", t)
            for p, t in team_progress_assignments(viewer=viewer)
            .filter(program__isnull=False)
            .values_list("program__slug", "program__title")
        }
        | {
            (f"course:{c}", t)
            for c, t in team_progress_assignments(viewer=viewer)
            .filter(course__isnull=False)
            .values_list("course__slug", "course__title")
        },
        key=lambda pair: pair[1].casefold(),
    )
    return TeamProgress(rows=rows, counts=counts, targets=targets)
