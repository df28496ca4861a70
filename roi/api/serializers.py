"""The shapes of the ROI API. Impact answers are built from snapshots (roi.api.views); these
serializers document them for OpenAPI and fix their field names."""

from typing import Any

from rest_framework import serializers

from roi.models import EvidenceGrade, ReportStatus


class GateSerializer(serializers.Serializer[Any]):
    # Declared in get_fields: a class attribute named `required` would shadow Field.required.
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "name": serializers.CharField(),
            "required": serializers.FloatField(),
            "actual": serializers.FloatField(allow_null=True),
            "passed": serializers.BooleanField(),
        }


class EstimateSerializer(serializers.Serializer[Any]):
    att = serializers.FloatField(allow_null=True)
    se = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    ci_level = serializers.FloatField()


class EventTimeSerializer(serializers.Serializer[Any]):
    e = serializers.IntegerField(help_text="Months since training; negative: before training.")
    att = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)


class NaiveSerializer(serializers.Serializer[Any]):
    before_after = serializers.FloatField(allow_null=True)
    trained_vs_untrained = serializers.FloatField(allow_null=True)


class SampleSerializer(serializers.Serializer[Any]):
    treated_reps = serializers.IntegerField()
    comparison_reps = serializers.IntegerField()
    closed_deals = serializers.IntegerField()
    pre_months = serializers.FloatField(allow_null=True)
    post_months = serializers.FloatField(allow_null=True)
    mde = serializers.FloatField(allow_null=True)


class MoneySerializer(serializers.Serializer[Any]):
    benefit = serializers.FloatField(allow_null=True)
    cost = serializers.FloatField(allow_null=True)
    roi_pct = serializers.FloatField(allow_null=True)
    roi_ci_low = serializers.FloatField(allow_null=True)
    roi_ci_high = serializers.FloatField(allow_null=True)
    p_roi_positive = serializers.FloatField(allow_null=True)
    break_even_effect = serializers.FloatField(allow_null=True)
    currency = serializers.CharField()


class ImpactSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField(help_text="The program's slug or the coaching kind.")
    metric = serializers.CharField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="What is missing before status can be ok."
    )
    evidence_grade = serializers.ChoiceField(choices=EvidenceGrade.choices)
    gates = GateSerializer(many=True)
    estimate = EstimateSerializer(allow_null=True)
    event_study = EventTimeSerializer(many=True)
    naive = NaiveSerializer()
    sample = SampleSerializer()
    money = MoneySerializer()
    data_as_of = serializers.DateTimeField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)


class RoiSettingsSerializer(serializers.Serializer[Any]):
    """PUT replaces the money settings (all four required); gate fields are optional."""

    home_currency = serializers.CharField(max_length=3)
    gross_margin_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    rep_hourly_cost = serializers.DecimalField(max_digits=10, decimal_places=2)
    coach_hourly_cost = serializers.DecimalField(max_digits=10, decimal_places=2)
    min_treated_reps = serializers.IntegerField(required=False)
    min_comparison_reps = serializers.IntegerField(required=False)
    min_pre_months = serializers.IntegerField(required=False)
    post_months_beyond_cycle = serializers.IntegerField(required=False)
    default_plausible_effect_pct = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False
    )
    bootstrap_draws = serializers.IntegerField(required=False)
