"""GET /api/v1/roi/efficiency: the efficiency vs effectiveness report (roi.efficiency) as JSON.

Leaders and admins, keys with reports:read (report_api_readers); the teams and reps answered are
the ones the caller sees (accounts.access: a key also needs users:read to see teams)."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import report_api_readers
from accounts.models import Scope
from accounts.permissions import ScopeOrRule, request_principal
from roi.efficiency.cache import efficiency_report_read
from roi.efficiency.report import (
    OUTCOMES,
    PERIODS,
    EfficiencyReport,
    Row,
    period_parse,
)
from roi.efficiency.stats import Figure
from roi.models import EvidenceGrade, ReportStatus


class FigureSerializer(serializers.Serializer[Any]):
    value = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(
        allow_null=True, help_text="95% interval; null when too few reps or stays for one."
    )
    ci_high = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(help_text="Reps (ratios) or stage moves (medians) it rests on.")


class OutcomesSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {key: FigureSerializer() for key in OUTCOMES}


class RowSerializer(serializers.Serializer[Any]):
    # `label` is declared in get_fields: a class attribute would shadow Field.label.
    key = serializers.CharField()
    team_id = serializers.IntegerField(allow_null=True)
    rep_id = serializers.IntegerField(allow_null=True)
    reps = serializers.IntegerField()
    rep_months = serializers.IntegerField()
    tool_spend_per_rep_month = serializers.FloatField(
        allow_null=True, help_text="Exact, from the tool records, in the home currency."
    )
    enablement_spend_per_rep_month = serializers.FloatField(
        allow_null=True, help_text="Exact, from program costs and coaching hours."
    )
    outcomes = OutcomesSerializer(help_text="Descriptive, each with its 95% interval over reps.")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["label"] = serializers.CharField(help_text="The team, rep or month.")
        return fields


class StageSerializer(serializers.Serializer[Any]):
    stage = serializers.CharField()
    days = FigureSerializer(help_text="Median days in the stage before moving on.")


class EstimateRowSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    key = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    evidence_grade = serializers.ChoiceField(choices=EvidenceGrade.choices)
    effect = FigureSerializer(
        help_text="Causal effect on bookings per trained rep-month (null below the gates)."
    )
    cost_per_trained_rep_month = serializers.FloatField(allow_null=True)
    bookings_per_currency_unit = FigureSerializer()


class SlipsSerializer(serializers.Serializer[Any]):
    slipped = serializers.IntegerField()
    slipped_lacking = serializers.IntegerField()
    not_slipped = serializers.IntegerField()
    not_slipped_lacking = serializers.IntegerField()


class EfficiencySerializer(serializers.Serializer[Any]):
    period = serializers.ChoiceField(choices=list(PERIODS))
    first_month = serializers.DateField()
    last_month = serializers.DateField()
    currency = serializers.CharField()
    team_id = serializers.IntegerField(allow_null=True)
    total = RowSerializer()
    groups = RowSerializer(many=True, help_text="Teams, or the reps of the team asked for.")
    months = RowSerializer(many=True, help_text="Newest first.")
    stages = StageSerializer(many=True)
    estimates = EstimateRowSerializer(many=True)
    slips = SlipsSerializer(help_text="Descriptive: the organisation's own figure.")
    tool_months_unconverted = serializers.IntegerField()
    uncosted_seats = serializers.IntegerField()


def _row(row: Row) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "team_id": row.team_id,
        "rep_id": row.rep_id,
        "reps": row.reps,
        "rep_months": row.rep_months,
        "tool_spend_per_rep_month": row.tool_spend,
        "enablement_spend_per_rep_month": row.enablement_spend,
        "outcomes": {key: row.outcomes[key].as_dict() for key in OUTCOMES},
    }


def report_data(report: EfficiencyReport) -> dict[str, Any]:
    return {
        "period": report.period,
        "first_month": report.first_month,
        "last_month": report.last_month,
        "currency": report.currency,
        "team_id": report.scope.team.pk if report.scope.team is not None else None,
        "total": _row(report.total),
        "groups": [_row(r) for r in report.groups],
        "months": [_row(r) for r in report.months],
        "stages": [{"stage": s.stage, "days": s.days.as_dict()} for s in report.stages],
        "estimates": [
            {
                "kind": e.estimate.kind,
                "key": e.estimate.key,
                "title": e.estimate.title,
                "status": e.estimate.status,
                "evidence_grade": e.estimate.grade,
                "effect": (
                    Figure(e.estimate.att, e.estimate.ci_low, e.estimate.ci_high)
                    if e.is_finding
                    else Figure(None)
                ).as_dict(),
                "cost_per_trained_rep_month": e.cost_per_trained_rep_month,
                "bookings_per_currency_unit": e.bookings_per_currency_unit.as_dict(),
            }
            for e in report.estimates
        ],
        "slips": vars(report.slips),
        "tool_months_unconverted": report.tool_months_unconverted,
        "uncosted_seats": report.uncosted_seats,
    }


class EfficiencyApi(APIView):
    """Tool and enablement spend per rep-month beside the outcomes, per team (or per rep of
    `team`), per month, stage-advance times, the slip figure and the graded estimates."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.REPORTS_READ
    person_rule = staticmethod(report_api_readers)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=list(PERIODS), description="Default 12m."),
            OpenApiParameter("team", int, description="One visible team: its reps as groups."),
        ],
        responses=EfficiencySerializer,
    )
    def get(self, request: Request) -> Response:
        try:
            period = period_parse(request.query_params.get("period"))
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        raw_team = request.query_params.get("team") or ""
        if raw_team and (not raw_team.isdecimal() or len(raw_team) > 12):
            raise ValidationError({"team": ["Give a team id."]})
        report = efficiency_report_read(
            principal=request_principal(request),
            period=period,
            team_id=int(raw_team) if raw_team else None,
        )
        return Response(EfficiencySerializer(report_data(report)).data)
