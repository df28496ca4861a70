"""What the impact engine keeps: its settings, report snapshots, and evaluation-mode rollouts.

Reports are computed by Celery (roi.tasks) and stored as snapshots; pages and the API only read
snapshots, so they stay fast whatever the size of the deal history.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import SingletonModel, TimeStampedModel
from training.models import PrimaryMetric

# The outcomes a report measures are the ones a program's plan can name.
Metric = PrimaryMetric


class RoiSettings(SingletonModel):
    """The organisation's money assumptions and evidence gates (a singleton row, pk=1).

    The home currency lives on core.Organization; roi.services.roi_settings_update writes both.
    """

    # Money (Phillips): what a booked unit of revenue is worth, and what people's time costs.
    gross_margin_pct = models.DecimalField(
        _("gross margin (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("70"),
        help_text=_("Share of bookings that is profit before sales costs."),
    )
    rep_hourly_cost = models.DecimalField(
        _("loaded hourly cost of a rep"), max_digits=10, decimal_places=2, default=Decimal("60")
    )
    coach_hourly_cost = models.DecimalField(
        _("loaded hourly cost of a coach"), max_digits=10, decimal_places=2, default=Decimal("90")
    )
    # Paid on every booked unit, so the company keeps the margin net of it.
    commission_pct = models.DecimalField(
        _("sales commission (% of bookings)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Netted from the gross margin when pricing an effect on bookings."),
    )
    # Evidence gates: below any of them a report says "collecting evidence".
    min_treated_reps = models.PositiveSmallIntegerField(_("minimum trained reps"), default=20)
    min_comparison_reps = models.PositiveSmallIntegerField(_("minimum comparison reps"), default=20)
    min_pre_months = models.PositiveSmallIntegerField(
        _("minimum months before training"), default=3
    )
    post_months_beyond_cycle = models.PositiveSmallIntegerField(
        _("months after training beyond one median sales cycle"), default=1
    )
    default_plausible_effect_pct = models.DecimalField(
        _("plausible effect when the plan states none (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
    )
    bootstrap_draws = models.PositiveIntegerField(_("bootstrap draws"), default=999)
    # Deals without an exchange rate are never valued at 0; beyond this share of the won deals
    # the money headline is withheld (their value is unknown, so the benefit would be a guess).
    max_unconverted_share_pct = models.DecimalField(
        _("most won deals without an exchange rate before money is withheld (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2"),
    )
    # A meeting advances its deal when the deal moves on within this many days (deals.meetings).
    meeting_advance_days = models.PositiveSmallIntegerField(
        _("days in which a meeting must advance its deal"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ROI settings")
        verbose_name_plural = _("ROI settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="roi_settings_singleton"),
            models.CheckConstraint(
                condition=Q(gross_margin_pct__gte=0) & Q(gross_margin_pct__lte=100),
                name="roi_settings_margin_range",
            ),
            models.CheckConstraint(
                condition=Q(rep_hourly_cost__gte=0) & Q(coach_hourly_cost__gte=0),
                name="roi_settings_costs_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(commission_pct__gte=0) & Q(commission_pct__lte=100),
                name="roi_settings_commission_range",
            ),
            models.CheckConstraint(
                condition=Q(default_plausible_effect_pct__gt=0),
                name="roi_settings_plausible_effect_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_unconverted_share_pct__gte=0)
                & Q(max_unconverted_share_pct__lte=100),
                name="roi_settings_unconverted_share_range",
            ),
            # The floor: intervals from fewer draws are too noisy at the 2.5% tails.
            models.CheckConstraint(
                condition=Q(bootstrap_draws__gte=999), name="roi_settings_draws_min"
            ),
        ]

    def __str__(self) -> str:
        return str(_("ROI settings"))


class SubjectKind(models.TextChoices):
    PROGRAM = "program", _("Training program")
    COACHING = "coaching", _("Coaching")


class ReportStatus(models.TextChoices):
    OK = "ok", _("Evidence sufficient")
    COLLECTING = "collecting_evidence", _("Collecting evidence")


class EvidenceGrade(models.TextChoices):
    A = "A", _("A: randomised rollout")
    B = "B", _("B: staggered comparison, clean pre-trend")
    C = "C", _("C: weaker design")
    D = "D", _("D: naive figures only")


class ReportSnapshot(models.Model):
    """The latest report for one subject (a program, or a kind of coaching) and one metric.

    `payload` is the whole report as pages and the API show it; the headline columns are copied
    out of it so that the dashboard lists every subject without loading payloads.
    """

    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    # A program's slug, or a coaching session kind.
    subject_key = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    metric = models.CharField(max_length=16, choices=Metric.choices)
    # The program's primary metric (for coaching: bookings): the dashboard's row.
    is_headline = models.BooleanField(default=False)
    status = models.CharField(max_length=24, choices=ReportStatus.choices)
    evidence_grade = models.CharField(max_length=1, choices=EvidenceGrade.choices)
    att = models.FloatField(null=True, blank=True)
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    roi_pct = models.FloatField(null=True, blank=True)
    # The few facts the dashboard row shows besides the columns (missing evidence, units, money).
    summary = models.JSONField(default=dict)
    payload = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
    # The newest CRM time of the deal data the report saw, capped by today (roi.panel.coverage).
    data_as_of = models.DateTimeField(null=True, blank=True)
    # Digest of the inputs' watermark (see roi.selectors.refresh_watermark).
    inputs_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["subject_kind", "title", "metric"]
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_key", "metric"], name="roi_snapshot_unique"
            ),
            models.CheckConstraint(
                condition=Q(subject_kind__in=SubjectKind.values), name="roi_snapshot_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(metric__in=Metric.values), name="roi_snapshot_metric_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="roi_snapshot_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(evidence_grade__in=EvidenceGrade.values),
                name="roi_snapshot_grade_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["is_headline", "subject_kind"], name="roi_snapshot_headline"),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.metric}"

    @property
    def is_ok(self) -> bool:
        return self.status == ReportStatus.OK


class RefreshState(models.Model):
    """When reports were last computed and from which inputs (a singleton row, pk=1).

    The frequent beat task compares the current watermark of the inputs with `watermark` and
    recomputes only when they moved: a burst of ingestions leads to one refresh.
    """

    watermark = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    snapshots = models.PositiveIntegerField(default=0)
    # The published refresh (roi.services.refresh.RefreshRun): a publish of the same refresh
    # delivered again, or of one planned before it, writes nothing.
    run_id = models.CharField(max_length=32, blank=True)
    run_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="roi_refresh_state_singleton"),
        ]

    def __str__(self) -> str:
        return f"refreshed {self.refreshed_at}"


class ProgramCosting(TimeStampedModel):
    """Costs of a program that the training plan does not carry: delivery and coaching time."""

    program = models.OneToOneField(
        "training.Program", on_delete=models.CASCADE, related_name="roi_costing"
    )
    delivery_cost = models.DecimalField(
        _("delivery cost"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Trainers, venues, travel: one total in the home currency."),
    )
    coaching_hours_per_seat = models.DecimalField(
        _("coaching hours per trained rep"), max_digits=6, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("program costing")
        verbose_name_plural = _("program costings")
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery_cost__gte=0) & Q(coaching_hours_per_seat__gte=0),
                name="roi_costing_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(self.program)


class EvaluationRollout(models.Model):
    """A program in evaluation mode: teams start in waves, in a randomised order.

    Recorded once and never redrawn: re-randomising after seeing results would undo the
    experiment. `seed` makes the draw reproducible from the recorded inputs.
    """

    program = models.OneToOneField(
        "training.Program", on_delete=models.CASCADE, related_name="evaluation_rollout"
    )
    seed = models.BigIntegerField(_("random seed"))
    first_wave_starts_on = models.DateField(_("first wave starts"))
    wave_spacing_months = models.PositiveSmallIntegerField(_("months between waves"))
    n_waves = models.PositiveSmallIntegerField(_("waves"))
    # Teams are stratified by bookings per rep over these months before the first wave.
    prior_months = models.PositiveSmallIntegerField(_("months of prior bookings"), default=6)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("evaluation rollout")
        verbose_name_plural = _("evaluation rollouts")
        constraints = [
            models.CheckConstraint(condition=Q(n_waves__gte=2), name="roi_rollout_waves_min"),
            models.CheckConstraint(
                condition=Q(wave_spacing_months__gte=1), name="roi_rollout_spacing_min"
            ),
            models.CheckConstraint(condition=Q(prior_months__gte=1), name="roi_rollout_prior_min"),
        ]

    def __str__(self) -> str:
        return f"{self.program} rollout"


class EvaluationAssignment(models.Model):
    """One team's place in a randomised rollout."""

    rollout = models.ForeignKey(
        EvaluationRollout, on_delete=models.CASCADE, related_name="assignments"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    # Teams ranked by prior bookings per rep, cut into strata of `n_waves` teams; each stratum's
    # teams are spread over the waves at random.
    stratum = models.PositiveSmallIntegerField(_("stratum"))
    prior_bookings_per_rep = models.DecimalField(
        _("prior bookings per rep"), max_digits=18, decimal_places=2
    )
    wave = models.PositiveSmallIntegerField(_("wave"))  # 1 starts first
    starts_on = models.DateField(_("starts"))

    class Meta:
        ordering = ["rollout", "wave", "stratum", "team__name"]
        verbose_name = _("evaluation assignment")
        verbose_name_plural = _("evaluation assignments")
        constraints = [
            models.UniqueConstraint(fields=["rollout", "team"], name="roi_assignment_team_once"),
            models.CheckConstraint(condition=Q(wave__gte=1), name="roi_assignment_wave_min"),
        ]

    def __str__(self) -> str:
        return f"{self.team} · wave {self.wave}"


class ProgramPlanFreeze(models.Model):
    """A program's measurement plan as it stood at its first report with a finding.

    Written once by the refresh and never updated: reports grade against this plan, and edits
    recorded after `frozen_at` (training.ProgramPlanChange) are shown as "plan changed after
    results" instead of silently re-grading.
    """

    program = models.OneToOneField(
        "training.Program", on_delete=models.CASCADE, related_name="plan_freeze"
    )
    primary_metric = models.CharField(max_length=16, choices=Metric.choices)
    horizon_months = models.PositiveSmallIntegerField()
    plausible_effect_pct = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    anticipation_months = models.PositiveSmallIntegerField(default=0)
    frozen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("frozen plan")
        verbose_name_plural = _("frozen plans")

    def __str__(self) -> str:
        return f"{self.program} plan"


# --- The rep x month summary the panel reads (roi.panel.summary) ------------------------------


class RepMonthSummary(models.Model):
    """One rep's deals in one calendar month (UTC), aggregated as the panel's queries do.

    Kept current inside every ingest's transaction for the (rep, month) keys it touched
    (deals.signals), rebuilt by `manage.py roi_summary_rebuild`. Each column is a panel column
    (roi.panel.queries): closed deals by month closed, new deals by month created, pushed close
    dates by month of the old date, current close dates by their month. Open deals whose close
    date falls in the month are kept apart (`due_open`): they count as due and missed only once
    the month is over, so the panel reads them for past months only.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.IntegerField()  # year * 12 + month - 1 (roi.months)
    won = models.IntegerField(default=0)
    lost = models.IntegerField(default=0)
    won_value = models.FloatField(default=0)  # home currency; deals without a rate left out
    lost_value = models.FloatField(default=0)
    won_cycle_days = models.FloatField(default=0)
    unconverted_won = models.IntegerField(default=0)
    unconverted_lost = models.IntegerField(default=0)
    new = models.IntegerField(default=0)
    deadline_yes = models.IntegerField(default=0)
    deadline_known = models.IntegerField(default=0)
    buyer_yes = models.IntegerField(default=0)
    buyer_known = models.IntegerField(default=0)
    qualified_yes = models.IntegerField(default=0)
    qualified_known = models.IntegerField(default=0)
    pushed = models.IntegerField(default=0)
    due_closed = models.IntegerField(default=0)
    missed_closed = models.IntegerField(default=0)
    due_open = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "month"], name="roi_summary_owner_month"),
        ]
        indexes = [models.Index(fields=["month"], name="roi_summary_month_idx")]

    def __str__(self) -> str:
        return f"{self.owner_id} · {self.month}"


class RepSourceSpan(models.Model):
    """One rep's deals from one CRM source: first and last created, last closed (the panel's
    tenure, roi.panel.queries.tenure_query). Kept and rebuilt with RepMonthSummary."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="deal_spans",
        db_index=False,
    )
    source = models.CharField(max_length=32)
    first_deal = models.DateTimeField()
    last_created = models.DateTimeField()
    last_closed = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "source"], name="roi_span_owner_source"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} · {self.source}"


class SummaryState(models.Model):
    """When the summary was last rebuilt, and the home currency and exchange rates its values
    are in (a singleton row, pk=1). The panel reads the summary only while they still hold."""

    built_at = models.DateTimeField(null=True)
    home_currency = models.CharField(max_length=3, blank=True)
    rates_digest = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"summary built {self.built_at}"
