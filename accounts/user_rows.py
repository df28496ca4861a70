"""The people row of the users bulk upsert (API, demo seeding): declared once, here.

As deals.schema does for deals, `UserIn` says what a row may carry and which fields it needs;
`USER` pairs it with the User model (and, through relations, the team's name), whose columns
give every length. msgspec converts a row in C and `core.records.converted` names the bad field
from the struct's types; the rules a struct cannot say (a valid email, a known role and time
zone, nobody their own manager) are plain Python below.
tests/accounts/test_user_rows.py fails when the struct and the model disagree.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any, Final

import msgspec
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.models import CrmIdentity, User
from accounts.roles import Role
from core.bulk import RowError
from core.records import RecordSchema, RowInvalid, converted
from core.validation import InputInvalid, date_checked, max_length_of, row_problem


class UserIn(msgspec.Struct, kw_only=True):
    """One person as the bulk API sends them, keyed by email. Unknown keys are ignored."""

    email: str
    full_name: str
    role: str = Role.REP
    team: str | None = None  # a team's name; created when new
    manager_email: str | None = None
    coach_email: str | None = None
    hire_date: dt.date | None = None
    time_zone: str | None = None  # else UTC
    crm_ids: dict[str, str | int] | None = None  # {source: the CRM's owner id}


USER: Final = RecordSchema(
    UserIn,
    User,
    {"team": "team.name", "manager_email": "manager.email", "coach_email": "email"},
)
# Not a column of User: one CrmIdentity row per source, limits from that model.
NOT_STORED: Final = frozenset({"crm_ids"})
CRM_SOURCE_MAX: Final = max_length_of(CrmIdentity, "source")
CRM_OWNER_MAX: Final = max_length_of(CrmIdentity, "owner_id")
_NAME_MAX: Final = USER.max_length("full_name")
_TEAM_MAX: Final = USER.max_length("team")
_VALID_ZONES: Final = zoneinfo.available_timezones()
_CRM_MESSAGE: Final = (
    f"Must be an object of {{source: owner_id}} (source up to {CRM_SOURCE_MAX} "
    f"characters, owner id up to {CRM_OWNER_MAX})."
)
# A wrongly typed field's message: what a good value looks like.
_MESSAGES: Final = {
    "email": "Enter a valid email address.",
    "full_name": f"Give a name of 1 to {_NAME_MAX} characters.",
    "role": f"Must be one of {', '.join(Role.values)}.",
    "team": f"Must be a team name of at most {_TEAM_MAX} characters.",
    "manager_email": "Must be an email address.",
    "coach_email": "Must be an email address.",
    "hire_date": "Use the date format YYYY-MM-DD.",
    "time_zone": "Must be a time zone name, e.g. Europe/Berlin.",
    "crm_ids": _CRM_MESSAGE,
}


@dataclass
class UserRow:
    index: int
    email: str
    full_name: str
    role: str
    team: str | None
    manager_email: str | None
    coach_email: str | None
    hire_date: dt.date | None
    time_zone: str
    crm_ids: dict[str, str]


def parse_user_row(index: int, raw: Any) -> UserRow | RowError:
    try:
        return _user_row(index, raw)
    except RowInvalid as exc:
        key = raw.get("email", "") if isinstance(raw, dict) else ""
        return RowError(index=index, field=exc.field, message=exc.message, key=str(key))


def _user_row(index: int, raw: Any) -> UserRow:
    """The row, checked; raises RowInvalid naming the first bad field."""
    if not isinstance(raw, dict):
        raise RowInvalid("", "Each row must be a JSON object.")
    problem = row_problem(raw)
    if problem is not None:
        raise RowInvalid(*problem)
    # An empty cell or object means "none", as it always has.
    raw = {**raw, **{k: None for k in ("hire_date", "crm_ids") if k in raw and not raw[k]}}
    row = converted(raw, UserIn, _MESSAGES)
    email = row.email.strip().lower()
    if not email:
        raise RowInvalid("email", "This field is required.")
    try:
        validate_email(email)
    except ValidationError:
        raise RowInvalid("email", _MESSAGES["email"]) from None
    if not row.full_name.strip() or len(row.full_name) > _NAME_MAX:
        raise RowInvalid("full_name", _MESSAGES["full_name"])
    if row.role not in Role.values:
        raise RowInvalid("role", _MESSAGES["role"])
    if row.team is not None and len(row.team) > _TEAM_MAX:
        raise RowInvalid("team", _MESSAGES["team"])
    refs: dict[str, str | None] = {}
    for field in ("manager_email", "coach_email"):
        value = getattr(row, field)
        refs[field] = value.strip().lower() if value else None
        if refs[field] == email:
            raise RowInvalid(field, "A person cannot be their own manager or coach.")
    time_zone = row.time_zone or "UTC"
    if time_zone not in _VALID_ZONES:
        raise RowInvalid("time_zone", f"Unknown time zone {time_zone!r}.")
    return UserRow(
        index=index,
        email=email,
        full_name=row.full_name.strip(),
        role=row.role,
        team=row.team.strip() if row.team else None,
        manager_email=refs["manager_email"],
        coach_email=refs["coach_email"],
        hire_date=_hire_date(row.hire_date),
        time_zone=time_zone,
        crm_ids=_crm_ids(row.crm_ids or {}),
    )


def _hire_date(value: dt.date | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return date_checked(value)
    except InputInvalid as exc:
        raise RowInvalid("hire_date", exc.reason) from None


def _crm_ids(value: dict[str, str | int]) -> dict[str, str]:
    """{source: owner id} with the sources lower-cased, each within its column's length."""
    if not all(
        0 < len(k) <= CRM_SOURCE_MAX and 0 < len(str(v)) <= CRM_OWNER_MAX for k, v in value.items()
    ):
        raise RowInvalid("crm_ids", _CRM_MESSAGE)
    return {k.lower(): str(v) for k, v in value.items()}
