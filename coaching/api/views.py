"""Coaching API: one view per operation; access through coaching.access, writes through the
services. Bad input answers 400 with the field and the reason, a double booking 409 naming the
conflicting session; either way nothing is written."""

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKey, Role, Scope, User
from accounts.permissions import ScopeOrRole, request_principal
from coaching.access import (
    bookable_rep_get,
    coach_get_for_booking,
    commitments_visible,
    post_mortem_get_for_coach,
    session_get_for_coach,
    session_get_for_participant,
    session_get_visible,
)
from coaching.api.serializers import (
    CommitmentInputSerializer,
    CommitmentOutputSerializer,
    FeedOutputSerializer,
    PostMortemInputSerializer,
    PostMortemOutputSerializer,
    RubricSerializer,
    ScorecardInputSerializer,
    ScorecardOutputSerializer,
    SessionCancelSerializer,
    SessionCompleteSerializer,
    SessionCreateSerializer,
    SessionOutputSerializer,
    SessionRescheduleSerializer,
    SlotSerializer,
)
from coaching.errors import SessionConflict
from coaching.models import (
    ActionItem,
    CoachingSession,
    Commitment,
    CriterionScore,
    PostMortem,
    Rubric,
    RubricCriterion,
    Scorecard,
)
from coaching.selectors import rubric_list_active, session_list_visible, slot_list_free
from coaching.services.feeds import calendar_feed_revoke, calendar_feed_rotate
from coaching.services.post_mortems import (
    ActionItemInput,
    CommitmentInput,
    commitment_add,
    post_mortem_record,
)
from coaching.services.scorecards import scorecard_record
from coaching.services.sessions import (
    session_book,
    session_cancel,
    session_complete,
    session_reschedule,
)
from core.api.errors import Conflict
from core.api.idempotency import idempotent_create
from core.validation import MAX_BIGINT, InputInvalid, parse_query_datetime, parse_query_id
from deals.selectors import deal_list_visible

ALL_ROLES = tuple(Role.values)
COACHING_ROLES = (Role.COACH, Role.MANAGER)
T = TypeVar("T")


@contextmanager
def service_errors() -> Iterator[None]:
    """Translate the services' errors to the API's: ValidationError 400, SessionConflict 409."""
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict) from None
    except SessionConflict as exc:
        conflict = Conflict()
        conflict.detail = exc.as_dict()  # type: ignore[assignment]  # kept as is: ids stay ints
        raise conflict from None


def _person(principal: Any) -> User | None:
    return principal if isinstance(principal, User) else None


def _valid(serializer_class: Callable[..., serializers.Serializer[Any]], data: Any) -> Any:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _session_out(session: CoachingSession) -> dict[str, Any]:
    # Re-read with what the output shows (people, scorecard, focus criteria).
    fresh = (
        CoachingSession.objects.select_related("coach", "rep", "scorecard")
        .prefetch_related("focus_criteria")
        .get(pk=session.pk)
    )
    return dict(SessionOutputSerializer(fresh).data)


class SessionListCreateApi(generics.ListAPIView[CoachingSession]):
    """GET: sessions the caller may see. POST: book a session (coaches with their coachees,
    managers with their team; admins and keys with coaching:write may name the coach)."""

    permission_classes = [ScopeOrRole]
    serializer_class = SessionOutputSerializer

    @property
    def required_scope(self) -> str:
        return Scope.COACHING_WRITE if self.request.method == "POST" else Scope.COACHING_READ

    @property
    def allowed_roles(self) -> tuple[str, ...]:
        return COACHING_ROLES if self.request.method == "POST" else ALL_ROLES

    @extend_schema(
        parameters=[
            OpenApiParameter("rep_id", int),
            OpenApiParameter("coach_id", int),
            OpenApiParameter("status", str),
            OpenApiParameter("start_after", dt.datetime),
            OpenApiParameter("start_before", dt.datetime),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[CoachingSession]:
        # Queries: count; the page of sessions with people, deal and scorecard; focus criteria.
        sessions = session_list_visible(request_principal(self.request))
        params = self.request.query_params
        filters: dict[str, Any] = {}
        for name, lookup in (("rep_id", "rep_id"), ("coach_id", "coach_id"), ("status", "status")):
            if params.get(name):
                filters[lookup] = params[name]
        for name, lookup in (("start_after", "start__gte"), ("start_before", "start__lt")):
            if params.get(name):
                filters[lookup] = _checked(name, parse_query_datetime, params[name])
        for key in ("rep_id", "coach_id"):
            if key in filters:
                filters[key] = _checked(key, parse_query_id, str(filters[key]))
        return sessions.filter(**filters)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionOutputSerializer})
    @idempotent_create
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        data = _valid(SessionCreateSerializer, request.data)
        if isinstance(principal, ApiKey) and data.get("coach_id") is None:
            raise serializers.ValidationError({"coach_id": ["Required with an API key."]})
        coach = coach_get_for_booking(principal, coach_id=data.get("coach_id"))
        rep = bookable_rep_get(coach=coach, rep_id=data["rep_id"])
        if rep is None:
            raise serializers.ValidationError(
                {"rep_id": ["No coachee or team member of this coach with this id."]}
            )
        deal = None
        if data["deal_id"] is not None:
            deal = (
                deal_list_visible(principal=principal).filter(pk=data["deal_id"], owner=rep).first()
            )
            if deal is None:
                raise serializers.ValidationError(
                    {"deal_id": ["No deal of this rep with this id."]}
                )
        criteria = list(
            RubricCriterion.objects.filter(
                pk__in=data["focus_criterion_ids"], rubric__is_active=True
            )
        )
        if len(criteria) != len(set(data["focus_criterion_ids"])):
            raise serializers.ValidationError(
                {"focus_criterion_ids": ["Unknown or retired criterion."]}
            )
        with service_errors():
            session = session_book(
                booked_by=_person(principal) or coach,
                coach=coach,
                rep=rep,
                kind=data["kind"],
                start=data["start"],
                end=data["end"],
                location=data["location"],
                agenda=data["agenda"],
                focus_criteria=criteria,
                deal=deal,
            )
        return Response(_session_out(session), status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    permission_classes = [ScopeOrRole]
    required_scope = Scope.COACHING_READ
    allowed_roles = ALL_ROLES

    @extend_schema(responses=SessionOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        session = session_get_visible(request_principal(request), session_id=pk)
        return Response(_session_out(session))


class _SessionWriteApi(APIView):
    permission_classes = [ScopeOrRole]
    required_scope = Scope.COACHING_WRITE
    # People's rights are per session (coaching.access); any role may try.
    allowed_roles = ALL_ROLES


class SessionRescheduleApi(_SessionWriteApi):
    @extend_schema(
        operation_id="coaching_sessions_reschedule",
        request=SessionRescheduleSerializer,
        responses=SessionOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        session = session_get_for_coach(request_principal(request), session_id=pk)
        data = _valid(SessionRescheduleSerializer, request.data)
        with service_errors():
            session_reschedule(session=session, start=data["start"], end=data["end"])
        return Response(_session_out(session))


class SessionCancelApi(_SessionWriteApi):
    @extend_schema(
        operation_id="coaching_sessions_cancel",
        request=SessionCancelSerializer,
        responses=SessionOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = request_principal(request)
        session = session_get_for_participant(principal, session_id=pk)
        data = _valid(SessionCancelSerializer, request.data)
        with service_errors():
            session_cancel(session=session, by=_person(principal), reason=data["reason"])
        return Response(_session_out(session))


class SessionCompleteApi(_SessionWriteApi):
    @extend_schema(
        operation_id="coaching_sessions_complete",
        request=SessionCompleteSerializer,
        responses=SessionOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = request_principal(request)
        session = session_get_for_coach(principal, session_id=pk)
        data = _valid(SessionCompleteSerializer, request.data)
        with service_errors():
            session_complete(
                session=session, by=_person(principal), status=data["status"], notes=data["notes"]
            )
        return Response(_session_out(session))


def _scorecard_out(session: CoachingSession) -> dict[str, Any]:
    scorecard = (
        Scorecard.objects.select_related("rubric")
        .prefetch_related(
            Prefetch("scores", queryset=CriterionScore.objects.select_related("criterion"))
        )
        .filter(session=session)
        .first()
    )
    if scorecard is None:
        raise NotFound("This session has no scorecard yet.")
    return dict(ScorecardOutputSerializer(scorecard).data)


class ScorecardApi(APIView):
    """GET: the session's scorecard (whoever sees the session). PUT: score it (its coach)."""

    permission_classes = [ScopeOrRole]
    allowed_roles = ALL_ROLES

    @property
    def required_scope(self) -> str:
        return Scope.COACHING_READ if self.request.method == "GET" else Scope.COACHING_WRITE

    @extend_schema(responses=ScorecardOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        session = session_get_visible(request_principal(request), session_id=pk)
        return Response(_scorecard_out(session))

    @extend_schema(request=ScorecardInputSerializer, responses=ScorecardOutputSerializer)
    def put(self, request: Request, pk: int) -> Response:
        principal = request_principal(request)
        session = session_get_for_coach(principal, session_id=pk)
        data = _valid(ScorecardInputSerializer, request.data)
        rubric = Rubric.objects.filter(pk=data["rubric_id"]).first()
        if rubric is None:
            raise serializers.ValidationError({"rubric_id": ["No rubric with this id."]})
        with service_errors():
            scorecard_record(
                session=session,
                scored_by=_person(principal),
                rubric=rubric,
                scores={row["criterion_id"]: row["score"] for row in data["scores"]},
                comments={row["criterion_id"]: row["comment"] for row in data["scores"]},
                notes=data["notes"],
            )
        return Response(_scorecard_out(session))


def _post_mortem_out(session: CoachingSession) -> dict[str, Any]:
    post_mortem = (
        PostMortem.objects.select_related("session")
        .prefetch_related(
            Prefetch(
                "commitments",
                queryset=Commitment.objects.select_related("post_mortem").order_by("pk"),
            ),
            Prefetch("session__action_items", queryset=ActionItem.objects.order_by("pk")),
        )
        .filter(session=session)
        .first()
    )
    if post_mortem is None:
        raise NotFound("This session has no post-mortem yet.")
    return dict(PostMortemOutputSerializer(post_mortem).data)


class PostMortemApi(APIView):
    """GET: the session's post-mortem. PUT: write it, with commitments and action items to add
    (its coach); all or nothing."""

    permission_classes = [ScopeOrRole]
    allowed_roles = ALL_ROLES

    @property
    def required_scope(self) -> str:
        return Scope.COACHING_READ if self.request.method == "GET" else Scope.COACHING_WRITE

    @extend_schema(responses=PostMortemOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        session = session_get_visible(request_principal(request), session_id=pk)
        return Response(_post_mortem_out(session))

    @extend_schema(request=PostMortemInputSerializer, responses=PostMortemOutputSerializer)
    def put(self, request: Request, pk: int) -> Response:
        principal = request_principal(request)
        session = session_get_for_coach(principal, session_id=pk)
        data = _valid(PostMortemInputSerializer, request.data)
        with service_errors():
            post_mortem_record(
                session=session,
                author=_person(principal),
                went_well=data["went_well"],
                to_improve=data["to_improve"],
                commitments=[CommitmentInput(**c) for c in data["commitments"]],
                action_items=[ActionItemInput(**a) for a in data["action_items"]],
            )
        return Response(_post_mortem_out(session))


class CommitmentListApi(generics.ListAPIView[Commitment]):
    permission_classes = [ScopeOrRole]
    required_scope = Scope.COACHING_READ
    allowed_roles = ALL_ROLES
    serializer_class = CommitmentOutputSerializer

    @extend_schema(parameters=[OpenApiParameter("status", str), OpenApiParameter("rep_id", int)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Commitment]:
        # Queries: count; the page of commitments with their post-mortem.
        commitments = commitments_visible(request_principal(self.request)).select_related(
            "post_mortem"
        )
        params = self.request.query_params
        if params.get("status"):
            commitments = commitments.filter(status=params["status"])
        if params.get("rep_id"):
            rep_id = _checked("rep_id", parse_query_id, params["rep_id"])
            commitments = commitments.filter(rep_id=rep_id)
        return commitments.order_by("check_date", "pk")


class CommitmentCreateApi(_SessionWriteApi):
    @extend_schema(
        operation_id="coaching_commitments_create",
        request=CommitmentInputSerializer,
        responses={201: CommitmentOutputSerializer},
    )
    @idempotent_create
    def post(self, request: Request, pk: int) -> Response:
        post_mortem = post_mortem_get_for_coach(request_principal(request), post_mortem_id=pk)
        data = _valid(CommitmentInputSerializer, request.data)
        with service_errors():
            commitment = commitment_add(post_mortem=post_mortem, data=CommitmentInput(**data))
        commitment.post_mortem = post_mortem
        return Response(CommitmentOutputSerializer(commitment).data, status=status.HTTP_201_CREATED)


class SlotListApi(APIView):
    """Free times for a coach and a rep inside the coach's weekly hours."""

    permission_classes = [ScopeOrRole]
    required_scope = Scope.COACHING_READ
    allowed_roles = COACHING_ROLES

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
            if raw is None or not str(raw).isdigit():
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
    return _checked("coach_id", parse_query_id, str(value))


def _checked(name: str, check: Callable[[Any], T], value: Any) -> T:
    """`check(value)`, an out-of-bounds value answered as 400 naming the parameter."""
    try:
        return check(value)
    except InputInvalid as exc:
        raise serializers.ValidationError({name: [exc.reason]}) from None


class RubricListApi(generics.ListAPIView[Rubric]):
    permission_classes = [ScopeOrRole]
    required_scope = Scope.COACHING_READ
    allowed_roles = ALL_ROLES
    serializer_class = RubricSerializer

    def get_queryset(self) -> QuerySet[Rubric]:
        return rubric_list_active().order_by("name")


class CalendarFeedApi(APIView):
    """POST: a new private feed address for the caller (the old one stops working); shown once.
    DELETE: revoke it."""

    permission_classes = [ScopeOrRole]
    required_scope = None  # people only: a key has no calendar

    @extend_schema(
        operation_id="coaching_calendar_feed_rotate",
        request=None,
        responses={201: FeedOutputSerializer},
    )
    @idempotent_create
    def post(self, request: Request) -> Response:
        user = _person(request_principal(request))
        if user is None:
            raise NotFound()
        token = calendar_feed_rotate(user=user)
        url = request.build_absolute_uri(reverse("coaching:feed", args=[token]))
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="coaching_calendar_feed_revoke", request=None, responses={204: None}
    )
    def delete(self, request: Request) -> Response:
        user = _person(request_principal(request))
        if user is None:
            raise NotFound()
        calendar_feed_revoke(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
