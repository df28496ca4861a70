"""From a CRM's record to a deals_ingest row: stage map, field map, values, timestamps.

Both adapters produce `MappedPage`s; rows that cannot be mapped (an unknown stage, a missing
creation time) become `MappingError`s naming the CRM id, and never reach ingestion.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core.validation import InputInvalid, datetime_checked
from integrations.models import QUALIFICATION_FACTS

STATUSES = ("open", "won", "lost")
_TRUE = {"true", "yes", "y", "1", "on", "checked"}
_FALSE = {"false", "no", "n", "0", "off", "unchecked", "none"}


class MappingInvalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class MappingError:
    external_id: str
    field: str
    message: str


@dataclass
class MappedPage:
    """One page of CRM records, mapped: what to ingest, what to report, how far it reached."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    errors: list[MappingError] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)
    # The newest CRM last-modified time in the page: the watermark once the page is committed.
    max_modified: dt.datetime | None = None
    pages: int = 1  # CRM pages merged into this one

    def note_modified(self, value: dt.datetime | None) -> None:
        if value is not None and (self.max_modified is None or value > self.max_modified):
            self.max_modified = value

    def extend(self, other: "MappedPage") -> None:
        """Append a later page (ingested and committed together with this one)."""
        self.rows += other.rows
        self.history += other.history
        self.errors += other.errors
        self.external_ids += other.external_ids
        self.note_modified(other.max_modified)
        self.pages += other.pages


@dataclass(frozen=True)
class StageInfo:
    label: str
    status: str


def stage_resolve(stage_map: dict[str, Any], stage_id: str) -> StageInfo:
    """The configured meaning of a CRM stage id; an unmapped id names itself for the admin."""
    entry = stage_map.get(stage_id) if stage_id else None
    if not isinstance(entry, dict) or entry.get("status") not in STATUSES:
        raise MappingInvalid(
            "stage",
            f"Unknown stage id '{stage_id}': add it to the stage map of this connection.",
        )
    return StageInfo(label=str(entry.get("label") or stage_id)[:100], status=entry["status"])


def stage_map_clean(raw: Any) -> dict[str, dict[str, Any]]:
    """A stage map as stored: ids trimmed, statuses checked, orders integers."""
    if not isinstance(raw, dict):
        raise ValueError("The stage map must be an object of {stage id: {status, order, label}}.")
    clean: dict[str, dict[str, Any]] = {}
    for stage_id, entry in raw.items():
        key = str(stage_id).strip()
        if not key or not isinstance(entry, dict):
            raise ValueError(f"Stage {stage_id!r}: give a stage id and its status.")
        status = entry.get("status")
        if status not in STATUSES:
            raise ValueError(f"Stage {key!r}: the status must be open, won or lost.")
        try:
            order = int(entry.get("order") or 0)
        except (TypeError, ValueError):
            raise ValueError(f"Stage {key!r}: the order must be a whole number.") from None
        clean[key] = {
            "status": status,
            "order": order,
            "label": str(entry.get("label") or "").strip()[:100],
        }
    return clean


def fact_value(value: Any) -> bool | None:
    """A CRM field read as a qualification fact.

    Booleans and checkbox-like text read as themselves; empty reads as unknown (None); any
    other value (a date, a name, a note) means the fact is recorded, so it reads as true.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return value != 0
    text = str(value).strip().lower()
    if not text:
        return None
    return text in _TRUE or text not in _FALSE


def facts_from(record: dict[str, Any], field_map: dict[str, Any]) -> dict[str, bool | None]:
    facts: dict[str, bool | None] = {}
    for fact in QUALIFICATION_FACTS:
        crm_field = field_map.get(fact)
        if crm_field:
            facts[fact] = fact_value(record.get(crm_field))
    return facts


def text_from(record: dict[str, Any], crm_field: str | None, *, limit: int = 255) -> str:
    if not crm_field:
        return ""
    value = record.get(crm_field)
    return "" if value is None else str(value).strip()[:limit]


def parse_time(value: Any, *, field: str) -> dt.datetime:
    """A CRM timestamp: ISO 8601 (HubSpot, Salesforce's +0000 form) or epoch milliseconds."""
    if value is None or value == "":
        raise MappingInvalid(field, "The CRM sent no value.")
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdecimal()):
            parsed = dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
        else:
            parsed = dt.datetime.fromisoformat(str(value))
    except (ValueError, OverflowError, OSError):  # OSError: an epoch the platform cannot convert
        raise MappingInvalid(field, f"Not a date-time: {value!r}.") from None
    try:
        datetime_checked(parsed)
    except InputInvalid as exc:
        raise MappingInvalid(field, exc.reason) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_optional_time(value: Any, *, field: str) -> dt.datetime | None:
    return None if value in (None, "") else parse_time(value, field=field)


def parse_amount(value: Any) -> str:
    """CRM deals often have no amount yet; they land with 0 rather than not at all."""
    if value in (None, ""):
        return "0"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise MappingInvalid("amount", f"Not a number: {value!r}.") from None
    if not amount.is_finite():
        raise MappingInvalid("amount", f"Not a number: {value!r}.")
    return str(amount)


def closed_at_for(
    *, status: str, close_time: dt.datetime | None, created_at: dt.datetime
) -> dt.datetime | None:
    """When a closed deal closed. CRMs often keep only a close *date* (midnight); a deal created
    and closed on the same day would then close before it was created, so it closes at creation."""
    if status == "open" or close_time is None:
        return None
    if close_time < created_at and close_time.date() == created_at.date():
        return created_at
    return close_time
