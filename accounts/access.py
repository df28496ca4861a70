"""Who may see whom (DESIGN.md §7). Every app builds its visibility on these functions.

A *principal* is whoever makes a request: a signed-in user, or an integration's API key.
Anything outside a principal's visibility is answered as missing (404), never as forbidden.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import ApiKey, Role, Scope, Team, User

Principal = User | ApiKey


def visible_users_q(viewer: User, *, prefix: str = "") -> Q:
    """The people `viewer` may see, as a Q over a User relation (`prefix` like "rep__").

    rep: themself; coach: also their coachees; manager: also their team(s) and direct reports;
    leader and admin: everyone.
    """
    if viewer.sees_everyone:
        return Q()
    q = Q(**{f"{prefix}pk": viewer.pk})
    if viewer.role in (Role.COACH, Role.MANAGER):
        q |= Q(**{f"{prefix}coach_links__coach": viewer.pk})
    if viewer.role == Role.MANAGER:
        q |= Q(**{f"{prefix}team__manager": viewer.pk}) | Q(**{f"{prefix}manager": viewer.pk})
    return q


def visible_users(principal: Principal) -> QuerySet[User]:
    if isinstance(principal, ApiKey):
        if principal.has_scope(Scope.USERS_READ):
            return User.objects.all()
        return User.objects.none()
    if not principal.is_authenticated or not principal.is_active:
        return User.objects.none()
    # distinct(): the coach_links join can repeat a person who has two coaches.
    return User.objects.filter(visible_users_q(principal)).distinct()


def user_get_visible(principal: Principal, *, user_id: int) -> User:
    try:
        return visible_users(principal).select_related("team", "manager").get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such user") from None


def managed_users(viewer: User) -> QuerySet[User]:
    """People `viewer` may assign work to: their team(s) and reports (admins: everyone)."""
    if viewer.is_admin_role:
        return User.objects.filter(is_active=True)
    if viewer.role != Role.MANAGER:
        return User.objects.none()
    return User.objects.filter(
        Q(team__manager=viewer) | Q(manager=viewer), is_active=True
    ).distinct()


def coachable_users(viewer: User) -> QuerySet[User]:
    """People `viewer` may book coaching with: coachees, and for managers their team."""
    if viewer.is_admin_role:
        return User.objects.filter(is_active=True).exclude(pk=viewer.pk)
    q = Q(coach_links__coach=viewer)
    if viewer.role == Role.MANAGER:
        q |= Q(team__manager=viewer) | Q(manager=viewer)
    elif viewer.role != Role.COACH:
        return User.objects.none()
    return User.objects.filter(q, is_active=True).exclude(pk=viewer.pk).distinct()


def principal_has_scope_or_role(
    principal: Principal, *, scope: str, roles: tuple[str, ...]
) -> bool:
    if isinstance(principal, ApiKey):
        return principal.has_scope(scope)
    if not principal.is_authenticated:
        return False
    return principal.is_admin_role or principal.role in roles


# Roles that see everyone; only an admin (or a key trusted with users:admin) hands them out.
PRIVILEGED_ROLES = frozenset({Role.ADMIN, Role.LEADER})


def principal_may_grant_privileged_roles(principal: Principal) -> bool:
    """May `principal` make someone an admin or leader, or take that role away?

    A signed-in admin may; a key only with the `users:admin` scope (users:write is not enough:
    a new admin could be taken over by a password reset).
    """
    if isinstance(principal, ApiKey):
        return Scope.USERS_ADMIN in principal.scopes
    return principal.is_authenticated and principal.is_active and principal.is_admin_role


def people_admin_check(viewer: User) -> None:
    """Managing people and API keys is an admin's job: anyone else gets 404."""
    if not (viewer.is_authenticated and viewer.is_active and viewer.is_admin_role):
        raise Http404("No such page")


def person_get_for_admin(viewer: User, *, user_id: int) -> User:
    """A person (active or not) an admin manages, with team and manager; 404 for non-admins."""
    people_admin_check(viewer)
    try:
        return User.objects.select_related("team", "manager").get(pk=user_id)
    except User.DoesNotExist:
        raise Http404("No such user") from None


def api_key_get_for_admin(viewer: User, *, key_id: str) -> ApiKey:
    people_admin_check(viewer)
    try:
        return ApiKey.objects.get(pk=key_id)
    except ApiKey.DoesNotExist:
        raise Http404("No such key") from None


def team_get_for_admin(viewer: User, *, team_id: int) -> Team:
    people_admin_check(viewer)
    try:
        return Team.objects.select_related("manager").get(pk=team_id)
    except Team.DoesNotExist:
        raise Http404("No such team") from None
