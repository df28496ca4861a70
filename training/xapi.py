"""Learning records as xAPI 1.0.3 statements: course completions and quiz results.

Statements are built on the fly from Completion and QuizAttempt rows; their ids are derived from
the row (uuid5), so the same record always has the same statement id. Pages run in "stored" order
(when the row was written) with an opaque cursor, so a learning record store can poll with
`since` and follow `more` without missing or repeating statements.
"""

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from training.models import Completion, QuizAttempt

XAPI_VERSION = "1.0.3"
STATEMENT_VERSION = "1.0.0"  # statements conforming to any 1.0.x carry 1.0.0
VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
}
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/assessment"
# Completions sort before attempts written at the same instant.
_COMPLETION, _ATTEMPT = 0, 1


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    stored: dt.datetime
    kind: int
    pk: int

    def encode(self) -> str:
        raw = f"{self.stored.isoformat()}|{self.kind}|{self.pk}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            stored, kind, pk = raw.split("|")
            cursor = cls(dt.datetime.fromisoformat(stored), int(kind), int(pk))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CursorError("Not a cursor from this server.") from exc
        if cursor.stored.tzinfo is None or cursor.kind not in (_COMPLETION, _ATTEMPT):
            raise CursorError("Not a cursor from this server.")
        return cursor


@dataclass(frozen=True)
class StatementPage:
    statements: list[dict[str, Any]]
    next_cursor: Cursor | None


def _after(field: str, kind: int, cursor: Cursor | None, since: dt.datetime | None) -> Q:
    q = Q()
    if since is not None:
        q &= Q(**{f"{field}__gt": since})
    if cursor is not None:
        later = Q(**{f"{field}__gt": cursor.stored})
        if kind > cursor.kind:
            later |= Q(**{field: cursor.stored})
        elif kind == cursor.kind:
            later |= Q(**{field: cursor.stored, "pk__gt": cursor.pk})
        q &= later
    return q


def statement_page(
    *, since: dt.datetime | None, cursor: Cursor | None, limit: int
) -> StatementPage:
    """Up to `limit` statements stored after `since` (exclusive) and after `cursor`. Two queries."""
    completions = list(
        Completion.objects.filter(_after("created_at", _COMPLETION, cursor, since))
        .select_related("user", "course")
        .order_by("created_at", "pk")[: limit + 1]
    )
    attempts = list(
        QuizAttempt.objects.filter(_after("attempted_at", _ATTEMPT, cursor, since))
        .select_related("user", "lesson", "lesson__course")
        .order_by("attempted_at", "pk")[: limit + 1]
    )
    merged: list[tuple[Cursor, Completion | QuizAttempt]] = [
        (Cursor(c.created_at, _COMPLETION, c.pk), c) for c in completions
    ] + [(Cursor(a.attempted_at, _ATTEMPT, a.pk), a) for a in attempts]
    merged.sort(key=lambda pair: (pair[0].stored, pair[0].kind, pair[0].pk))
    page = merged[:limit]
    next_cursor = page[-1][0] if len(merged) > limit else None
    statements = [
        completion_statement(row) if isinstance(row, Completion) else attempt_statement(row)
        for _cursor, row in page
    ]
    return StatementPage(statements=statements, next_cursor=next_cursor)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _actor(user: Any) -> dict[str, Any]:
    # An account, not an email: learning records stores outside the company need no address.
    return {
        "objectType": "Agent",
        "name": user.full_name,
        "account": {"homePage": settings.SITE_URL, "name": str(user.pk)},
    }


def _verb(name: str) -> dict[str, Any]:
    return {"id": VERBS[name], "display": {"en-US": name}}


def _course_activity(course: Any) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": settings.SITE_URL + reverse("training:course_detail", args=[course.slug]),
        "definition": {"type": COURSE_TYPE, "name": {"en-US": course.title}},
    }


def _score(score: Decimal) -> dict[str, Any]:
    raw = float(score)
    return {"scaled": round(raw / 100, 4), "raw": raw, "min": 0, "max": 100}


def _statement_id(kind: str, pk: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/xapi/{kind}/{pk}"))


def completion_statement(completion: Completion) -> dict[str, Any]:
    result: dict[str, Any] = {"completion": True}
    if completion.score is not None:
        result["score"] = _score(completion.score)
    return {
        "id": _statement_id("completion", completion.pk),
        "actor": _actor(completion.user),
        "verb": _verb("completed"),
        "object": _course_activity(completion.course),
        "result": result,
        "context": {"platform": "Coachline"},
        "timestamp": _iso(completion.completed_at),
        "stored": _iso(completion.created_at),
        "version": STATEMENT_VERSION,
    }


def attempt_statement(attempt: QuizAttempt) -> dict[str, Any]:
    lesson = attempt.lesson
    return {
        "id": _statement_id("attempt", attempt.pk),
        "actor": _actor(attempt.user),
        "verb": _verb("passed" if attempt.passed else "failed"),
        "object": {
            "objectType": "Activity",
            "id": settings.SITE_URL
            + reverse("training:lesson_detail", args=[lesson.course.slug, lesson.slug]),
            "definition": {"type": ASSESSMENT_TYPE, "name": {"en-US": lesson.title}},
        },
        "result": {"success": attempt.passed, "completion": True, "score": _score(attempt.score)},
        "context": {
            "platform": "Coachline",
            "contextActivities": {"parent": [_course_activity(lesson.course)]},
        },
        "timestamp": _iso(attempt.attempted_at),
        "stored": _iso(attempt.attempted_at),
        "version": STATEMENT_VERSION,
    }
