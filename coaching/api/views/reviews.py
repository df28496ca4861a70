"""What a session leaves behind, over the API: scorecards, post-mortems, commitments."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import anyone
from accounts.models import Scope
from accounts.permissions import ScopeOrRule, request_principal
from coaching.access import (
    commitments_visible,
    post_mortem_get_for_coach,
    session_get_for_coach,
    session_get_visible,
)
from coaching.api.serializers import (
    CommitmentInputSerializer,
    CommitmentOutputSerializer,
    PostMortemInputSerializer,
    PostMortemOutputSerializer,
    ScorecardInputSerializer,
    ScorecardOutputSerializer,
)
from coaching.api.views.common import (
    SessionWriteApi,
    checked_param,
    person_or_none,
    service_errors,
    validated,
)
from coaching.models import (
    ActionItem,
    CoachingSession,
    Commitment,
    CriterionScore,
    PostMortem,
    Rubric,
    Scorecard,
)
from coaching.services.post_mortems import (
    ActionItemInput,
    CommitmentInput,
    commitment_add,
    post_mortem_record,
)
from coaching.services.scorecards import scorecard_record
from core.api.idempotency import idempotent_create
from core.validation import parse_query_id


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

    permission_classes = [ScopeOrRule]
    person_rule = staticmethod(anyone)

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
        data = validated(ScorecardInputSerializer, request.data)
        rubric = Rubric.objects.filter(pk=data["rubric_id"]).first()
        if rubric is None:
            raise serializers.ValidationError({"rubric_id": ["No rubric with this id."]})
        with service_errors():
            scorecard_record(
                session=session,
                scored_by=person_or_none(principal),
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

    permission_classes = [ScopeOrRule]
    person_rule = staticmethod(anyone)

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
        data = validated(PostMortemInputSerializer, request.data)
        with service_errors():
            post_mortem_record(
                session=session,
                author=person_or_none(principal),
                went_well=data["went_well"],
                to_improve=data["to_improve"],
                commitments=[CommitmentInput(**c) for c in data["commitments"]],
                action_items=[ActionItemInput(**a) for a in data["action_items"]],
            )
        return Response(_post_mortem_out(session))


class CommitmentListApi(generics.ListAPIView[Commitment]):
    permission_classes = [ScopeOrRule]
    required_scope = Scope.COACHING_READ
    person_rule = staticmethod(anyone)
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
            rep_id = checked_param("rep_id", parse_query_id, params["rep_id"])
            commitments = commitments.filter(rep_id=rep_id)
        return commitments.order_by("check_date", "pk")


class CommitmentCreateApi(SessionWriteApi):
    @extend_schema(
        operation_id="coaching_commitments_create",
        request=CommitmentInputSerializer,
        responses={201: CommitmentOutputSerializer},
    )
    @idempotent_create
    def post(self, request: Request, pk: int) -> Response:
        post_mortem = post_mortem_get_for_coach(request_principal(request), post_mortem_id=pk)
        data = validated(CommitmentInputSerializer, request.data)
        with service_errors():
            commitment = commitment_add(post_mortem=post_mortem, data=CommitmentInput(**data))
        commitment.post_mortem = post_mortem
        return Response(CommitmentOutputSerializer(commitment).data, status=status.HTTP_201_CREATED)
