"""Writes to tools: the one upsert that the bulk API, the CSV import and the admin's edit page
all use, so that a tool is checked by the same rules whichever way it arrives.

A row is a whole tool: its fields and the full list of its seats (a row replaces the seats it
had). Tools are keyed by name. Every row is counted once (created, updated, unchanged) or is a
row error; the good rows are written in one transaction whatever the bad rows hold.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

import msgspec
from django.db import IntegrityError, transaction

from accounts.models import Team, User
from core.bulk import BulkResult, RowError
from deals.services.rows import (
    CURRENCIES,
    RowInvalid,
    bounded_text,
    checked_date,
    converted,
    scan_row,
)
from tools.models import Tool, ToolCategory, ToolPricing, ToolSeat

MAX_COST: Final = Decimal("9999999999.99")  # Decimal(12, 2)
CENT: Final = Decimal("0.01")
MAX_SEATS: Final = 10_000


class SeatIn(msgspec.Struct):
    starts_on: dt.date
    email: str | None = None
    team: str | None = None
    ends_on: dt.date | None = None


class ToolIn(msgspec.Struct):
    name: str
    category: str
    pricing: str
    monthly_cost: Decimal
    currency: str
    starts_on: dt.date
    ends_on: dt.date | None = None
    seats: list[SeatIn] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class SeatRow:
    user_id: int | None
    team_id: int | None
    starts_on: dt.date
    ends_on: dt.date | None


@dataclass
class ToolRow:
    name: str
    category: str
    pricing: str
    monthly_cost: Decimal
    currency: str
    starts_on: dt.date
    ends_on: dt.date | None
    seats: list[SeatRow] = field(default_factory=list)


def _overlaps(a: SeatRow, b: SeatRow) -> bool:
    a_end = a.ends_on or dt.date.max
    b_end = b.ends_on or dt.date.max
    return a.starts_on <= b_end and b.starts_on <= a_end


def _seat(index: int, seat: SeatIn, users: dict[str, int], teams: dict[str, int]) -> SeatRow:
    at = f"seats[{index}]"
    starts_on = checked_date(seat.starts_on, f"{at}.starts_on")
    ends_on = checked_date(seat.ends_on, f"{at}.ends_on")
    assert starts_on is not None  # required by the schema
    if ends_on is not None and ends_on < starts_on:
        raise RowInvalid(f"{at}.ends_on", "Must not be before starts_on.")
    email = (seat.email or "").strip().lower()
    team = (seat.team or "").strip()
    if bool(email) == bool(team):
        raise RowInvalid(at, "Give either email (a person) or team.")
    if email:
        if email not in users:
            raise RowInvalid(f"{at}.email", f"No active person with the email {email!r}.")
        return SeatRow(users[email], None, starts_on, ends_on)
    if team.lower() not in teams:
        raise RowInvalid(f"{at}.team", f"No team named {team!r}.")
    return SeatRow(None, teams[team.lower()], starts_on, ends_on)


def tool_row_parse(raw: Any, *, users: dict[str, int], teams: dict[str, int]) -> ToolRow:
    """A checked tool row; raises RowInvalid naming the first bad field."""
    scan_row(raw)
    row = converted(raw, ToolIn, {"monthly_cost": "Must be a number, e.g. 49.90."})
    name = bounded_text("name", row.name, 120, required=True)
    category = row.category.strip().lower()
    if category not in ToolCategory.values:
        raise RowInvalid("category", f"Must be one of {', '.join(ToolCategory.values)}.")
    pricing = row.pricing.strip().lower()
    if pricing not in ToolPricing.values:
        raise RowInvalid("pricing", f"Must be one of {', '.join(ToolPricing.values)}.")
    cost = row.monthly_cost
    if not cost.is_finite():
        raise RowInvalid("monthly_cost", "Must be a finite number.")
    if cost < 0:
        raise RowInvalid("monthly_cost", "Must not be negative.")
    if cost > MAX_COST:
        raise RowInvalid("monthly_cost", "Too large.")
    currency = row.currency.strip().upper()
    if currency not in CURRENCIES:
        raise RowInvalid("currency", f"Unknown currency {row.currency!r}; use an ISO 4217 code.")
    starts_on = checked_date(row.starts_on, "starts_on")
    ends_on = checked_date(row.ends_on, "ends_on")
    assert starts_on is not None
    if ends_on is not None and ends_on < starts_on:
        raise RowInvalid("ends_on", "Must not be before starts_on.")
    if len(row.seats) > MAX_SEATS:
        raise RowInvalid("seats", f"At most {MAX_SEATS} seats per tool.")
    seats = [_seat(i, s, users, teams) for i, s in enumerate(row.seats)]
    for i, seat in enumerate(seats):
        for j in range(i):
            other = seats[j]
            same_holder = (seat.user_id, seat.team_id) == (other.user_id, other.team_id)
            if same_holder and _overlaps(seat, other):
                raise RowInvalid(
                    f"seats[{i}]", f"Overlaps seats[{j}] of the same holder for this tool."
                )
    seats.sort(key=lambda s: (s.starts_on, s.user_id or 0, s.team_id or 0))
    return ToolRow(
        name,
        category,
        pricing,
        cost.quantize(CENT, ROUND_HALF_UP),
        currency,
        starts_on,
        ends_on,
        seats,
    )


def _holders(rows: list[Any]) -> tuple[dict[str, int], dict[str, int]]:
    """Active people by email and teams by lower-cased name, for the seats the rows name."""
    emails: set[str] = set()
    for raw in rows:
        seats = raw.get("seats") if isinstance(raw, dict) else None
        for seat in seats if isinstance(seats, list) else []:
            if isinstance(seat, dict) and isinstance(seat.get("email"), str):
                emails.add(seat["email"].strip().lower())
    users: dict[str, int] = {}
    email_list = sorted(emails)
    for start in range(0, len(email_list), 900):
        users.update(
            User.objects.filter(
                email__in=email_list[start : start + 900], is_active=True
            ).values_list("email", "pk")
        )
    teams = {name.lower(): pk for name, pk in Team.objects.values_list("name", "pk")}
    return users, teams


def _stored_state(tool: Tool) -> tuple[Any, ...]:
    seats = sorted(
        (s.starts_on, s.user_id or 0, s.team_id or 0, s.ends_on) for s in tool.seats.all()
    )
    return (
        tool.category,
        tool.pricing,
        tool.monthly_cost,
        tool.currency,
        tool.starts_on,
        tool.ends_on,
        seats,
    )


def _row_state(row: ToolRow) -> tuple[Any, ...]:
    seats = sorted((s.starts_on, s.user_id or 0, s.team_id or 0, s.ends_on) for s in row.seats)
    return (
        row.category,
        row.pricing,
        row.monthly_cost,
        row.currency,
        row.starts_on,
        row.ends_on,
        seats,
    )


def tools_upsert(*, rows: list[Any]) -> BulkResult:
    """Create or update tools by name with their seats. Idempotent: the same rows again are
    all unchanged. When a name comes twice, the later row wins and the earlier counts as
    unchanged."""
    result = BulkResult(received=len(rows))
    users, teams = _holders(rows)
    good: dict[str, ToolRow] = {}
    for index, raw in enumerate(rows):
        try:
            row = tool_row_parse(raw, users=users, teams=teams)
        except RowInvalid as exc:
            key = raw.get("name", "") if isinstance(raw, dict) else ""
            result.errors.append(RowError(index, exc.field, exc.message, str(key or "")[:120]))
            continue
        if row.name.lower() in good:
            result.unchanged += 1
        good[row.name.lower()] = row
    if not good:
        return result
    for attempt in range(_WRITE_ATTEMPTS):
        try:
            created, updated, unchanged = _tools_write(good)
        except IntegrityError:
            # Another request created one of these names between our read and our insert
            # (the lock below covers only stored tools): read again, it is now an update.
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
            continue
        result.created += created
        result.updated += updated
        result.unchanged += unchanged
        break
    return result


# A retry reads the competing request's tool; a third conflict on the same call is a bug.
_WRITE_ATTEMPTS = 2


def _stored_tools() -> dict[str, Tool]:
    """Every tool, locked, by lower-cased name (a tool stack is tens of tools; names differing
    only in case are one tool)."""
    return {
        t.name.lower(): t
        for t in Tool.objects.select_for_update().order_by("pk").prefetch_related("seats")
    }


def _tools_write(good: dict[str, ToolRow]) -> tuple[int, int, int]:
    """Write the parsed rows in one transaction; (created, updated, unchanged)."""
    created = updated = unchanged = 0
    with transaction.atomic():
        stored = _stored_tools()
        for key, row in good.items():
            tool = stored.get(key)
            if tool is not None and _stored_state(tool) == _row_state(row):
                unchanged += 1
                continue
            if tool is None:
                tool = Tool(name=row.name)
                created += 1
            else:
                updated += 1
            _write(tool, row)
    return created, updated, unchanged


def _write(tool: Tool, row: ToolRow) -> None:
    tool.category = row.category
    tool.pricing = row.pricing
    tool.monthly_cost = row.monthly_cost
    tool.currency = row.currency
    tool.starts_on = row.starts_on
    tool.ends_on = row.ends_on
    tool.save()
    ToolSeat.objects.filter(tool=tool).delete()
    try:
        with transaction.atomic():
            ToolSeat.objects.bulk_create(
                ToolSeat(
                    tool=tool,
                    user_id=s.user_id,
                    team_id=s.team_id,
                    starts_on=s.starts_on,
                    ends_on=s.ends_on,
                )
                for s in row.seats
            )
    except IntegrityError as exc:  # pragma: no cover - the row check above found overlaps
        raise RowInvalid("seats", "Seats of one holder overlap.") from exc


def tool_delete(*, tool: Tool) -> None:
    tool.delete()
