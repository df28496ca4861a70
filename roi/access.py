"""Who may read which impact report; fetch-and-check helpers answer 404 for missing and
forbidden alike.

- Organisation-wide reports (dashboard, program and coaching pages): managers, leaders, admins
  in the browser; leaders, admins and API keys with `reports:read` over the API (the issue's
  rule for integrations). Reports show groups, never one person's result.
- Team views: the team's manager, leaders, admins.
- Rep views: whoever may see the rep (accounts.access): the rep themself, their coaches, their
  manager, leaders, admins.
- Settings: admins.
"""

from django.http import Http404

from accounts.access import Principal, user_get_visible
from accounts.models import ApiKey, Role, Scope, Team, User
from coaching.models import SessionKind
from roi.models import SubjectKind
from training.models import Program

REPORT_ROLES = (Role.MANAGER, Role.LEADER, Role.ADMIN)
API_REPORT_ROLES = (Role.LEADER, Role.ADMIN)


def can_read_reports(principal: Principal) -> bool:
    if isinstance(principal, ApiKey):
        return principal.has_scope(Scope.REPORTS_READ)
    return principal.is_authenticated and (
        principal.is_admin_role or principal.role in REPORT_ROLES
    )


def can_edit_settings(user: User) -> bool:
    return user.is_authenticated and user.is_admin_role


def program_get_for_reports(*, principal: Principal, slug: str) -> Program:
    if not can_read_reports(principal):
        raise Http404("No such program")
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise Http404("No such program")
    return program


def coaching_kind_for_reports(*, principal: Principal, kind: str) -> str:
    if not can_read_reports(principal) or kind not in SessionKind.values:
        raise Http404("No such kind of coaching")
    return kind


def subject_for_reports(*, principal: Principal, kind: str, key: str) -> tuple[str, str]:
    """(kind, title) of a report subject the caller may read."""
    if kind == SubjectKind.PROGRAM:
        return kind, program_get_for_reports(principal=principal, slug=key).title
    if kind == SubjectKind.COACHING:
        coaching_kind_for_reports(principal=principal, kind=key)
        return kind, str(SessionKind(key).label)
    raise Http404("No such report")


def team_get_for_reports(*, viewer: User, team_id: int) -> Team:
    team = Team.objects.select_related("manager").filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team")
    if viewer.is_admin_role or viewer.role == Role.LEADER:
        return team
    if viewer.role == Role.MANAGER and team.manager_id == viewer.pk:
        return team
    raise Http404("No such team")


def teams_for_reports(*, viewer: User) -> list[Team]:
    teams = Team.objects.order_by("name")
    if viewer.is_admin_role or viewer.role == Role.LEADER:
        return list(teams)
    if viewer.role == Role.MANAGER:
        return list(teams.filter(manager=viewer))
    return []


def rep_get_for_reports(*, viewer: User, rep_id: int) -> User:
    rep = user_get_visible(viewer, user_id=rep_id)
    if rep.role != Role.REP:
        raise Http404("No such rep")
    return rep
