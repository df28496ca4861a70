import datetime as dt
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.access import Actor, Principal, principal_of, visible_users
from accounts.models import ApiKey, CoachAssignment, Scope, SignInRecord, Team, User


def user_list(*, principal: Actor | Principal) -> QuerySet[User]:
    """Visible users with everything the list shows, in three queries (users, crm ids, coaches)."""
    return (
        visible_users(principal)
        .select_related("team", "manager")
        .prefetch_related(
            "crm_identities",
            Prefetch("coach_links", queryset=CoachAssignment.objects.select_related("coach")),
        )
        .order_by("full_name", "pk")
    )


@dataclass(frozen=True)
class PeopleFilters:
    query: str = ""
    role: str = ""
    team_id: int | None = None
    status: str = ""  # "", "active", "inactive"


def people_search(*, principal: Actor | Principal, filters: PeopleFilters) -> QuerySet[User]:
    """user_list narrowed by a name or email search, role, team and active status."""
    people = user_list(principal=principal)
    if filters.query:
        people = people.filter(
            Q(full_name__icontains=filters.query) | Q(email__icontains=filters.query)
        )
    if filters.role:
        people = people.filter(role=filters.role)
    if filters.team_id is not None:
        people = people.filter(team_id=filters.team_id)
    if filters.status:
        people = people.filter(is_active=filters.status == "active")
    return people


def people_find(
    *, principal: Actor | Principal, words: tuple[str, ...], limit: int = 10
) -> list[User]:
    """Visible active people (not the caller) whose name or email holds every word. One query."""
    if not words:
        return []
    people = visible_users(principal).filter(is_active=True).select_related("team")
    if (p := principal_of(principal)).is_person:
        people = people.exclude(pk=p.user_id)
    for word in words:
        people = people.filter(Q(full_name__icontains=word) | Q(email__icontains=word))
    return list(people.order_by("full_name", "pk")[:limit])


def api_key_list() -> QuerySet[ApiKey]:
    """Every key, newest first, with who created it (one query)."""
    return ApiKey.objects.select_related("created_by").order_by("-created", "-pk")


def scim_key_list() -> list[ApiKey]:
    """The keys a provisioning client may use (scope scim, not revoked), newest first. Filtered
    in Python: JSON containment is not portable to SQLite, and keys are few."""
    return [k for k in api_key_list().filter(revoked=False) if Scope.SCIM in k.scopes]


@dataclass(frozen=True)
class AuditFilters:
    what: str = ""  # "app_label.model"
    action: int | None = None
    actor: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def audit_log_list(*, filters: AuditFilters) -> QuerySet[LogEntry]:
    """Audit rows, newest first, with the acting user and the model joined (one query a page).
    Only admins may see them: the caller checked."""
    rows = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    if filters.what:
        app_label, _dot, model = filters.what.partition(".")
        rows = rows.filter(content_type__app_label=app_label, content_type__model=model)
    if filters.action is not None:
        rows = rows.filter(action=filters.action)
    if filters.actor:
        rows = rows.filter(
            Q(actor_email__icontains=filters.actor)
            | Q(additional_data__api_key__name__icontains=filters.actor)
        )
    if filters.since:
        rows = rows.filter(timestamp__date__gte=filters.since)
    if filters.until:
        rows = rows.filter(timestamp__date__lte=filters.until)
    return rows


@dataclass(frozen=True)
class AuditRow:
    entry: LogEntry
    who: str
    what: str
    changes: list[tuple[str, Any, Any]]  # (field, before, after)


def audit_entry_row(entry: LogEntry) -> AuditRow:
    """What the page shows of one row; reads nothing more from the database."""
    api_key = (entry.additional_data or {}).get("api_key")
    if entry.actor is not None:
        who = f"{entry.actor.full_name} <{entry.actor_email or entry.actor.email}>"
    elif api_key:
        who = _("API key %(name)s") % {"name": api_key.get("name", "")}
    else:
        who = _("System")
    changes = [
        (field, *(values if isinstance(values, list) and len(values) == 2 else ("", values)))
        for field, values in sorted((entry.changes_dict or {}).items())
    ]
    return AuditRow(
        entry=entry,
        who=who,
        what=f"{entry.content_type.name}: {entry.object_repr}",
        changes=changes,
    )


def sign_in_list() -> QuerySet[SignInRecord]:
    """Sign-ins and failures, newest first, with the person joined (one query a page)."""
    return SignInRecord.objects.select_related("user").order_by("-at", "-pk")


def team_list() -> QuerySet[Team]:
    """Teams with their manager and member count (one query)."""
    return Team.objects.select_related("manager").annotate(size=Count("members")).order_by("name")
