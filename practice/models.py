"""Practice: a scenario attached to a lesson of kind `practice`, the rep's recorded attempts and
their reviews on a coaching rubric (docs/practice.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coaching.models import Rubric
from coaching.rubric_scored import RubricCriterionScore, ScoredOnRubric, overall_within_0_to_100
from core.models import SingletonModel, TimeStampedModel
from training.models import Lesson


class MediaType(models.TextChoices):
    AUDIO_WEBM = "audio/webm", "audio/webm"
    VIDEO_WEBM = "video/webm", "video/webm"
    VIDEO_MP4 = "video/mp4", "video/mp4"


class PracticeScenario(TimeStampedModel):
    """What the rep practises: the buyer, the situation, what to show (Markdown), scored on a
    coaching rubric. Reviewed by the rep's coaches."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="practice")
    scenario = models.TextField(_("scenario"))
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="+")
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=3)

    class Meta:
        verbose_name = _("practice scenario")
        verbose_name_plural = _("practice scenarios")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="practice_scenario_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.lesson)


class PracticeSettings(SingletonModel):
    """The organisation's practice limits and how long recordings are kept (one row, pk=1;
    edited in the Django admin, audited). The installation's ceiling on a recording's size,
    PRACTICE_MAX_RECORDING_BYTES, bounds the size limit from above."""

    retention_days = models.PositiveIntegerField(_("keep recordings for (days)"), default=180)
    max_recording_mb = models.PositiveIntegerField(_("largest recording (MB)"), default=200)
    max_minutes = models.PositiveSmallIntegerField(_("longest recording (minutes)"), default=30)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("practice settings")
        verbose_name_plural = _("practice settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="practice_settings_singleton"),
            models.CheckConstraint(
                condition=Q(retention_days__gte=1, retention_days__lte=3650),
                name="practice_settings_retention_1_to_3650",
            ),
            models.CheckConstraint(
                condition=Q(max_recording_mb__gte=1), name="practice_settings_size_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_minutes__gte=1, max_minutes__lte=240),
                name="practice_settings_minutes_1_to_240",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Practice settings"))


class AttemptStatus(models.TextChoices):
    UPLOADING = "uploading", _("Uploading")
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")


class PracticeAttempt(TimeStampedModel):
    """One recording of a scenario by a rep. While uploading, its chunks are separate files;
    the last chunk joins them into `recording` and the attempt is submitted."""

    scenario = models.ForeignKey(
        PracticeScenario, on_delete=models.CASCADE, related_name="attempts"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    status = models.CharField(
        _("status"), max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.UPLOADING
    )
    media_type = models.CharField(_("media type"), max_length=16, choices=MediaType.choices)
    # Declared when the upload starts; the joined chunks must add up to it exactly.
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    total_chunks = models.PositiveIntegerField(_("chunks"))
    duration_seconds = models.PositiveIntegerField(_("length (seconds)"), default=0)
    recording = models.FileField(_("recording"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # Set when retention (PracticeSettings.retention_days) deleted the file; the review stays.
    recording_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("practice attempt")
        verbose_name_plural = _("practice attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "rep", "number"], name="practice_attempt_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttemptStatus.values), name="practice_attempt_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(media_type__in=MediaType.values), name="practice_attempt_media_type"
            ),
            models.CheckConstraint(
                condition=Q(total_chunks__gte=1), name="practice_attempt_chunks_positive"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="practice_attempt_age")]

    def __str__(self) -> str:
        return f"{self.scenario} · {self.rep_id} · {self.number}"

    @property
    def is_uploading(self) -> bool:
        return self.status == AttemptStatus.UPLOADING


class PracticeChunk(models.Model):
    """One received chunk of an attempt's upload; the row exists only once its file is stored."""

    attempt = models.ForeignKey(PracticeAttempt, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    path = models.CharField(max_length=300)

    class Meta:
        ordering = ["attempt", "index"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "index"], name="practice_chunk_once"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.index}"


class PracticeReview(ScoredOnRubric):
    """A reviewer's scores of an attempt on the scenario's rubric."""

    attempt = models.OneToOneField(PracticeAttempt, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("practice review")
        verbose_name_plural = _("practice reviews")
        constraints = [overall_within_0_to_100("practice_review_overall")]

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.overall}"


class PracticeScore(RubricCriterionScore):
    review = models.ForeignKey(PracticeReview, on_delete=models.CASCADE, related_name="scores")

    class Meta(RubricCriterionScore.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"], name="practice_score_once_per_criterion"
            ),
        ]


class PracticeComment(TimeStampedModel):
    """A reviewer's remark pinned to a second of the recording ("0:42: ask about the deadline")."""

    attempt = models.ForeignKey(PracticeAttempt, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at_second = models.PositiveIntegerField(_("at second"))
    text = models.CharField(_("comment"), max_length=1000)

    class Meta:
        ordering = ["attempt", "at_second", "pk"]

    def __str__(self) -> str:
        return f"{self.attempt_id}@{self.at_second}"

    @property
    def at_label(self) -> str:
        """The moment as the player shows it: 0:42, 12:05, 1:02:03."""
        hours, rest = divmod(self.at_second, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
