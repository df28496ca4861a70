"""Courses and programs: the catalog an admin publishes, and each program's measurement plan."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class PublishStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Course(TimeStampedModel):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    # Methodology tags such as "MEDDIC", "SPIN", "Challenger" or the organisation's own.
    tags = models.JSONField(_("tags"), default=list, blank=True)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=30)
    status = models.CharField(
        _("status"), max_length=16, choices=PublishStatus.choices, default=PublishStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PublishStatus.values), name="training_course_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == PublishStatus.PUBLISHED


class PrimaryMetric(models.TextChoices):
    BOOKINGS = "bookings", _("Bookings")
    WIN_RATE = "win_rate", _("Win rate")
    CYCLE_DAYS = "cycle_days", _("Cycle days")
    SLIP_RATE = "slip_rate", _("Slip rate")
    QUALIFICATION = "qualification", _("Qualification")


class Program(TimeStampedModel):
    """A curriculum: ordered courses, what it costs, and how its effect will be measured."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PublishStatus.choices, default=PublishStatus.DRAFT
    )
    courses: "models.ManyToManyField[Course, ProgramCourse]" = models.ManyToManyField(
        Course, through="ProgramCourse", related_name="programs", blank=True
    )
    # Costs in the organisation's home currency; the ROI engine loads them fully.
    content_cost = models.DecimalField(
        _("content or licence cost"), max_digits=12, decimal_places=2, default=0
    )
    cost_per_seat = models.DecimalField(
        _("cost per seat"), max_digits=12, decimal_places=2, default=0
    )
    expected_learner_hours = models.DecimalField(
        _("expected learner hours"), max_digits=6, decimal_places=2, default=0
    )
    # The measurement plan, fixed before results come in.
    primary_metric = models.CharField(
        _("primary metric"),
        max_length=16,
        choices=PrimaryMetric.choices,
        default=PrimaryMetric.WIN_RATE,
    )
    horizon_months = models.PositiveSmallIntegerField(_("horizon in months"), default=6)
    plausible_effect_pct = models.DecimalField(
        _("plausible effect (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The effect size the plan expects; used for the minimum detectable effect."),
    )
    anticipation_months = models.PositiveSmallIntegerField(
        _("anticipation window (months)"),
        default=0,
        help_text=_(
            "Months before completion in which reps may already work differently (the course "
            "in progress); the estimate neither compares against nor tests those months."
        ),
    )
    is_evaluation = models.BooleanField(
        _("evaluation mode"),
        default=False,
        help_text=_("Teams start in a randomised order so the rollout is an experiment."),
    )

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PublishStatus.values), name="training_program_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(primary_metric__in=PrimaryMetric.values),
                name="training_program_metric_valid",
            ),
            models.CheckConstraint(
                condition=Q(content_cost__gte=0)
                & Q(cost_per_seat__gte=0)
                & Q(expected_learner_hours__gte=0),
                name="training_program_costs_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(horizon_months__gte=1) & Q(horizon_months__lte=60),
                name="training_program_horizon_range",
            ),
            models.CheckConstraint(
                condition=Q(plausible_effect_pct__isnull=True) | Q(plausible_effect_pct__gt=0),
                name="training_program_effect_positive",
            ),
            models.CheckConstraint(
                condition=Q(anticipation_months__lte=12),
                name="training_program_anticipation_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# The measurement plan: fixed before results come in. Every later edit is recorded.
PLAN_FIELDS = ("primary_metric", "horizon_months", "plausible_effect_pct", "anticipation_months")


class ProgramPlanChange(models.Model):
    """One edit of one field of a program's measurement plan: who, when, from what to what.

    Written by training.services.program_update; the ROI engine compares these with the plan it
    froze at the first report, and says "plan changed after results" instead of re-grading.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="plan_changes")
    field = models.CharField(max_length=32)
    old_value = models.CharField(max_length=64, blank=True)
    new_value = models.CharField(max_length=64, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("plan change")
        verbose_name_plural = _("plan changes")

    def __str__(self) -> str:
        return f"{self.program} · {self.field}"


class ProgramCourse(models.Model):
    """A course's place in a program. Positions are kept dense (0, 1, 2, ...) by the services."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="program_courses")
    # PROTECT: a course in a program carries completions the ROI engine reads.
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="program_links")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["program", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "course"], name="training_program_course_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} #{self.position}: {self.course}"
