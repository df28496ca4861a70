"""Coaching: sessions between a coach and a rep, availability, calendar feeds, rubrics and
scorecards, post-mortems with measurable commitments, and action items.

No double-booking: a session's two people each get a `SessionParticipant` row carrying the
session's time range. On PostgreSQL an exclusion constraint forbids two active rows of the same
person with overlapping ranges, whether that person is the coach in one session and the rep in the
other or not; on SQLite `coaching.services.sessions` checks the same rule inside the booking
transaction (see the lock-order note there).
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coaching.rubric_scored import RubricCriterionScore, ScoredOnRubric, overall_within_0_to_100
from core.db import PostgresExclusionConstraint, TsTzRange
from core.models import TimeStampedModel


class SessionKind(models.TextChoices):
    LIVE_CALL = "live_call", _("Live call")
    POST_CALL_REVIEW = "post_call_review", _("Post-call review")
    DEAL_POST_MORTEM = "deal_post_mortem", _("Deal post-mortem")
    ONE_ON_ONE = "one_on_one", _("One-on-one")
    ROLE_PLAY = "role_play", _("Role-play")


# Kinds that end with a post-mortem (what went well, what to improve, commitments).
POST_MORTEM_KINDS = (SessionKind.POST_CALL_REVIEW, SessionKind.DEAL_POST_MORTEM)
# Kinds about a call, which a coach scores on a rubric (any session may be scored; these are
# listed as follow-ups until they are).
SCORED_KINDS = (SessionKind.LIVE_CALL, SessionKind.POST_CALL_REVIEW, SessionKind.ROLE_PLAY)


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class Methodology(models.TextChoices):
    MEDDIC = "meddic", "MEDDIC"
    SPIN = "spin", "SPIN"
    CHALLENGER = "challenger", "Challenger"
    GENERAL = "general", _("General")


class Rubric(TimeStampedModel):
    """What a coach scores a call on. Authored by admins in the Django admin."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")

    def __str__(self) -> str:
        return self.name


class RubricCriterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    methodology = models.CharField(
        _("methodology"), max_length=16, choices=Methodology.choices, default=Methodology.GENERAL
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    scale_min = models.SmallIntegerField(_("lowest score"), default=1)
    scale_max = models.SmallIntegerField(_("highest score"), default=5)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["rubric", "position", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["rubric", "name"], name="coaching_criterion_unique"),
            models.CheckConstraint(
                condition=Q(scale_max__gt=models.F("scale_min")),
                name="coaching_criterion_scale_order",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100), name="coaching_criterion_weight"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CoachingSession(TimeStampedModel):
    # Stable across reschedules: the iCalendar UID is built from it.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coach"),
        on_delete=models.PROTECT,
        related_name="coaching_sessions_given",
        db_index=False,  # (coach, start) index below
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.PROTECT,
        related_name="coaching_sessions_received",
        db_index=False,  # (rep, start) index below
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=SessionKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coaching_sessions",
    )
    location = models.CharField(_("meeting link or place"), max_length=500, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    focus_criteria = models.ManyToManyField(
        RubricCriterion, verbose_name=_("focus skills"), blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    # RFC 5545 SEQUENCE: raised by every change the attendees' calendars must apply.
    sequence = models.PositiveIntegerField(default=0)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Set once by the reminder task (conditional UPDATE); cleared by a reschedule.
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("coaching session")
        verbose_name_plural = _("coaching sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="coaching_session_end_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(coach=models.F("rep")), name="coaching_session_two_people"
            ),
            models.CheckConstraint(
                condition=Q(status=SessionStatus.CANCELLED, cancelled_at__isnull=False)
                | (~Q(status=SessionStatus.CANCELLED) & Q(cancelled_at__isnull=True)),
                name="coaching_session_cancelled_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["coach", "start"], name="coaching_session_coach_start"),
            models.Index(fields=["rep", "start"], name="coaching_session_rep_start"),
            models.Index(fields=["status", "start"], name="coaching_session_status"),
            # The API list's order: its first page reads 51 index entries, not a sort of all.
            models.Index(fields=["start", "id"], name="coaching_session_start_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.coach} / {self.rep} ({self.start:%Y-%m-%d %H:%M})"

    @property
    def ical_uid(self) -> str:
        return f"session-{self.uid}@coachline"

    @property
    def is_active(self) -> bool:
        """Holds its time slot (everything but a cancelled session does)."""
        return self.status != SessionStatus.CANCELLED

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class SessionParticipant(models.Model):
    """One person's hold on a session's time slot.

    Start and end copy the session's (the booking service writes both in one transaction): an
    exclusion constraint can only compare columns of one table, and a person must not overlap
    with any other session where they are the coach *or* the rep.
    """

    session = models.ForeignKey(
        CoachingSession, on_delete=models.CASCADE, related_name="participants"
    )
    # Indexed by (user, start) below and by the exclusion constraint's GiST index.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], name="coaching_participant_once_per_session"
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="coaching_participant_end_after_start"
            ),
            PostgresExclusionConstraint(
                name="coaching_participant_no_overlap",
                expressions=[
                    ("user", RangeOperators.EQUAL),
                    (TsTzRange("start", "end"), RangeOperators.OVERLAPS),
                ],
                condition=Q(is_active=True),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "start"], name="coaching_part_user_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.session_id}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AvailabilityWindow(models.Model):
    """Weekly hours a coach takes sessions, as wall-clock times in the coach's own time zone."""

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_windows"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        ordering = ["coach", "weekday", "start_time"]
        verbose_name = _("availability window")
        verbose_name_plural = _("availability windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="coaching_availability_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="coaching_availability_weekday"
            ),
            models.UniqueConstraint(
                fields=["coach", "weekday", "start_time"], name="coaching_availability_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class CalendarFeed(models.Model):
    """A private ICS feed address. Only a hash of its token is stored; the address is shown once.

    Revoking sets revoked_at; rotating revokes and creates a new one. A person has at most one
    live feed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="coaching_one_live_feed_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.token_prefix}…"


class Scorecard(ScoredOnRubric):
    session = models.OneToOneField(
        CoachingSession, on_delete=models.CASCADE, related_name="scorecard"
    )
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="scorecards")
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [overall_within_0_to_100("coaching_scorecard_overall")]

    def __str__(self) -> str:
        return f"{self.rubric} · {self.session_id}"


class CriterionScore(RubricCriterionScore):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="scores")
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta(RubricCriterionScore.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "criterion"], name="coaching_score_once_per_criterion"
            ),
        ]


class PostMortem(TimeStampedModel):
    session = models.OneToOneField(
        CoachingSession, on_delete=models.CASCADE, related_name="post_mortem"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    went_well = models.TextField(_("what went well"))
    to_improve = models.TextField(_("what to improve"))
    # The draft story lesson made from this post-mortem (training knows nothing of coaching, so
    # the link lives here).
    story_lesson = models.OneToOneField(
        "training.Lesson", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("post-mortem")
        verbose_name_plural = _("post-mortems")

    def __str__(self) -> str:
        return f"{_('Post-mortem')} · {self.session_id}"


class CommitmentMetric(models.TextChoices):
    """Measured on the rep's deals between the commitment and its check date (see
    coaching.services.metrics for the exact definitions)."""

    ECONOMIC_BUYER_SHARE = "economic_buyer_share", _("Share of new deals with economic buyer")
    COMPELLING_DEADLINE_SHARE = (
        "compelling_deadline_share",
        _("Share of new deals with a compelling deadline"),
    )
    SLIP_RATE = "slip_rate", _("Slip rate")
    WIN_RATE = "win_rate", _("Win rate")


# Metrics where a lower value is better: met means measured <= target.
LOWER_IS_BETTER = frozenset({CommitmentMetric.SLIP_RATE})


class CommitmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    # No deals in the window to measure: neither met nor missed, and said so.
    NO_DATA = "no_data", _("No deals to measure")


class Commitment(TimeStampedModel):
    post_mortem = models.ForeignKey(
        PostMortem, on_delete=models.CASCADE, related_name="commitments"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coaching_commitments"
    )
    description = models.CharField(_("what the rep will do"), max_length=500, blank=True)
    metric = models.CharField(_("metric"), max_length=32, choices=CommitmentMetric.choices)
    # A percentage, 0-100.
    target = models.DecimalField(
        _("target (%)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    window_start = models.DateField(_("measured from"))
    check_date = models.DateField(_("check date"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.PENDING,
    )
    measured_value = models.DecimalField(
        _("measured (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    deals_measured = models.PositiveIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["check_date", "pk"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gte=0, target__lte=100), name="coaching_commitment_target"
            ),
            models.CheckConstraint(
                condition=Q(check_date__gt=models.F("window_start")),
                name="coaching_commitment_window",
            ),
            models.CheckConstraint(
                condition=Q(status=CommitmentStatus.PENDING, checked_at__isnull=True)
                | (~Q(status=CommitmentStatus.PENDING) & Q(checked_at__isnull=False)),
                name="coaching_commitment_checked_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "check_date"], name="coaching_commitment_due"),
        ]

    def __str__(self) -> str:
        sign = "≤" if self.lower_is_better else "≥"
        return f"{self.get_metric_display()} {sign} {self.target}%"

    @property
    def lower_is_better(self) -> bool:
        return self.metric in LOWER_IS_BETTER


class ActionItem(TimeStampedModel):
    session = models.ForeignKey(
        CoachingSession, on_delete=models.CASCADE, related_name="action_items"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="coaching_action_items",
    )
    description = models.CharField(_("action"), max_length=500)
    due_date = models.DateField(_("due date"))
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [
            models.Index(fields=["owner", "completed_at", "due_date"], name="coaching_action_open"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None
