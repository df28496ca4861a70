"""What every coaching API view shares: roles, input validation, the services' errors as
API answers, the session as the API shows it."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from rest_framework import serializers
from rest_framework.views import APIView

from accounts.access import anyone
from accounts.models import Scope, User
from accounts.permissions import ScopeOrRule
from coaching.api.serializers import (
    SessionOutputSerializer,
)
from coaching.errors import SessionConflict
from coaching.models import (
    CoachingSession,
)
from core.api.errors import Conflict
from core.validation import InputInvalid

T = TypeVar("T")


@contextmanager
def service_errors() -> Iterator[None]:
    """A double booking as the API's 409 with the clashing sessions. (A service's ValidationError
    needs nothing here: core.api.errors maps it to 400 for every view.)"""
    try:
        yield
    except SessionConflict as exc:
        conflict = Conflict()
        conflict.detail = exc.as_dict()  # type: ignore[assignment]  # kept as is: ids stay ints
        raise conflict from None


def person_or_none(principal: Any) -> User | None:
    return principal if isinstance(principal, User) else None


def validated(serializer_class: Callable[..., serializers.Serializer[Any]], data: Any) -> Any:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def session_out(session: CoachingSession) -> dict[str, Any]:
    # Re-read with what the output shows (people, scorecard, focus criteria).
    fresh = (
        CoachingSession.objects.select_related("coach", "rep", "scorecard")
        .prefetch_related("focus_criteria")
        .get(pk=session.pk)
    )
    return dict(SessionOutputSerializer(fresh).data)


class SessionWriteApi(APIView):
    permission_classes = [ScopeOrRule]
    required_scope = Scope.COACHING_WRITE
    # People's rights are per session (coaching.access); any role may try.
    person_rule = staticmethod(anyone)


def checked_param(name: str, check: Callable[[Any], T], value: Any) -> T:
    """`check(value)`, an out-of-bounds value answered as 400 naming the parameter."""
    try:
        return check(value)
    except InputInvalid as exc:
        raise serializers.ValidationError({name: [exc.reason]}) from None
