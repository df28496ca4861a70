"""Who may read which impact report; fetch-and-check helpers answer 404 for missing and
forbidden alike.

The rules are accounts.access's; this module fetches report subjects with them.

- Organisation-wide reports (dashboard, program and coaching pages): `may_read_reports`
  (managers, leaders, admins in the browser); over the API `may_read_reports_over_api`
  (leaders, admins, keys with `reports:read`). Reports show groups, never one person's result.
- Team views: `visible_teams` (the team's manager, leaders, admins).
- Rep views: `user_get_visible` (the rep themself, their coaches, their manager, leaders,
  admins).
- Settings: `may_edit_settings` (admins).
"""

from django.db.models import QuerySet
from django.http import Http404

from accounts.access import (
    Actor,
    Principal,
    may_edit_settings,
    may_read_reports,
    team_get_visible,
    user_get_visible,
    visible_teams,
)
from accounts.models import Team, User
from accounts.roles import Role
from coaching.models import SessionKind
from roi.models import SubjectKind
from training.models import Program

__all__ = ["may_edit_settings", "may_read_reports"]


def program_get_for_reports(*, principal: Actor | Principal, slug: str) -> Program:
    if not may_read_reports(principal):
        raise Http404("No such program")
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise Http404("No such program")
    return program


def coaching_kind_for_reports(*, principal: Actor | Principal, kind: str) -> str:
    if not may_read_reports(principal) or kind not in SessionKind.values:
        raise Http404("No such kind of coaching")
    return kind


def subject_for_reports(*, principal: Actor | Principal, kind: str, key: str) -> tuple[str, str]:
    """(kind, title) of a report subject the caller may read."""
    if kind == SubjectKind.PROGRAM:
        return kind, program_get_for_reports(principal=principal, slug=key).title
    if kind == SubjectKind.COACHING:
        coaching_kind_for_reports(principal=principal, kind=key)
        return kind, str(SessionKind(key).label)
    raise Http404("No such report")


def team_get_for_reports(*, viewer: Actor | Principal, team_id: int) -> Team:
    return team_get_visible(viewer, team_id=team_id)


def teams_for_reports(*, viewer: Actor | Principal) -> QuerySet[Team]:
    return visible_teams(viewer)


def rep_get_for_reports(*, viewer: Actor | Principal, rep_id: int) -> User:
    rep = user_get_visible(viewer, user_id=rep_id)
    if rep.role != Role.REP:
        raise Http404("No such rep")
    return rep
