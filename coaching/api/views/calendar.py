"""Scheduling aids over the API: free slots, rubrics, the calendar feed."""

import datetime as dt

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import anyone, coaches
from accounts.models import ApiKey, Scope
from accounts.permissions import ScopeOrRule, request_principal
from coaching.access import (
    bookable_rep_get,
    coach_get_for_booking,
)
from coaching.api.serializers import (
    FeedOutputSerializer,
    RubricSerializer,
    SlotSerializer,
)
from coaching.api.views.common import (
    checked_param,
    person_or_none,
)
from coaching.models import (
    Rubric,
)
from coaching.selectors import rubric_list_active, slot_list_free
from coaching.services.feeds import calendar_feed_revoke, calendar_feed_rotate
from core.api.idempotency import idempotent_create
from core.validation import MAX_BIGINT, parse_query_id


class SlotListApi(APIView):
    """Free times for a coach and a rep inside the coach's weekly hours."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.COACHING_READ
    person_rule = staticmethod(coaches)

    @extend_schema(
        parameters=[
            OpenApiParameter("rep_id", int, required=True),
            OpenApiParameter("coach_id", int),
            OpenApiParameter("duration", int, description="minutes (default 60)"),
            OpenApiParameter("days", int, description="horizon in days (default 14, at most 60)"),
        ],
        responses=SlotSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        params = request.query_params
        errors: dict[str, list[str]] = {}
        numbers: dict[str, int] = {}
        for name, default, low, high in (
            ("duration", 60, 15, 480),
            ("days", 14, 1, 60),
            ("rep_id", None, 1, None),
        ):
            raw = params.get(name, default)
            if raw is None or not str(raw).isdecimal():
                errors[name] = ["A whole number is required."]
                continue
            value = int(raw)
            if value < low or value > (high or MAX_BIGINT):
                errors[name] = [f"Between {low} and {high or MAX_BIGINT}."]
                continue
            numbers[name] = value
        if errors:
            raise serializers.ValidationError(errors)
        if isinstance(principal, ApiKey) and not params.get("coach_id"):
            raise serializers.ValidationError({"coach_id": ["Required with an API key."]})
        coach = coach_get_for_booking(principal, coach_id=_int_or_none(params.get("coach_id")))
        rep = bookable_rep_get(coach=coach, rep_id=numbers["rep_id"])
        if rep is None:
            raise serializers.ValidationError(
                {"rep_id": ["No coachee or team member of this coach with this id."]}
            )
        slots = slot_list_free(
            coach=coach,
            rep=rep,
            duration=dt.timedelta(minutes=numbers["duration"]),
            days=numbers["days"],
            now=timezone.now(),
            limit=200,
        )
        return Response(SlotSerializer(slots, many=True).data)


def _int_or_none(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    return checked_param("coach_id", parse_query_id, str(value))


class RubricListApi(generics.ListAPIView[Rubric]):
    permission_classes = [ScopeOrRule]
    required_scope = Scope.COACHING_READ
    person_rule = staticmethod(anyone)
    serializer_class = RubricSerializer

    def get_queryset(self) -> QuerySet[Rubric]:
        return rubric_list_active().order_by("name")


class CalendarFeedApi(APIView):
    """POST: a new private feed address for the caller (the old one stops working); shown once.
    DELETE: revoke it."""

    permission_classes = [ScopeOrRule]
    required_scope = None  # people only: a key has no calendar

    @extend_schema(
        operation_id="coaching_calendar_feed_rotate",
        request=None,
        responses={201: FeedOutputSerializer},
    )
    @idempotent_create
    def post(self, request: Request) -> Response:
        user = person_or_none(request_principal(request))
        if user is None:
            raise NotFound()
        token = calendar_feed_rotate(user=user)
        url = request.build_absolute_uri(reverse("coaching:feed", args=[token]))
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="coaching_calendar_feed_revoke", request=None, responses={204: None}
    )
    def delete(self, request: Request) -> Response:
        user = person_or_none(request_principal(request))
        if user is None:
            raise NotFound()
        calendar_feed_revoke(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
