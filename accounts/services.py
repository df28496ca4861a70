"""Writes to accounts: the users bulk upsert, API keys, profile changes."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.access import PRIVILEGED_ROLES
from accounts.models import ApiKey, CoachAssignment, CrmIdentity, Scope, Team, User
from accounts.roles import Role
from accounts.user_rows import UserRow, parse_user_row
from core.bulk import BulkResult, RowError

_USER_FIELDS = ("full_name", "role", "hire_date", "time_zone")


def _drop_unresolvable(
    rows: list[UserRow], known: set[str], errors: list[RowError]
) -> list[UserRow]:
    # A row whose manager or coach is neither stored nor a good row of this batch fails; dropping
    # it can orphan another row that points at it, so repeat until nothing changes.
    while True:
        emails = known | {r.email for r in rows}
        keep = []
        for row in rows:
            for field in ("manager_email", "coach_email"):
                ref = getattr(row, field)
                if ref and ref not in emails:
                    errors.append(
                        RowError(row.index, field, f"No user with email {ref}.", row.email)
                    )
                    break
            else:
                keep.append(row)
        if len(keep) == len(rows):
            return keep
        rows = keep


def user_bulk_upsert(*, rows: list[Any], may_grant_privileged_roles: bool) -> BulkResult:
    """Upsert people by email. Idempotent: posting the same list twice changes nothing.

    Every row is validated (fields and references) before anything is written, then the good
    rows are written in one transaction, so no row is ever half-written. Unless
    `may_grant_privileged_roles` (see accounts.access), a row that would grant or remove the
    admin or leader role is refused.
    """
    result = BulkResult(received=len(rows))
    parsed: dict[str, UserRow] = {}
    for index, raw in enumerate(rows):
        row = parse_user_row(index, raw)
        if isinstance(row, RowError):
            result.errors.append(row)
        else:
            parsed[row.email] = row  # a later duplicate of the same email wins
    good = list(parsed.values())
    existing = {u.email.lower(): u for u in User.objects.filter(email__in=[r.email for r in good])}
    if not may_grant_privileged_roles:
        good = _drop_privilege_changes(good, existing, result.errors)
    referenced = {e for r in good for e in (r.manager_email, r.coach_email) if e}
    known = set(existing) | set(
        User.objects.filter(email__in=referenced).values_list("email", flat=True)
    )
    good = _drop_unresolvable(good, known, result.errors)
    good = _drop_crm_conflicts(good, result.errors)

    with transaction.atomic():
        users = dict(existing)
        changed = _users_write(good, users, result)
        users.update(
            {u.email.lower(): u for u in User.objects.filter(email__in=referenced - set(users))}
        )
        for row in good:
            user = users[row.email]
            if _sync_relations(user, row, users):
                changed.add(row.email)
        for row in good:
            if row.email in existing:
                if row.email in changed:
                    result.updated += 1
                else:
                    result.unchanged += 1
    result.errors.sort(key=lambda e: e.index)
    return result


def _users_write(rows: list[UserRow], users: dict[str, User], result: BulkResult) -> set[str]:
    """Create or update each row's user (adding new ones to `users`, counting them created);
    returns the emails of stored users whose fields changed."""
    teams = _teams_by_name({r.team for r in rows if r.team})
    changed: set[str] = set()
    for row in rows:
        user = users.get(row.email)
        values = {f: getattr(row, f) for f in _USER_FIELDS}
        values["team"] = teams.get(row.team) if row.team else None
        values["is_staff"] = row.role == Role.ADMIN
        if user is None:
            user = User(email=row.email, **values)
            user.set_unusable_password()
            user.save()
            users[row.email] = user
            result.created += 1
            continue
        diff = {k: v for k, v in values.items() if getattr(user, k) != v}
        if diff:
            for k, v in diff.items():
                setattr(user, k, v)
            user.save(update_fields=list(diff))
            changed.add(row.email)
    return changed


def _drop_privilege_changes(
    rows: list[UserRow], existing: dict[str, User], errors: list[RowError]
) -> list[UserRow]:
    keep = []
    for row in rows:
        user = existing.get(row.email)
        if user is None:
            touches = row.role in PRIVILEGED_ROLES
        else:
            was_privileged = user.is_admin_role or user.role in PRIVILEGED_ROLES
            touches = row.role != user.role and (was_privileged or row.role in PRIVILEGED_ROLES)
        if touches:
            errors.append(
                RowError(
                    row.index,
                    "role",
                    "Granting or removing the admin or leader role needs a signed-in admin "
                    "or an API key with the users:admin scope.",
                    row.email,
                )
            )
        else:
            keep.append(row)
    return keep


def _teams_by_name(names: set[str]) -> dict[str, Team]:
    teams = {t.name: t for t in Team.objects.filter(name__in=names)}
    for name in names - set(teams):
        teams[name], _created = Team.objects.get_or_create(name=name)
    return teams


def _drop_crm_conflicts(rows: list[UserRow], errors: list[RowError]) -> list[UserRow]:
    pairs = {(s, o) for r in rows for s, o in r.crm_ids.items()}
    if not pairs:
        return rows
    owners = {
        (i.source, i.owner_id): i.user.email.lower()
        for i in CrmIdentity.objects.filter(owner_id__in=[o for _s, o in pairs]).select_related(
            "user"
        )
    }
    claimed: dict[tuple[str, str], str] = {}
    keep = []
    for row in rows:
        clash = next(
            (
                (s, o)
                for s, o in row.crm_ids.items()
                if owners.get((s, o), row.email) != row.email
                or claimed.get((s, o), row.email) != row.email
            ),
            None,
        )
        if clash:
            errors.append(
                RowError(
                    row.index,
                    "crm_ids",
                    f"{clash[0]} owner id {clash[1]} belongs to someone else.",
                    row.email,
                )
            )
            continue
        claimed.update({(s, o): row.email for s, o in row.crm_ids.items()})
        keep.append(row)
    return keep


def _sync_relations(user: User, row: UserRow, users: dict[str, User]) -> bool:
    changed = False
    manager = users[row.manager_email] if row.manager_email else None
    if user.manager_id != (manager.pk if manager else None):
        user.manager = manager
        user.save(update_fields=["manager"])
        changed = True
    if row.coach_email:
        _link, created = CoachAssignment.objects.get_or_create(
            coach=users[row.coach_email], coachee=user
        )
        changed |= created
    for source, owner_id in row.crm_ids.items():
        identity, created = CrmIdentity.objects.get_or_create(
            user=user, source=source, defaults={"owner_id": owner_id}
        )
        if not created and identity.owner_id != owner_id:
            identity.owner_id = owner_id
            identity.save(update_fields=["owner_id", "updated_at"])
            changed = True
        changed |= created
    return changed


def api_key_create(
    *,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    expiry_date: dt.datetime | None = None,
    requests_per_hour: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; the plain key is returned once and never stored."""
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"Unknown scope(s): {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {"expiry_date": expiry_date}
    if requests_per_hour is not None:
        fields["requests_per_hour"] = requests_per_hour
    key, raw = ApiKey.objects.create_key(
        name=name, scopes=sorted(set(scopes)), created_by=created_by, **fields
    )
    return key, raw  # type: ignore[return-value]


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke for good (the library refuses to un-revoke). Saved, so the audit log records it."""
    if not key.revoked:
        key.revoked = True
        key.save(update_fields=["revoked"])
    return key


def crm_identity_create(*, user: User, source: str, owner_id: str) -> CrmIdentity:
    """Record that `owner_id` in CRM `source` is `user`. Idempotent for the same person.

    Raises ValidationError when the owner id belongs to someone else, or the person already has
    another owner id in that CRM (both are unique in the database).
    """
    held = CrmIdentity.objects.filter(source=source, owner_id=owner_id).select_related("user")
    identity = held.first()
    if identity is not None:
        if identity.user_id != user.pk:
            raise ValidationError(
                _("%(source)s owner %(owner)s already belongs to %(name)s.")
                % {"source": source, "owner": owner_id, "name": identity.user}
            )
        return identity
    try:
        with transaction.atomic():
            return CrmIdentity.objects.create(user=user, source=source, owner_id=owner_id)
    except IntegrityError:
        raise ValidationError(
            _("%(name)s already has another %(source)s owner id.")
            % {"name": user, "source": source}
        ) from None


def user_language_set(*, user: User, language: str) -> bool:
    """Save the language a person chose in the header switcher. Only the site's languages are
    kept; anything else is ignored (False), as Django's set_language ignores it for the cookie."""
    if language not in dict(settings.LANGUAGES):
        return False
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return True
