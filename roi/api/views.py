from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import report_api_readers
from accounts.models import Scope
from accounts.permissions import ScopeOrRule, principal_of_request, request_principal
from core.models import Organization
from roi.access import coaching_kind_for_reports, program_get_for_reports
from roi.api.serializers import ImpactSerializer, RoiSettingsSerializer
from roi.data_checks import data_notes
from roi.models import Metric, RoiSettings, SubjectKind
from roi.reports import report_reasons
from roi.selectors import snapshot_list_for_subject
from roi.services import roi_settings_update
from roi.services.settings import GATE_FIELDS, MONEY_FIELDS

METRIC_PARAMETER = OpenApiParameter(
    "metric",
    str,
    enum=list(Metric.values),
    description="Defaults to the program's primary metric (coaching: bookings).",
)


def _metric(request: Request, default: str) -> str:
    metric = request.query_params.get("metric")
    if metric is None:
        return default
    if metric not in Metric.values:
        raise ValidationError(
            {"metric": [_("Use one of: %(metrics)s.") % {"metrics": ", ".join(Metric.values)}]}
        )
    return metric


def _impact_before_first_report(key: str, metric: str) -> dict[str, Any]:
    """Before the first refresh the answer is "collecting evidence", saying so."""
    return {
        "subject": key,
        "metric": metric,
        "status": "collecting_evidence",
        "reasons": [_("The first report is being computed.")],
        "evidence_grade": "D",
        "gates": [],
        "estimate": None,
        "event_study": [],
        "naive": {"before_after": None, "trained_vs_untrained": None},
        "sample": {
            "treated_reps": 0,
            "comparison_reps": 0,
            "closed_deals": 0,
            "pre_months": None,
            "post_months": None,
            "mde": None,
        },
        "money": {
            "benefit": None,
            "cost": None,
            "roi_pct": None,
            "roi_ci_low": None,
            "roi_ci_high": None,
            "p_roi_positive": None,
            "break_even_effect": None,
            "currency": Organization.current().home_currency,
        },
        "robustness": None,
        "coverage": None,
        "notes": [],
        "data_as_of": None,
        "computed_at": None,
    }


def _impact(kind: str, key: str, metric: str) -> dict[str, Any]:
    """The answer from the subject's latest snapshot. Before the first refresh the answer is
    "collecting evidence", saying so, never an error."""
    snapshot = next(
        (s for s in snapshot_list_for_subject(kind=kind, key=key) if s.metric == metric), None
    )
    if snapshot is None:
        return _impact_before_first_report(key, metric)
    payload = snapshot.payload
    gate = payload.get("money_gate") or {}
    return {
        "subject": key,
        "metric": metric,
        "status": snapshot.status,
        "reasons": report_reasons(payload),
        "evidence_grade": snapshot.evidence_grade,
        "gates": payload["gates"],
        "estimate": payload["estimate"],
        "event_study": payload["event_study"],
        "naive": payload["naive"],
        "sample": payload["sample"],
        "money": {**payload["money"], "is_withheld": bool(gate.get("is_withheld"))},
        "robustness": payload.get("robustness"),
        "coverage": payload.get("coverage"),
        "notes": data_notes(payload),
        "data_as_of": snapshot.data_as_of,
        "computed_at": snapshot.computed_at,
    }


class ProgramImpactApi(APIView):
    """A program's effect on one metric, with its evidence, as the latest snapshot has it."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.REPORTS_READ
    person_rule = staticmethod(report_api_readers)

    @extend_schema(parameters=[METRIC_PARAMETER], responses=ImpactSerializer)
    def get(self, request: Request, slug: str) -> Response:
        program = program_get_for_reports(principal=request_principal(request), slug=slug)
        metric = _metric(request, program.primary_metric)
        # Queries: the program; the subject's snapshots.
        return Response(ImpactSerializer(_impact(SubjectKind.PROGRAM, slug, metric)).data)


class CoachingImpactApi(APIView):
    """A kind of coaching's effect (from each rep's first completed session of that kind)."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.REPORTS_READ
    person_rule = staticmethod(report_api_readers)

    @extend_schema(parameters=[METRIC_PARAMETER], responses=ImpactSerializer)
    def get(self, request: Request, kind: str) -> Response:
        coaching_kind_for_reports(principal=request_principal(request), kind=kind)
        metric = _metric(request, Metric.BOOKINGS)
        return Response(ImpactSerializer(_impact(SubjectKind.COACHING, kind, metric)).data)


class IsAdminPerson(BasePermission):
    """Admins signed in; no API key (settings have no scope)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return principal_of_request(request).may_edit_settings


def _settings_data() -> dict[str, Any]:
    current = RoiSettings.current()
    data: dict[str, Any] = {name: getattr(current, name) for name in (*MONEY_FIELDS, *GATE_FIELDS)}
    data["home_currency"] = Organization.current().home_currency
    return data


class RoiSettingsApi(APIView):
    """The money assumptions (home currency, gross margin, loaded hourly costs) and the
    evidence gates. Admins only."""

    permission_classes = [IsAdminPerson]

    @extend_schema(responses=RoiSettingsSerializer)
    def get(self, request: Request) -> Response:
        return Response(RoiSettingsSerializer(_settings_data()).data)

    @extend_schema(request=RoiSettingsSerializer, responses=RoiSettingsSerializer)
    def put(self, request: Request) -> Response:
        serializer = RoiSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        roi_settings_update(actor=request.user, changes=dict(serializer.validated_data))  # type: ignore[arg-type]
        return Response(RoiSettingsSerializer(_settings_data()).data)
