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
    clusters = serializers.IntegerField(
        allow_null=True,
        default=None,
        help_text="Units the interval resampled (reps, or teams for a team rollout).",
    )


class EventTimeSerializer(serializers.Serializer[Any]):
    e = serializers.IntegerField(help_text="Months since training; negative: before training.")
    att = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)


class NaiveSerializer(serializers.Serializer[Any]):
    before_after = serializers.FloatField(allow_null=True)
    trained_vs_untrained = serializers.FloatField(allow_null=True)


class CurrencyCountSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    deals = serializers.IntegerField()


class SampleSerializer(serializers.Serializer[Any]):
    treated_reps = serializers.IntegerField()
    comparison_reps = serializers.IntegerField()
    closed_deals = serializers.IntegerField()
    pre_months = serializers.FloatField(allow_null=True)
    post_months = serializers.FloatField(allow_null=True)
    mde = serializers.FloatField(allow_null=True)
    unconverted_deals = serializers.IntegerField(
        default=0, help_text="Closed deals with no exchange rate on their close day."
    )
    unconverted_won_deals = serializers.IntegerField(default=0)
    unconverted_share_pct = serializers.FloatField(
        allow_null=True,
        default=None,
        help_text="Won deals without an exchange rate, as a share of won deals (%).",
    )
    unconverted_currencies = CurrencyCountSerializer(
        many=True, default=list, help_text="Closed deals without a rate, by currency."
    )
    covered_months = serializers.IntegerField(
        allow_null=True, default=None, help_text="Months in which deal data covers some rep."
    )


class SourceCoverageSerializer(serializers.Serializer[Any]):
    # Declared in get_fields: a class attribute named `source` would shadow Field.source.
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "source": serializers.CharField(),
            "first_month": serializers.CharField(
                help_text="YYYY-MM: the first month the data covers."
            ),
            "last_month": serializers.CharField(
                help_text="YYYY-MM: the last whole month it covers."
            ),
            "data_as_of": serializers.DateTimeField(
                help_text="The newest CRM time, capped by today."
            ),
            "is_stale": serializers.BooleanField(),
        }


class CoverageSerializer(serializers.Serializer[Any]):
    data_as_of = serializers.DateTimeField(allow_null=True)
    last_month = serializers.CharField(help_text="YYYY-MM: where the estimate's window ends.")
    last_complete_month = serializers.CharField()
    is_stale = serializers.BooleanField(
        help_text="The data ends before the last complete month: connect or re-import."
    )
    sources = SourceCoverageSerializer(many=True)


class RobustnessSerializer(serializers.Serializer[Any]):
    percentile = serializers.FloatField()
    cap = serializers.FloatField(allow_null=True)
    att = serializers.FloatField()
    winsorised_att = serializers.FloatField()
    gap = serializers.FloatField()
    gap_pct = serializers.FloatField(allow_null=True)
    threshold_pct = serializers.FloatField(
        allow_null=True,
        help_text="The gap (as a share of the effect) beyond which it is driven by a few deals: "
        "one standard error of the winsorised estimate.",
    )
    winsorised_se = serializers.FloatField(allow_null=True, default=None)
    is_driven_by_few_deals = serializers.BooleanField()
    is_headline_winsorised = serializers.BooleanField(
        default=False,
        help_text="The estimate, its interval and the money use the winsorised bookings.",
    )


class MoneySerializer(serializers.Serializer[Any]):
    benefit = serializers.FloatField(allow_null=True)
    cost = serializers.FloatField(allow_null=True)
    roi_pct = serializers.FloatField(allow_null=True)
    roi_ci_low = serializers.FloatField(allow_null=True)
    roi_ci_high = serializers.FloatField(allow_null=True)
    p_roi_positive = serializers.FloatField(allow_null=True)
    break_even_effect = serializers.FloatField(allow_null=True)
    currency = serializers.CharField()
    is_withheld = serializers.BooleanField(
        default=False,
        help_text="Benefit and ROI withheld: too many won deals have no exchange rate.",
    )


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
    robustness = RobustnessSerializer(
        allow_null=True,
        help_text="The bookings estimate with won deals capped at the 99th percentile.",
    )
    coverage = CoverageSerializer(allow_null=True)
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="What to know about the data: where it ends, deals without a rate, outliers.",
    )
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
    max_unconverted_share_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        help_text="Above this share of won deals without an exchange rate, money is withheld.",
    )
    meeting_advance_days = serializers.IntegerField(
        required=False,
        help_text="A meeting advances its deal when the deal moves on within this many days.",
    )
