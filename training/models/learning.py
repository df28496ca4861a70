"""The learning facts: quiz attempts, lesson progress, completions and certificates, ratings,
assignments, retakes."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from training.models.catalog import Course, Program
from training.models.content import Lesson


class QuizAttempt(models.Model):
    """One graded submission. `number` is 1, 2, ... per user and quiz; the unique constraint
    makes two racing submissions unable to both take the last allowed attempt."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("passed"))
    # {"<question id>": [<choice id>, ...]} exactly as graded.
    answers = models.JSONField(_("answers"), default=dict)
    attempted_at = models.DateTimeField(_("attempted at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["user", "lesson", "number"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson", "number"], name="training_attempt_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="training_attempt_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson} #{self.number}"


class LessonProgress(models.Model):
    """Where a learner is: when they last opened a lesson and whether they finished it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    last_viewed_at = models.DateTimeField(_("last viewed"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="training_progress_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "-last_viewed_at"], name="training_progress_recent")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson}"


def new_certificate_code() -> str:
    # 128 bits from the OS generator: verification URLs cannot be enumerated.
    return secrets.token_urlsafe(16)


class CompletionSource(models.TextChoices):
    BROWSER = "browser", _("Completed in Coachline")
    IMPORT = "import", _("Imported")


class Completion(TimeStampedModel):
    """A user finished a course: written once per (user, course)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="completions"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField(_("completed at"), db_index=True)
    score = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(
        _("source"),
        max_length=8,
        choices=CompletionSource.choices,
        default=CompletionSource.BROWSER,
    )
    certificate_code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=new_certificate_code
    )

    class Meta:
        ordering = ["-completed_at", "pk"]
        verbose_name = _("completion")
        verbose_name_plural = _("completions")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="training_completion_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="training_completion_score_range",
            ),
            models.CheckConstraint(
                condition=Q(source__in=CompletionSource.values),
                name="training_completion_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"


class CourseRating(TimeStampedModel):
    """A learner's reaction to a course (Kirkpatrick level 1): 1 to 5 stars and a comment."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_ratings"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="ratings")
    stars = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("course rating")
        verbose_name_plural = _("course ratings")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="training_rating_unique"),
            models.CheckConstraint(
                condition=Q(stars__gte=1) & Q(stars__lte=5), name="training_rating_stars_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}: {self.stars}"


class Assignment(TimeStampedModel):
    """A program or a course someone must finish by a date. One row per person, also when a
    whole team was assigned (`team` then says so)."""

    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_assignments"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Each reminder goes out once: the task claims it with a conditional UPDATE of these fields.
    due_soon_reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(program__isnull=False) & Q(course__isnull=True))
                | (Q(program__isnull=True) & Q(course__isnull=False)),
                name="training_assignment_one_target",
            ),
            models.UniqueConstraint(
                fields=["assignee", "program"],
                condition=Q(program__isnull=False),
                name="training_assignment_program_unique",
            ),
            models.UniqueConstraint(
                fields=["assignee", "course"],
                condition=Q(course__isnull=False),
                name="training_assignment_course_unique",
            ),
        ]
        indexes = [models.Index(fields=["due_date"], name="training_assignment_due")]

    def __str__(self) -> str:
        return f"{self.assignee} · {self.program or self.course}"

    @property
    def target_title(self) -> str:
        target = self.program or self.course
        return target.title if target else ""


class RetakeGrant(models.Model):
    """Extra attempts at a quiz, granted to one learner by their coach, manager or an admin.
    A learner's attempt limit is the quiz's `max_attempts` plus the sum of their grants."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="retake_grants"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="retake_grants")
    extra_attempts = models.PositiveSmallIntegerField(_("extra attempts"), default=1)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        ordering = ["granted_at", "pk"]
        verbose_name = _("retake grant")
        verbose_name_plural = _("retake grants")
        constraints = [
            models.CheckConstraint(
                condition=Q(extra_attempts__gte=1) & Q(extra_attempts__lte=10),
                name="training_retake_grant_range",
            ),
        ]
        indexes = [models.Index(fields=["user", "lesson"], name="training_retake_grant_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson} +{self.extra_attempts}"


class RetakeRequest(models.Model):
    """A learner who used every attempt asks for another. At most one open request per learner
    and quiz (a partial unique constraint, so a double click cannot file two); a grant closes it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="retake_requests"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="retake_requests")
    note = models.CharField(_("note"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    grant = models.ForeignKey(
        RetakeGrant, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("retake request")
        verbose_name_plural = _("retake requests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson"],
                condition=Q(resolved_at__isnull=True),
                name="training_retake_request_open_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson}"


def new_commit_token() -> str:
    # The commit URL carries it: a page elsewhere cannot guess it, so the endpoint needs no
    # CSRF header (scorm-again's last commit may go out as a beacon, which cannot send one).
    return secrets.token_urlsafe(24)


class ScormAttempt(TimeStampedModel):
    """One attempt of a learner at a SCORM lesson: the run-time data the SCO last committed.

    An attempt stays open while the SCO exits with "suspend" (or not at all); a launch after a
    normal exit starts attempt number + 1. `total_seconds` adds up the sessions that ended."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scorm_attempts"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="scorm_attempts")
    number = models.PositiveSmallIntegerField(_("attempt"), default=1)
    commit_token = models.CharField(max_length=40, unique=True, default=new_commit_token)
    # The whole `cmi` object of the last commit, in scorm-again's JSON form, for resuming.
    cmi = models.JSONField(_("run-time data"), default=dict)
    location = models.CharField(_("bookmark"), max_length=1000, blank=True)
    suspend_data = models.TextField(_("suspend data"), blank=True)
    completion_status = models.CharField(_("completion status"), max_length=16, blank=True)
    success_status = models.CharField(_("success status"), max_length=16, blank=True)
    score = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    session_seconds = models.PositiveIntegerField(_("this session (s)"), default=0)
    total_seconds = models.PositiveIntegerField(_("time spent (s)"), default=0)
    exit = models.CharField(_("exit"), max_length=16, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        ordering = ["user", "lesson", "number"]
        verbose_name = _("SCORM attempt")
        verbose_name_plural = _("SCORM attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson", "number"], name="training_scorm_attempt_unique"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="training_scorm_attempt_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson} #{self.number}"
