"""Historical completions from a previous LMS, imported with their original dates.

The row is declared once (`CompletionIn`, paired with the Completion model as `COMPLETION`), as
the deal and people rows are (core.records): msgspec converts it and names the bad field from the
struct's types; the OpenAPI serializer is generated from it (training.api.serializers).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import msgspec
from django.db import transaction
from django.db.models import DecimalField
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from core.bulk import BulkResult, RowError
from core.records import RecordSchema, RowInvalid, converted
from core.validation import InputInvalid, datetime_checked, row_problem
from training.models import Completion, CompletionSource, Course

# A score is stored with the model's decimals (Completion.score); the import rounds to them.
_SCORE_FIELD = Completion._meta.get_field("score")
assert isinstance(_SCORE_FIELD, DecimalField)
CENT = Decimal(1).scaleb(-_SCORE_FIELD.decimal_places)


class CompletionIn(msgspec.Struct, kw_only=True):
    """One completion as the bulk API sends it, keyed by (email, course). Unknown keys are
    ignored."""

    email: str
    course: str  # the course's slug
    completed_at: str  # an ISO date (midnight in the site's time zone) or date-time
    score: Decimal | None = None  # percent, 0 to 100


COMPLETION: Final = RecordSchema(
    CompletionIn, Completion, {"email": "user.email", "course": "course.slug"}
)
_SCORE_MESSAGE: Final = "Give a number from 0 to 100, or null."
_MESSAGES: Final = {
    "email": "Give the person's email address.",
    "course": "Give the course slug.",
    "completed_at": "Use an ISO date (YYYY-MM-DD) or date-time.",
    "score": _SCORE_MESSAGE,
}


@dataclass(frozen=True)
class _Row:
    index: int
    email: str
    course: str
    completed_at: dt.datetime
    score: Decimal | None


def _parse_when(value: Any) -> dt.datetime | None:
    """An ISO date (taken as midnight in the site's time zone) or an ISO date-time (naive
    ones in the site's time zone too). Raises InputInvalid outside core.validation's bounds."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        if len(text) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        else:
            parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    datetime_checked(parsed)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _parse_row(index: int, raw: Any, now: dt.datetime) -> _Row | RowError:
    try:
        return _row(index, raw, now)
    except RowInvalid as exc:
        key = raw.get("email", "") if isinstance(raw, dict) else ""
        return RowError(index=index, field=exc.field, message=exc.message, key=str(key))


def _row(index: int, raw: Any, now: dt.datetime) -> _Row:
    """The row, checked; raises RowInvalid naming the first bad field."""
    if not isinstance(raw, dict):
        raise RowInvalid("", "Each row must be a JSON object.")
    problem = row_problem(raw)
    if problem is not None:
        raise RowInvalid(*problem)
    if isinstance(raw.get("score"), bool):  # JSON true is not a score of 1
        raise RowInvalid("score", _SCORE_MESSAGE)
    # An empty score cell means "no score", as it always has.
    raw = {**raw, "score": None} if raw.get("score") == "" else raw
    row = converted(raw, CompletionIn, _MESSAGES)
    if "@" not in row.email:
        raise RowInvalid("email", _MESSAGES["email"])
    if not row.course.strip():
        raise RowInvalid("course", _MESSAGES["course"])
    try:
        completed_at = _parse_when(row.completed_at)
    except InputInvalid as exc:
        raise RowInvalid("completed_at", exc.reason) from None
    if completed_at is None:
        raise RowInvalid("completed_at", _MESSAGES["completed_at"])
    if completed_at > now:
        raise RowInvalid("completed_at", "A completion cannot be in the future.")
    score = None if row.score is None else _score(row.score)
    return _Row(index, row.email.strip().lower(), row.course.strip(), completed_at, score)


def _score(value: Decimal) -> Decimal:
    """The score rounded to the stored decimals, from 0 to 100 (NaN and infinities refused)."""
    if not value.is_finite():
        raise RowInvalid("score", _SCORE_MESSAGE)
    try:
        rounded = value.quantize(CENT)
    except InvalidOperation:  # too many digits to round: far outside 0..100 anyway
        raise RowInvalid("score", _SCORE_MESSAGE) from None
    if not Decimal(0) <= rounded <= Decimal(100):
        raise RowInvalid("score", _SCORE_MESSAGE)
    return rounded


def _resolved(
    parsed: dict[tuple[str, str], _Row], errors: list[RowError]
) -> list[tuple[int, int, _Row]]:
    """(user id, course id, row) of the rows whose person and course exist; an error for the
    others. Two queries."""
    users = {
        email: pk
        for pk, email in User.objects.annotate(e=Lower("email"))
        .filter(e__in={email for email, _c in parsed})
        .values_list("pk", "e")
    }
    courses = dict(
        Course.objects.filter(slug__in={c for _e, c in parsed}).values_list("slug", "pk")
    )
    good: list[tuple[int, int, _Row]] = []
    for (email, slug), row in parsed.items():
        if email not in users:
            errors.append(RowError(row.index, "email", f"No user with email {email}.", email))
        elif slug not in courses:
            errors.append(RowError(row.index, "course", f"No course {slug!r}.", email))
        else:
            good.append((users[email], courses[slug], row))
    return good


def completion_bulk_import(*, rows: list[Any]) -> BulkResult:
    """Upsert completions by (email, course slug). Idempotent: the same rows twice change nothing.

    Rows naming an unknown person or course are reported and skipped; the others land. A
    completion earned in Coachline itself is never overwritten by an import (it counts as
    unchanged). Imports send no completion events: the old LMS already told its audience.
    Queries: people, courses, existing completions, then batched writes.
    """
    result = BulkResult(received=len(rows))
    now = timezone.now()
    parsed: dict[tuple[str, str], _Row] = {}
    for index, raw in enumerate(rows):
        row = _parse_row(index, raw, now)
        if isinstance(row, RowError):
            result.errors.append(row)
        else:
            parsed[(row.email, row.course)] = row  # a later duplicate wins
    good = _resolved(parsed, result.errors)
    existing = {
        (c.user_id, c.course_id): c
        for c in Completion.objects.filter(
            user_id__in={u for u, _c, _r in good}, course_id__in={c for _u, c, _r in good}
        ).only("pk", "user_id", "course_id", "completed_at", "score", "source")
    }
    to_create: list[Completion] = []
    to_update: list[Completion] = []
    for user_id, course_id, row in good:
        current = existing.get((user_id, course_id))
        if current is None:
            to_create.append(
                Completion(
                    user_id=user_id,
                    course_id=course_id,
                    completed_at=row.completed_at,
                    score=row.score,
                    source=CompletionSource.IMPORT,
                )
            )
        elif current.source == CompletionSource.IMPORT and (
            current.completed_at != row.completed_at or current.score != row.score
        ):
            current.completed_at, current.score, current.updated_at = (
                row.completed_at,
                row.score,
                now,
            )
            to_update.append(current)
        else:
            result.unchanged += 1
    with transaction.atomic():
        # ignore_conflicts: a completion earned in the browser meanwhile wins over the import.
        Completion.objects.bulk_create(to_create, batch_size=1000, ignore_conflicts=True)
        Completion.objects.bulk_update(
            to_update, ["completed_at", "score", "updated_at"], batch_size=1000
        )
    result.created, result.updated = len(to_create), len(to_update)
    result.errors.sort(key=lambda e: e.index)
    return result
