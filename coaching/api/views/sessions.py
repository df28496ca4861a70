"""Coaching sessions over the API: list, book, read, reschedule, cancel, complete."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Principal, anyone, coaches
from accounts.models import ApiKey, Scope
from accounts.permissions import ScopeOrRule, request_principal
from coaching.access import (
    bookable_rep_get,
    coach_get_for_booking,
    session_get_for_coach,
    session_get_for_participant,
    session_get_visible,
)
from coaching.api.serializers import (
    SessionCancelSerializer,
    SessionCompleteSerializer,
    SessionCreateSerializer,
    SessionOutputSerializer,
    SessionRescheduleSerializer,
)
from coaching.api.views.common import (
    SessionWriteApi,
    checked_param,
    person_or_none,
    service_errors,
    session_out,
    validated,
)
from coaching.models import (
    CoachingSession,
    RubricCriterion,
)
from coaching.selectors import session_list_visible
from coaching.services.sessions import (
    session_book,
    session_cancel,
    session_complete,
    session_reschedule,
)
from core.api.idempotency import idempotent_create
from core.validation import parse_query_datetime, parse_query_id
from deals.selectors import deal_list_visible


class SessionListCreateApi(generics.ListAPIView[CoachingSession]):
    """GET: sessions the caller may see. POST: book a session (coaches with their coachees,
    managers with their team; admins and keys with coaching:write may name the coach)."""

    permission_classes = [ScopeOrRule]
    serializer_class = SessionOutputSerializer

    @property
    def required_scope(self) -> str:
        return Scope.COACHING_WRITE if self.request.method == "POST" else Scope.COACHING_READ

    def person_rule(self, principal: Principal) -> bool:
        return coaches(principal) if self.request.method == "POST" else anyone(principal)

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
                filters[lookup] = checked_param(name, parse_query_datetime, params[name])
        for key in ("rep_id", "coach_id"):
            if key in filters:
                filters[key] = checked_param(key, parse_query_id, str(filters[key]))
        return sessions.filter(**filters)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionOutputSerializer})
    @idempotent_create
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        data = validated(SessionCreateSerializer, request.data)
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
                booked_by=person_or_none(principal) or coach,
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
        return Response(session_out(session), status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    permission_classes = [ScopeOrRule]
    required_scope = Scope.COACHING_READ
    person_rule = staticmethod(anyone)

    @extend_schema(responses=SessionOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        session = session_get_visible(request_principal(request), session_id=pk)
        return Response(session_out(session))


class SessionRescheduleApi(SessionWriteApi):
    @extend_schema(
        operation_id="coaching_sessions_reschedule",
        request=SessionRescheduleSerializer,
        responses=SessionOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        session = session_get_for_coach(request_principal(request), session_id=pk)
        data = validated(SessionRescheduleSerializer, request.data)
        with service_errors():
            session_reschedule(
                session=session,
                start=data["start"],
                end=data["end"],
                by=person_or_none(request_principal(request)),
            )
        return Response(session_out(session))


class SessionCancelApi(SessionWriteApi):
    @extend_schema(
        operation_id="coaching_sessions_cancel",
        request=SessionCancelSerializer,
        responses=SessionOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = request_principal(request)
        session = session_get_for_participant(principal, session_id=pk)
        data = validated(SessionCancelSerializer, request.data)
        with service_errors():
            session_cancel(session=session, by=person_or_none(principal), reason=data["reason"])
        return Response(session_out(session))


class SessionCompleteApi(SessionWriteApi):
    @extend_schema(
        operation_id="coaching_sessions_complete",
        request=SessionCompleteSerializer,
        responses=SessionOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = request_principal(request)
        session = session_get_for_coach(principal, session_id=pk)
        data = validated(SessionCompleteSerializer, request.data)
        with service_errors():
            session_complete(
                session=session,
                by=person_or_none(principal),
                status=data["status"],
                notes=data["notes"],
            )
        return Response(session_out(session))
