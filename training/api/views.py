"""Training API: one view per resource, thin. Reads need `training:read` (keys) or any role
(people, within what they may see); writes need `training:write` or, among people, whoever may
edit costs (admins: a program's body carries its costs); assigning, managers for their own
people."""

import datetime as dt
from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import (
    Principal,
    admins_only,
    anyone,
    assigners,
    report_api_readers,
    training_api_writers,
)
from accounts.models import ApiKey, Scope, Team, User
from accounts.permissions import PersonRule, ScopeOrRule, request_principal
from core.api.bulk import BulkResultSerializer, bulk_rows
from core.api.idempotency import idempotent_create
from core.validation import InputInvalid, parse_query_datetime
from training import selectors
from training.access import (
    assignable_teams_named,
    assignees_by_email,
    course_get_for_principal,
    lesson_get_for_learner,
    may_see_costs,
    may_see_drafts,
    program_get_for_principal,
)
from training.api.serializers import (
    AssignmentInputSerializer,
    AssignmentOutputSerializer,
    AssignResultSerializer,
    CompletionRowSerializer,
    CourseInputSerializer,
    CourseOutputSerializer,
    CourseProgressSerializer,
    CourseUpdateSerializer,
    LessonOutputSerializer,
    ProgramInputSerializer,
    ProgramOutputSerializer,
    ProgramUpdateSerializer,
    QuizAttemptInputSerializer,
    QuizAttemptOutputSerializer,
)
from training.models import Assignment, Course, Lesson, Program, PublishStatus
from training.services import (
    assignment_create,
    completion_bulk_import,
    course_create,
    course_update,
    program_create,
    program_update,
    quiz_submit,
    team_reps,
)
from training.xapi import XAPI_VERSION, Cursor, CursorError, statement_page


def _editor(request: Request) -> User | None:
    """The person behind a request (None for an API key), for the plan-change record."""
    return request.user if isinstance(request.user, User) else None


def _person(request: Request) -> User:
    """The signed-in person; keys have no learning of their own."""
    if isinstance(request.auth, ApiKey):
        raise PermissionDenied("This endpoint is for people, not API keys.")
    return request.user  # type: ignore[return-value]


class ReadOrWrite(generics.GenericAPIView[Any]):
    """Reads: the read scope, any role. Writes: the write scope, admins among people."""

    permission_classes = [ScopeOrRule]
    # Among people, who writes: admins (accounts.access.training_api_writers; the decision
    # record on the access policy says why); assignments override it.
    write_rule: PersonRule = staticmethod(training_api_writers)

    @property
    def required_scope(self) -> str:
        return Scope.TRAINING_READ if self.request.method in SAFE_METHODS else Scope.TRAINING_WRITE

    def person_rule(self, principal: Principal) -> bool:
        if self.request.method in SAFE_METHODS:
            return anyone(principal)
        return self.write_rule(principal)


# Courses


class CourseListApi(ReadOrWrite):
    queryset = Course.objects.none()  # for the schema; the methods select
    serializer_class = CourseOutputSerializer

    @extend_schema(responses=CourseOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        # Queries: count, page of courses with lesson counts.
        page = self.paginate_queryset(selectors.course_list(principal=request_principal(request)))
        return self.get_paginated_response(CourseOutputSerializer(page, many=True).data)

    @extend_schema(request=CourseInputSerializer, responses={201: CourseOutputSerializer})
    @idempotent_create
    def post(self, request: Request) -> Response:
        data = CourseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        author = request.user if isinstance(request.user, User) else None
        course = course_create(created_by=author, **data.validated_data)
        return Response(_course_out(course), status=status.HTTP_201_CREATED)


def _course_out(course: Course) -> Any:
    return CourseOutputSerializer(selectors.course_with_counts(pk=course.pk)).data


class CourseDetailApi(ReadOrWrite):
    queryset = Course.objects.none()  # for the schema; the methods select
    serializer_class = CourseOutputSerializer

    def get(self, request: Request, slug: str) -> Response:
        course = course_get_for_principal(principal=request_principal(request), slug=slug)
        return Response(_course_out(course))

    @extend_schema(request=CourseUpdateSerializer, responses=CourseOutputSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise Http404("No such course")
        data = CourseUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        course_update(course=course, **data.validated_data)
        return Response(_course_out(course))


class LessonListApi(ReadOrWrite):
    queryset = Lesson.objects.none()  # for the schema; the methods select
    serializer_class = LessonOutputSerializer

    @extend_schema(responses=LessonOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        principal = request_principal(request)
        course = course_get_for_principal(principal=principal, slug=slug)
        lessons = course.lessons.order_by("position", "pk").prefetch_related("questions__choices")
        if not may_see_drafts(principal):
            lessons = lessons.filter(status=PublishStatus.PUBLISHED)
        # Queries: course, count, lessons, questions, choices.
        page = self.paginate_queryset(lessons)
        return self.get_paginated_response(LessonOutputSerializer(page, many=True).data)


class QuizAttemptApi(APIView):
    """Submit answers to a quiz; graded on the server. Refused with 400, recording nothing,
    for questions or answers outside the quiz and past the attempt limit."""

    @extend_schema(request=QuizAttemptInputSerializer, responses={201: QuizAttemptOutputSerializer})
    @idempotent_create
    def post(self, request: Request, slug: str, lesson: str) -> Response:
        user = _person(request)
        course = course_get_for_principal(principal=user, slug=slug)
        found = lesson_get_for_learner(user=user, course=course, slug=lesson)
        data = QuizAttemptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = quiz_submit(user=user, lesson=found, answers=data.validated_data["answers"])
        attempt = outcome.attempt
        left = max(0, selectors.quiz_attempt_limit(user=user, lesson=found) - attempt.number)
        reveal = attempt.passed or left == 0
        body = {
            "number": attempt.number,
            "score": attempt.score,
            "passed": attempt.passed,
            "attempted_at": attempt.attempted_at,
            "attempts_left": 0 if attempt.passed else left,
            "course_completed": outcome.completion is not None,
            "feedback": [
                {
                    "question": f.question.pk,
                    "is_correct": f.is_correct,
                    "correct_choices": sorted(f.correct) if reveal else None,
                    "explanation": f.question.explanation if reveal else None,
                }
                for f in outcome.feedback
            ],
        }
        return Response(QuizAttemptOutputSerializer(body).data, status=status.HTTP_201_CREATED)


# Programs


class ProgramListApi(ReadOrWrite):
    queryset = Program.objects.none()  # for the schema; the methods select
    serializer_class = ProgramOutputSerializer

    @extend_schema(responses=ProgramOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        # Queries: count, page of programs, their courses.
        page = self.paginate_queryset(selectors.program_list(principal=principal))
        context = {"with_costs": may_see_costs(principal)}
        return self.get_paginated_response(
            ProgramOutputSerializer(page, many=True, context=context).data
        )

    @extend_schema(request=ProgramInputSerializer, responses={201: ProgramOutputSerializer})
    @idempotent_create
    def post(self, request: Request) -> Response:
        data = ProgramInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        courses = _courses_by_slug(fields.pop("courses", []))
        program = program_create(courses=courses, **fields)
        return Response(_program_out(program), status=status.HTTP_201_CREATED)


def _courses_by_slug(slugs: list[str]) -> list[Course]:
    found = {c.slug: c for c in Course.objects.filter(slug__in=slugs)}
    missing = [s for s in slugs if s not in found]
    if missing:
        raise serializers.ValidationError({"courses": [f"No course {s!r}." for s in missing]})
    return [found[s] for s in slugs]


def _program_out(program: Program) -> Any:
    fresh = selectors.program_with_courses(pk=program.pk)
    return ProgramOutputSerializer(fresh, context={"with_costs": True}).data


class ProgramDetailApi(ReadOrWrite):
    queryset = Program.objects.none()  # for the schema; the methods select
    serializer_class = ProgramOutputSerializer

    def get(self, request: Request, slug: str) -> Response:
        principal = request_principal(request)
        program = program_get_for_principal(principal=principal, slug=slug)
        fresh = selectors.program_with_courses(pk=program.pk)
        context = {"with_costs": may_see_costs(principal)}
        return Response(ProgramOutputSerializer(fresh, context=context).data)

    @extend_schema(request=ProgramUpdateSerializer, responses=ProgramOutputSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        program = Program.objects.filter(slug=slug).first()
        if program is None:
            raise Http404("No such program")
        data = ProgramUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        courses = _courses_by_slug(fields.pop("courses")) if "courses" in fields else None
        program_update(program=program, courses=courses, changed_by=_editor(request), **fields)
        return Response(_program_out(program))


# Assignments and progress


class AssignmentListApi(ReadOrWrite):
    queryset = Assignment.objects.none()  # for the schema; the methods select
    serializer_class = AssignmentOutputSerializer
    write_rule = staticmethod(assigners)

    @extend_schema(responses=AssignmentOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        assignments = selectors.assignment_list(principal=request_principal(request))
        # Queries: count, page (+person, target), program courses, progress, completions.
        page = list(self.paginate_queryset(assignments) or [])
        states = selectors.assignment_states(assignments=page)
        return self.get_paginated_response(
            AssignmentOutputSerializer(page, many=True, context={"states": states}).data
        )

    @extend_schema(request=AssignmentInputSerializer, responses={201: AssignResultSerializer})
    @idempotent_create
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        data = AssignmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        target: Program | Course | None
        if values.get("program"):
            target = Program.objects.filter(slug=values["program"]).first()
            field = "program"
        else:
            target = Course.objects.filter(slug=values["course"]).first()
            field = "course"
        if target is None:
            raise serializers.ValidationError({field: [f"No {field} {values[field]!r}."]})
        emails = [e.lower() for e in values.get("assignees", [])]
        people = list(assignees_by_email(principal=principal, emails=emails))
        unknown = sorted(set(emails) - {p.email.lower() for p in people})
        if unknown:
            # The same answer for a missing person and one the caller may not assign.
            raise serializers.ValidationError(
                {"assignees": [f"No one you may assign with email {e}." for e in unknown]}
            )
        team: Team | None = None
        if values.get("team"):
            team = assignable_teams_named(principal=principal, name=values["team"])
            if team is None:
                raise serializers.ValidationError(
                    {"team": ["No team you may assign by that name."]}
                )
            people += [p for p in team_reps(team=team) if p.pk not in {q.pk for q in people}]
        result = assignment_create(
            target=target,
            assignees=people,
            due_date=values["due_date"],
            assigned_by=principal if isinstance(principal, User) else None,
            team=team,
        )
        return Response(AssignResultSerializer(result).data, status=status.HTTP_201_CREATED)


class MyAssignmentsApi(generics.GenericAPIView[Assignment]):
    queryset = Assignment.objects.none()  # for the schema; the methods select
    serializer_class = AssignmentOutputSerializer

    @extend_schema(responses=AssignmentOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        user = _person(request)
        assignments = Assignment.objects.filter(assignee=user).select_related(
            "assignee", "program", "course"
        )
        page = list(self.paginate_queryset(assignments.order_by("due_date", "pk")) or [])
        states = selectors.assignment_states(assignments=page)
        return self.get_paginated_response(
            AssignmentOutputSerializer(page, many=True, context={"states": states}).data
        )


class MyProgressApi(generics.GenericAPIView[Course]):
    queryset = Course.objects.none()  # for the schema; the methods select
    serializer_class = CourseProgressSerializer

    @extend_schema(responses=CourseProgressSerializer(many=True))
    def get(self, request: Request) -> Response:
        user = _person(request)
        # Queries: published courses (with lesson counts), progress, completions.
        cards = selectors.catalog_cards(user=user)
        page = self.paginate_queryset(cards)  # type: ignore[arg-type]
        return self.get_paginated_response(CourseProgressSerializer(page, many=True).data)


# Completions and learning records


class CompletionBulkApi(APIView):
    """Import historical completions by (email, course slug). Rows that fail are listed; the
    others land. Posting the same rows twice changes nothing."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.TRAINING_WRITE
    person_rule = staticmethod(admins_only)

    @extend_schema(
        operation_id="completions_bulk_import",
        request=CompletionRowSerializer(many=True),
        responses=BulkResultSerializer,
    )
    @idempotent_create
    def post(self, request: Request) -> Response:
        return Response(completion_bulk_import(rows=bulk_rows(request)).as_dict())


def _parse_since(raw: str) -> dt.datetime:
    try:
        return parse_query_datetime(raw)
    except InputInvalid as exc:
        raise serializers.ValidationError({"since": [exc.reason]}) from None


class XapiStatementsApi(APIView):
    """Completions and quiz results as xAPI 1.0.3 statements, a StatementResult per page."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.REPORTS_READ
    person_rule = staticmethod(report_api_readers)
    DEFAULT_LIMIT, MAX_LIMIT = 100, 500

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="only statements stored after this"),
            OpenApiParameter("limit", int, description=f"at most {MAX_LIMIT}"),
            OpenApiParameter("cursor", str, description="from the previous page's `more`"),
        ],
        operation_id="xapi_statements_list",
        responses=inline_serializer(
            "XapiStatementResult",
            {
                "statements": serializers.ListField(
                    child=serializers.DictField(), help_text="xAPI 1.0.3 statements"
                ),
                "more": serializers.CharField(help_text="the next page's address, or empty"),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        since = _parse_since(params["since"]) if params.get("since") else None
        try:
            limit = int(params.get("limit") or self.DEFAULT_LIMIT)
        except ValueError:
            limit = 0
        if not 1 <= limit <= self.MAX_LIMIT:
            raise serializers.ValidationError(
                {"limit": [f"Give a number from 1 to {self.MAX_LIMIT}."]}
            )
        try:
            cursor = Cursor.decode(params["cursor"]) if params.get("cursor") else None
        except CursorError as exc:
            raise serializers.ValidationError({"cursor": [str(exc)]}) from None
        page = statement_page(since=since, cursor=cursor, limit=limit)
        more = ""
        if page.next_cursor is not None:
            query = params.copy()
            query["cursor"] = page.next_cursor.encode()
            more = f"{request.path}?{query.urlencode()}"
        response = Response({"statements": page.statements, "more": more})
        response["X-Experience-API-Version"] = XAPI_VERSION
        return response
