"""The access policy: who may see and do what (DESIGN.md §7). Each rule is written here once.

Whoever makes a request is an *actor*: a signed-in person, an anonymous visitor, or an
integration's API key. `principal_of(actor)` turns it into a `Principal`, a small frozen value
built from fields already loaded with the user (no query), and cached on the actor so a request
XXX below are the rules; the apps' `access.py` only compose them with
their own models, and views, API views, selectors, menus and templates ask these (or those)
rather than look at roles themselves. Import contracts keep it so (docs/architecture.md).

Anything outside a principal's visibility is answered as missing (404), never as forbidden.

Two decisions are recorded in docs/decisions (the access policy record):
- a superuser is an admin whatever their role field says, everywhere;
- drafts are seen by those who edit content (admins, managers, keys that read training),
  in lists and details alike; leaders read published content and every figure, costs included.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import ApiKey, Scope, Team, User
from accounts.roles import Role

Actor = User | ApiKey | AnonymousUser
Kind = Literal["anonymous", "person", "key"]

# Roles that see everyone; only an admin (or a key trusted with users:admin) hands them out.
PRIVILEGED_ROLES = frozenset({Role.ADMIN, Role.LEADER})
# Roles that coach: book sessions as the coach.
COACHING_ROLES = frozenset({Role.COACH, Role.MANAGER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, as the policy sees them. Built by `principal_of`, never by hand."""

    kind: Kind
    user_id: int = 0  # 0 for keys and visitors: matches no row
    role: str | None = None
    is_superuser: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)
    key: ApiKey | None = None

    # Who they are

    @property
    def is_person(self) -> bool:
        return self.kind == "person"

    @property
    def is_key(self) -> bool:
        return self.kind == "key"

    @property
    def is_admin(self) -> bool:
        """An admin, or a superuser whatever their role field says."""
        return self.is_person and (self.role == Role.ADMIN or self.is_superuser)

    @property
    def sees_everyone(self) -> bool:
        """Leaders and admins (superusers included) see every person and every record."""
        return self.is_admin or (self.is_person and self.role == Role.LEADER)

    @property
    def sees_only_self(self) -> bool:
        """A rep: their own learning, sessions, deals and scores, nobody else's."""
        return self.is_person and not self.sees_everyone and self.role == Role.REP

    @property
    def is_manager(self) -> bool:
        return self.is_person and self.role == Role.MANAGER and not self.is_admin

    @property
    def is_leader(self) -> bool:
        return self.is_person and self.role == Role.LEADER and not self.is_admin

    def has_scope(self, scope: str) -> bool:
        # A write scope implies the read scope of the same resource (ApiKey.has_scope).
        return self.key is not None and self.key.has_scope(scope)

    # Training content

    @property
    def may_edit_content(self) -> bool:
        """Author courses, lessons, quizzes, programs in the Studio: admins and managers; keys
        with training:write. (The training write API is narrower: `training_api_writers`.)"""
        if self.is_key:
            return self.has_scope(Scope.TRAINING_WRITE)
        return self.is_admin or self.is_manager

    @property
    def may_see_drafts(self) -> bool:
        """Draft courses and programs, in lists and details alike: those who edit content, and
        keys that read training."""
        if self.is_key:
            return self.has_scope(Scope.TRAINING_READ)
        return self.may_edit_content

    @property
    def may_edit_costs(self) -> bool:
        """A program's costs (they set every ROI figure): admins, in the Studio and over the
        API alike; keys with training:write. Managers author content but not its costs."""
        if self.is_key:
            return self.has_scope(Scope.TRAINING_WRITE)
        return self.is_admin

    @property
    def may_see_costs(self) -> bool:
        """Costs and plans are inputs of the reports: editors, leaders, keys reading training."""
        if self.is_key:
            return self.has_scope(Scope.TRAINING_READ)
        return self.may_edit_content or self.is_leader

    @property
    def may_assign(self) -> bool:
        """Assign training: admins everyone, managers their people; keys with training:write."""
        if self.is_key:
            return self.has_scope(Scope.TRAINING_WRITE)
        return self.is_admin or self.is_manager

    @property
    def may_see_team_progress(self) -> bool:
        return self.is_admin or self.is_manager or self.is_leader

    @property
    def may_grant_retakes(self) -> bool:
        """Grant extra quiz attempts to their own people: coaches, managers, admins."""
        return self.may_coach

    # Reports

    @property
    def may_read_reports(self) -> bool:
        """Organisation-wide impact pages: managers, leaders, admins; keys with reports:read."""
        if self.is_key:
            return self.has_scope(Scope.REPORTS_READ)
        return self.is_admin or self.is_manager or self.is_leader

    @property
    def may_read_reports_over_api(self) -> bool:
        """The report API: leaders and admins among people (managers read the pages, which
        show their team), keys with reports:read."""
        if self.is_key:
            return self.has_scope(Scope.REPORTS_READ)
        return self.is_admin or self.is_leader

    @property
    def may_edit_settings(self) -> bool:
        """Money and evidence settings, integrations, the audit log: admins signed in."""
        return self.is_admin

    # Coaching

    @property
    def may_coach(self) -> bool:
        """Book and run sessions as the coach: coaches, managers, admins."""
        return self.is_person and (self.role in COACHING_ROLES or self.is_superuser)

    def may_run_session(self, *, coach_id: int) -> bool:
        """Run, reschedule, complete, score a session: its coach, admins, coaching:write keys."""
        if self.is_key:
            return self.has_scope(Scope.COACHING_WRITE)
        return self.is_admin or (self.is_person and coach_id == self.user_id)

    # People

    @property
    def may_list_people(self) -> bool:
        """The people page: anyone who sees more than themself."""
        return self.is_person and not self.sees_only_self

    @property
    def may_grant_privileged_roles(self) -> bool:
        """Make someone an admin or leader, or take that role away: a signed-in admin; a key only
        with users:admin (users:write is not enough: a new admin could be taken over by a
        password reset)."""
        if self.is_key:
            return Scope.USERS_ADMIN in self.scopes
        return self.is_admin

    def has_scope_or(self, *, scope: str, person_rule: bool) -> bool:
        """The API's gate: keys by scope, people by the rule given (admins always pass)."""
        if self.is_key:
            return self.has_scope(scope)
        return self.is_person and (self.is_admin or person_rule)


ANONYMOUS = Principal(kind="anonymous")


def organisation_reader() -> Principal:
    """Background work done for the whole organisation (warming report caches after a refresh):
    sees what a leader sees, and is nobody (person 0 matches no row)."""
    return Principal(kind="person", user_id=0, role=Role.LEADER)


def principal_of(actor: "Actor | Principal | None") -> Principal:
    """The principal behind a request's user or key. No query: the fields are loaded already.

    Not cached on the actor: a user object changed in the same process (a role saved) must not
    keep its old principal. An inactive person is treated as anonymous.
    """
    if isinstance(actor, Principal):
        return actor
    if isinstance(actor, ApiKey):
        return Principal(kind="key", scopes=frozenset(actor.scopes or ()), key=actor)
    if isinstance(actor, User) and actor.is_authenticated and actor.is_active:
        return Principal(
            kind="person", user_id=actor.pk, role=actor.role, is_superuser=actor.is_superuser
        )
    return ANONYMOUS


# People


def visible_users_q(actor: "Actor | Principal", *, prefix: str = "") -> Q:
    """The people `actor` may see, as a Q over a User relation (`prefix` like "rep__").

    rep: themself; coach: also their coachees; manager: also their team(s) and direct reports;
    leader and admin (superusers included): everyone. Keys and visitors: see `visible_users`.
    """
    p = principal_of(actor)
    if p.sees_everyone:
        return Q()
    if not p.is_person:
        return Q(**{f"{prefix}pk__in": []})
    q = Q(**{f"{prefix}pk": p.user_id})
    if p.role in (Role.COACH, Role.MANAGER):
        q |= Q(**{f"{prefix}coach_links__coach": p.user_id})
    if p.role == Role.MANAGER:
        q |= Q(**{f"{prefix}team__manager": p.user_id}) | Q(**{f"{prefix}manager": p.user_id})
    return q


def visible_users(actor: "Actor | Principal") -> QuerySet[User]:
    p = principal_of(actor)
    if p.is_key:
        return User.objects.all() if p.has_scope(Scope.USERS_READ) else User.objects.none()
    if not p.is_person:
        return User.objects.none()
    if p.sees_everyone:
        return User.objects.all()
    # distinct(): the coach_links join can repeat a person who has two coaches.
    return User.objects.filter(visible_users_q(p)).distinct()


def visible_user_ids(actor: "Actor | Principal") -> QuerySet[User, int]:
    """The ids of `visible_users`, for a subquery (`owner__in=…`): no repeated rows."""
    p = principal_of(actor)
    if p.is_person and not p.sees_everyone:
        return User.objects.filter(visible_users_q(p)).values_list("pk", flat=True)
    return visible_users(p).values_list("pk", flat=True)


def visible_reps(actor: "Actor | Principal") -> QuerySet[User]:
    """The visible people who hold the rep role (deal owners, the subjects of rep reports)."""
    return visible_users(actor).filter(role=Role.REP)


def user_get_visible(actor: "Actor | Principal", *, user_id: int) -> User:
    """A person `actor` may see (their learning, coaching history, deals), or 404."""
    try:
        return visible_users(actor).select_related("team", "manager").get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such user") from None


def managed_users(actor: "Actor | Principal") -> QuerySet[User]:
    """People `actor` may assign work to: their team(s) and reports (admins: everyone)."""
    p = principal_of(actor)
    if p.is_admin:
        return User.objects.filter(is_active=True)
    if not p.is_manager:
        return User.objects.none()
    return User.objects.filter(
        Q(team__manager=p.user_id) | Q(manager=p.user_id), is_active=True
    ).distinct()


def assignable_users(actor: "Actor | Principal") -> QuerySet[User]:
    """People `actor` may assign training to: keys with training:write anyone active; people
    their own people, never themself."""
    p = principal_of(actor)
    if not p.may_assign:
        return User.objects.none()
    if p.is_key:
        return User.objects.filter(is_active=True)
    return managed_users(p).exclude(pk=p.user_id)


def coachable_users(actor: "Actor | Principal") -> QuerySet[User]:
    """People `actor` may book coaching with: coachees, and for managers their team."""
    p = principal_of(actor)
    if p.is_admin:
        return User.objects.filter(is_active=True).exclude(pk=p.user_id)
    if not p.may_coach:
        return User.objects.none()
    q = Q(coach_links__coach=p.user_id)
    if p.role == Role.MANAGER:
        q |= Q(team__manager=p.user_id) | Q(manager=p.user_id)
    return User.objects.filter(q, is_active=True).exclude(pk=p.user_id).distinct()


# Teams: "which teams can this person see" is answered here and nowhere else.


def visible_teams(actor: "Actor | Principal") -> QuerySet[Team]:
    """Teams `actor` sees as teams (team filters, team reports, team assignment): leaders and
    admins every team, managers the teams they manage, keys with users:read every team,
    everyone else none. Ordered by name."""
    p = principal_of(actor)
    teams = Team.objects.order_by("name", "pk")
    if p.sees_everyone or (p.is_key and p.has_scope(Scope.USERS_READ)):
        return teams
    if p.is_manager:
        return teams.filter(manager=p.user_id)
    return teams.none()


def assignable_teams(actor: "Actor | Principal") -> QuerySet[Team]:
    """Teams `actor` may assign training to as a whole: the visible teams of whoever may
    assign (keys with training:write: every team)."""
    p = principal_of(actor)
    if not p.may_assign:
        return Team.objects.none()
    if p.is_key:
        return Team.objects.order_by("name", "pk")
    return visible_teams(p)


def team_get_visible(actor: "Actor | Principal", *, team_id: int) -> Team:
    try:
        return visible_teams(actor).select_related("manager").get(pk=team_id)
    except (Team.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such team") from None


# The predicates as functions, for code that holds an actor rather than a principal.


def anyone_signed_in(actor: "Actor | Principal") -> bool:
    return principal_of(actor).is_person


def may_list_people(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_list_people


def is_admin(actor: "Actor | Principal") -> bool:
    return principal_of(actor).is_admin


def sees_only_self(actor: "Actor | Principal") -> bool:
    return principal_of(actor).sees_only_self


def may_edit_content(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_edit_content


def may_see_drafts(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_see_drafts


def may_see_costs(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_see_costs


def may_edit_costs(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_edit_costs


def may_grant_retakes(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_grant_retakes


def may_assign(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_assign


def may_see_team_progress(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_see_team_progress


def may_read_reports(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_read_reports


def may_edit_settings(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_edit_settings


def may_coach(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_coach


def may_run_session(actor: "Actor | Principal", *, coach_id: int) -> bool:
    return principal_of(actor).may_run_session(coach_id=coach_id)


def principal_may_grant_privileged_roles(actor: "Actor | Principal") -> bool:
    return principal_of(actor).may_grant_privileged_roles


def require(rule: bool, *, message: str = "Not found") -> None:
    """Answer 404 unless `rule` holds: refused looks the same as missing."""
    if not rule:
        raise Http404(message)


# Rules for API views (`person_rule` in accounts.permissions.ScopeOrRule): who among people may
# call an endpoint at all; what they then see is still narrowed by the querysets above.


def anyone(p: Principal) -> bool:
    """Any signed-in person (what they see is narrowed by visibility)."""
    return p.is_person


def admins_only(p: Principal) -> bool:
    return p.is_admin


def coaches(p: Principal) -> bool:
    return p.may_coach


def training_api_writers(p: Principal) -> bool:
    """Course and program writes over the API: whoever may edit costs (a program's body
    carries its costs; one rule for both bodies keeps the API simple). Managers author in the
    Studio, where the cost fields are read-only to them."""
    return p.may_edit_costs


def assigners(p: Principal) -> bool:
    return p.may_assign


def report_api_readers(p: Principal) -> bool:
    return p.may_read_reports_over_api


View = Callable[..., HttpResponse]


def admin_required(view: View) -> View:
    """Pages for admins only (signed in); anyone else is answered as if the page did not
    exist."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require(principal_of(request.user).is_admin, message="No such page")
        return view(request, *args, **kwargs)

    return wrapped


# People and API keys: managed by admins (accounts.people_views).


def people_admin_check(viewer: "Actor | Principal") -> None:
    """Managing people and API keys is an admin's job: anyone else gets 404."""
    require(principal_of(viewer).is_admin, message="No such page")


def person_get_for_admin(viewer: "Actor | Principal", *, user_id: int) -> User:
    """A person (active or not) an admin manages, with team and manager; 404 for non-admins."""
    people_admin_check(viewer)
    try:
        return User.objects.select_related("team", "manager").get(pk=user_id)
    except User.DoesNotExist:
        raise Http404("No such user") from None


def api_key_get_for_admin(viewer: "Actor | Principal", *, key_id: str) -> ApiKey:
    people_admin_check(viewer)
    try:
        return ApiKey.objects.get(pk=key_id)
    except ApiKey.DoesNotExist:
        raise Http404("No such key") from None


def team_get_for_admin(viewer: "Actor | Principal", *, team_id: int) -> Team:
    people_admin_check(viewer)
    try:
        return Team.objects.select_related("manager").get(pk=team_id)
    except Team.DoesNotExist:
        raise Http404("No such team") from None


# Practice recordings (the practice app): a recording of a person's voice and face is narrower
# than the rest of their record. The rep, the people who coach them (their reviewers) and their
# manager chain see it; nobody else, leaders and admins included (issue 18, docs/practice.md).

# How far up the chain of direct managers a recording is visible: manager, theirs, and theirs.
PRACTICE_MANAGER_CHAIN_DEPTH = 3


def practice_reps_q(actor: "Actor | Principal", *, prefix: str = "") -> Q:
    """The people whose practice recordings `actor` may see, as a Q over a User relation."""
    p = principal_of(actor)
    if not p.is_person:
        return Q(**{f"{prefix}pk__in": []})
    q = Q(**{f"{prefix}pk": p.user_id})
    q |= Q(**{f"{prefix}coach_links__coach": p.user_id})
    q |= Q(**{f"{prefix}team__manager": p.user_id})
    chain = "manager"
    for _level in range(PRACTICE_MANAGER_CHAIN_DEPTH):
        q |= Q(**{f"{prefix}{chain}": p.user_id})
        chain += "__manager"
    return q


def practice_visible_rep_ids(actor: "Actor | Principal") -> QuerySet[User, int]:
    """The ids of the people whose recordings `actor` may see, for a subquery (no repeats)."""
    return User.objects.filter(practice_reps_q(actor)).values_list("pk", flat=True)


def practice_reviewable_rep_ids(actor: "Actor | Principal") -> QuerySet[User, int]:
    """The ids of the people whose recordings `actor` may score: those they coach, never
    themself (the rep's coach reviews by default)."""
    p = principal_of(actor)
    if not p.is_person:
        return User.objects.none().values_list("pk", flat=True)
    coached = User.objects.filter(coach_links__coach=p.user_id).exclude(pk=p.user_id)
    return coached.values_list("pk", flat=True)
