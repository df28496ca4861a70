"""SCIM 2.0 provisioning (RFC 7643/7644): Coachline's people and teams as a scim2-server storage.

scim2-server does the protocol (routing, body validation, PATCH and PUT application, filters'
syntax, If-Match/If-None-Match, error bodies); this module only reads and writes Coachline's
rows. Filters run in the database. Nothing is ever deleted: a DELETE on a person deactivates them
(their completions, sessions and deals stay for ROI) and hides them from SCIM; a DELETE on a team
keeps the team and hides it. `active: false` deactivates and revokes the API keys the person
created; their open sessions end at their next request (the auth backend refuses inactive
people).
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from scim2_models import (
    InvalidFilterException,
    InvalidValueException,
    Meta,
    MutabilityException,
    NotFoundException,
    PreconditionFailedException,
    Reference,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import (
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
)
from scim2_server.storage import ScimStorage, SearchPage

from accounts.models import ScimRecord, SingleSignOn, Team, User
from accounts.people import person_deactivated
from accounts.roles import Role
from accounts.scim_resources import (
    DEFAULT_PAGE_SIZE,
    Email,
    GroupMember,
    GroupMembership,
    Name,
)
from accounts.scim_resources import (
    Group as ScimGroup,
)
from accounts.scim_resources import (
    User as ScimUser,
)

# Filter attributes (lower case, as SCIM attribute names are case-insensitive) -> ORM lookups.
USER_FIELDS = {
    "id": ("pk", True),
    "username": ("scim_user_name", False),
    "externalid": ("scim_record__external_id", True),
    "displayname": ("full_name", False),
    "name.formatted": ("full_name", False),
    "emails": ("email", False),
    "emails.value": ("email", False),
    "active": ("is_active", True),
}
GROUP_FIELDS = {
    "id": ("pk", True),
    "displayname": ("name", False),
    "externalid": ("scim_record__external_id", True),
    "members": ("members__pk", True),
    "members.value": ("members__pk", True),
}
_LOOKUPS = {
    CompareOperator.eq: "exact",
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}

_CASE_FOLDED = {"exact", "contains", "startswith", "endswith"}


def _version(resource: Resource[Any]) -> str:
    """A weak ETag over the whole representation: it changes whenever anything SCIM shows
    changes, whichever page or API made the change."""
    body = resource.model_dump(mode="json", exclude={"meta"})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def _meta(resource: Resource[Any], kind: str, record: ScimRecord | None, default: Any) -> None:
    resource.meta = Meta(
        resource_type=kind,
        created=record.created_at if record else default,
        last_modified=record.updated_at if record else default,
    )
    resource.meta.version = _version(resource)


def _ref(endpoint: str, pk: int) -> Reference[Any]:
    """Relative to the SCIM root; scim2-server turns it into the full URL."""
    return Reference(f"{endpoint}/{pk}")


def _record(obj: User | Team) -> ScimRecord | None:
    try:
        return obj.scim_record
    except ScimRecord.DoesNotExist:
        return None


def user_resource(user: User) -> ScimUser:
    record = _record(user)
    profile = record.profile if record else {}
    emails = [Email.model_validate(e) for e in profile.get("emails", [])] or [
        Email(value=user.email, type="work", primary=True)
    ]
    main = next((e for e in emails if e.primary), emails[0])
    main.value = user.email  # the address Coachline uses, whoever changed it last
    team = user.team
    resource = ScimUser(
        id=str(user.pk),
        external_id=(record.external_id or None) if record else None,
        user_name=(record.user_name if record and record.user_name else user.email),
        name=Name.model_validate(profile["name"]) if profile.get("name") else None,
        # Attributes the provider removed read back as absent; Coachline keeps its own value
        # (a name to show, an active person).
        display_name=user.full_name if profile.get("display_name", True) else None,
        emails=emails,
        active=False if not user.is_active else (True if profile.get("active", True) else None),
        groups=(
            [GroupMembership(value=str(team.pk), display=team.name, ref=_ref("Groups", team.pk))]
            if team is not None and not _hidden(team)
            else None
        ),
    )
    _meta(resource, "User", record, user.date_joined)
    return resource


def _hidden(obj: User | Team) -> bool:
    record = _record(obj)
    return record is not None and record.deleted_at is not None


def group_resource(team: Team) -> ScimGroup:
    record = _record(team)
    members = [
        GroupMember(value=str(u.pk), type="User", ref=_ref("Users", u.pk))
        for u in team.members.all()
    ]
    resource = ScimGroup(
        id=str(team.pk),
        external_id=(record.external_id or None) if record else None,
        display_name=team.name,
        members=members or None,
    )
    _meta(resource, "Group", record, team.created_at)
    return resource


def _users() -> QuerySet[User]:
    return (
        User.objects.select_related("scim_record", "team", "team__scim_record")
        .annotate(
            scim_user_name=Coalesce(
                NullIf("scim_record__user_name", Value("")), "email", output_field=CharField()
            )
        )
        .exclude(scim_record__deleted_at__isnull=False)
    )


def _teams() -> QuerySet[Team]:
    return (
        Team.objects.select_related("scim_record")
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("pk")))
        .exclude(scim_record__deleted_at__isnull=False)
    )


def filter_q(node: Any, fields: dict[str, tuple[str, bool]]) -> Q:
    """A SCIM filter's syntax tree as a Q. An attribute the resource does not declare matches
    nothing (RFC 7644 3.4.2.1); a declared one Coachline cannot search raises invalidFilter."""
    if isinstance(node, LogicalExpr):
        parts = [filter_q(term, fields) for term in node.terms]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if node.op == LogicalOperator.and_ else combined | part
        return combined
    if isinstance(node, Not):
        return ~filter_q(node.expr, fields)
    if isinstance(node, Present | Comparison):
        path = str(node.attr_path).lower().rpartition(":")[2]
        if path not in fields:
            raise InvalidFilterException(detail=f"Coachline cannot filter on {node.attr_path}.")
        lookup, case_exact = fields[path]
        if isinstance(node, Present):
            return ~Q(**{f"{lookup}__isnull": True}) & ~Q(**{lookup: ""})
        return _comparison_q(node, lookup, case_exact)
    raise InvalidFilterException(detail="Coachline cannot evaluate this filter.")


def _comparison_q(node: Comparison, lookup: str, case_exact: bool) -> Q:
    value = node.value
    if lookup.endswith("pk"):
        if not str(value).isdecimal():
            return Q(pk__in=[])
        value = int(value)
    if node.op == CompareOperator.ne:
        return ~Q(**{f"{lookup}__{'exact' if case_exact else 'iexact'}": value})
    operation = _LOOKUPS[node.op]
    if not case_exact and isinstance(value, str) and operation in _CASE_FOLDED:
        operation = "i" + operation
    return Q(**{f"{lookup}__{operation}": value})


def _break_glass_guard(user: User) -> None:
    if SingleSignOn.current().break_glass_user_id == user.pk:
        raise MutabilityException(
            detail="This person is the break-glass admin; deactivate them in Coachline, not "
            "through provisioning."
        )


def _email_for(resource: ScimUser) -> str:
    emails = resource.emails or []
    main = next((e for e in emails if e.primary), emails[0] if emails else None)
    candidate = str(main.value) if main and main.value else str(resource.user_name or "")
    try:
        validate_email(candidate)
    except ValidationError:
        raise InvalidValueException(
            detail="Coachline needs an email address: send a primary email, or a userName "
            "that is one."
        ) from None
    return candidate.strip().lower()


def _full_name(resource: ScimUser, email: str) -> str:
    name = resource.name or Name()
    parts = " ".join(p for p in (name.given_name, name.family_name) if p)
    return (resource.display_name or name.formatted or parts or email).strip()[:150]


def _user_clash(*, user_name: str, email: str, exclude: int | None) -> None:
    others = _users().exclude(pk=exclude) if exclude else _users()
    if others.filter(scim_user_name__iexact=user_name).exists():  # type: ignore[misc]
        raise UniquenessException(detail=f"userName {user_name!r} is taken.")
    taken = User.objects.filter(email__iexact=email)
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise UniquenessException(detail=f"The email address {email} belongs to someone else.")


def _user_write(user: User, resource: ScimUser) -> User:
    """Write a SCIM User's state onto a person (new when `user.pk` is None) and their record."""
    user_name = str(resource.user_name or "").strip()
    if not user_name or len(user_name) > 255:
        raise InvalidValueException(detail="userName must be 1 to 255 characters.")
    email = _email_for(resource)
    _user_clash(user_name=user_name, email=email, exclude=user.pk)
    was_active = user.is_active if user.pk else True
    active = resource.active is not False
    if user.pk and was_active and not active:
        _break_glass_guard(user)
    user.email = email
    user.full_name = _full_name(resource, email)
    user.is_active = active
    if user.pk is None:
        user.role = Role.REP
        user.set_unusable_password()
    user.save()  # saved, not updated, so the audit log records the change
    record = _record(user) or ScimRecord(user=user)
    record.user_name = "" if user_name == email else user_name
    record.external_id = (resource.external_id or "")[:255]
    record.profile = {
        "name": resource.name.model_dump(mode="json") if resource.name else None,
        "emails": [e.model_dump(mode="json") for e in resource.emails or []],
        "display_name": resource.display_name is not None,
        "active": resource.active is not None,
    }
    record.updated_at = timezone.now()
    record.deleted_at = None
    record.save()
    user.scim_record = record
    if was_active and not active:
        person_deactivated(user=user)
    return user


def _group_write(team: Team, resource: ScimGroup) -> Team:
    name = str(resource.display_name or "").strip()
    if not name or len(name) > 120:
        raise InvalidValueException(detail="displayName must be 1 to 120 characters.")
    clash = Team.objects.filter(name__iexact=name)
    if team.pk:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise UniquenessException(detail=f"A team named {name!r} exists.")
    wanted: set[int] = set()
    for member in resource.members or []:
        if not str(member.value or "").isdecimal():
            raise InvalidValueException(detail=f"No person has the id {member.value!r}.")
        wanted.add(int(str(member.value)))
    people = {u.pk: u for u in _users().filter(pk__in=wanted)}
    if missing := wanted - set(people):
        raise InvalidValueException(detail=f"No person has the id {min(missing)}.")
    team.name = name
    team.save()
    for person in User.objects.filter(team=team).exclude(pk__in=wanted):
        person.team = None
        person.save()
    for person in people.values():
        if person.team_id != team.pk:
            person.team = team
            person.save()
    record = _record(team) or ScimRecord(team=team)
    record.external_id = (resource.external_id or "")[:255]
    record.updated_at = timezone.now()
    record.deleted_at = None
    record.save()
    return team


def _check_version(current: Resource[Any], expected: str | None) -> None:
    if expected is not None and current.meta and current.meta.version != expected:
        raise PreconditionFailedException


class CoachlineStorage(ScimStorage):
    """People (User) and teams (Group) in Coachline's tables. Each operation runs in a
    transaction (operation()); writes lock the row they change."""

    def operation(self) -> Any:
        return transaction.atomic()

    def _user(self, resource_id: str, *, lock: bool = False) -> User:
        rows = _users().select_for_update(of=("self",)) if lock else _users()
        user = rows.filter(pk=int(resource_id)).first() if resource_id.isdecimal() else None
        if user is None:
            raise NotFoundException(detail=f"No person has the id {resource_id!r}.")
        return user

    def _team(self, resource_id: str, *, lock: bool = False) -> Team:
        rows = _teams().select_for_update(of=("self",)) if lock else _teams()
        team = rows.filter(pk=int(resource_id)).first() if resource_id.isdecimal() else None
        if team is None:
            raise NotFoundException(detail=f"No team has the id {resource_id!r}.")
        return team

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        if resource_type.name == "User":
            return user_resource(self._user(resource_id))
        return group_resource(self._team(resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        """One page over the given types, people first (a search at the root covers both)."""
        start = max((search_request.start_index or 1) - 1, 0)
        wanted = DEFAULT_PAGE_SIZE if search_request.count is None else search_request.count
        total, resources = 0, list[Resource[Any]]()
        for resource_type in resource_types:
            is_user = resource_type.name == "User"
            rows: QuerySet[Any] = _users() if is_user else _teams()
            if search_request.filter is not None:
                fields = USER_FIELDS if is_user else GROUP_FIELDS
                rows = rows.filter(filter_q(search_request.filter.ast, fields)).distinct()
            found = rows.count()
            offset = max(start - total, 0)
            room = wanted - len(resources)
            if room > 0 and offset < found:
                build: Callable[[Any], Resource[Any]] = user_resource if is_user else group_resource
                resources += [build(r) for r in rows.order_by("pk")[offset : offset + room]]
            total += found
        return SearchPage(total=total, resources=resources)

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        try:
            with transaction.atomic():
                if isinstance(resource, ScimUser):
                    return user_resource(_user_write(_revivable_user(resource), resource))
                assert isinstance(resource, ScimGroup)
                return group_resource(_group_write(_revivable_team(resource), resource))
        except IntegrityError:  # the same userName or name created twice at once
            raise UniquenessException(
                detail="Created at the same time by another request."
            ) from None

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        try:
            with transaction.atomic():
                if isinstance(resource, ScimUser):
                    user = self._user(str(resource.id), lock=True)
                    _check_version(user_resource(user), expected_version)
                    return user_resource(_user_write(user, resource))
                assert isinstance(resource, ScimGroup)
                team = self._team(str(resource.id), lock=True)
                _check_version(group_resource(team), expected_version)
                _group_write(team, resource)
                return group_resource(self._team(str(team.pk)))
        except IntegrityError:
            raise UniquenessException(
                detail="Changed at the same time by another request."
            ) from None

    def delete(
        self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None
    ) -> None:
        with transaction.atomic():
            obj: User | Team
            if resource_type.name == "User":
                obj = user = self._user(resource_id, lock=True)
                _check_version(user_resource(user), expected_version)
                _break_glass_guard(user)
                if user.is_active:
                    user.is_active = False
                    user.save()
                    person_deactivated(user=user)
            else:
                obj = team = self._team(resource_id, lock=True)
                _check_version(group_resource(team), expected_version)
            record = _record(obj) or (
                ScimRecord(user=obj) if isinstance(obj, User) else ScimRecord(team=obj)
            )
            record.deleted_at = record.updated_at = timezone.now()
            record.save()


def _revivable_user(resource: ScimUser) -> User:
    """A new person, or one SCIM deleted before whose email comes back (history kept)."""
    email = _email_for(resource)
    gone = User.objects.filter(email__iexact=email, scim_record__deleted_at__isnull=False)
    return gone.first() or User()


def _revivable_team(resource: ScimGroup) -> Team:
    name = str(resource.display_name or "").strip()
    gone = Team.objects.filter(name__iexact=name, scim_record__deleted_at__isnull=False)
    return gone.first() or Team()
