"""Training content (programs, courses, lessons, quizzes) and the learning facts around it.

A `Completion` is the fact other apps rely on: the ROI engine treats a user's program completion
(all its courses complete, at the date of the last one) as "trained at".
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
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


class LessonKind(models.TextChoices):
    METHOD = "method", _("Method")
    STORY = "story", _("Story")
    VIDEO = "video", _("Video")
    QUIZ = "quiz", _("Quiz")


class StoryOutcome(models.TextChoices):
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class LessonQuerySet(models.QuerySet["Lesson"]):
    def published(self) -> "LessonQuerySet":
        return self.filter(status=PublishStatus.PUBLISHED)


class Lesson(TimeStampedModel):
    """One step of a course. Kind-specific fields are blank for the other kinds."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    # Stable within the course: the export's file name and the import's match key.
    slug = models.SlugField(_("slug"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=LessonKind.choices)
    title = models.CharField(_("title"), max_length=200)
    # A lesson made from a post-mortem starts as a draft, invisible to learners.
    status = models.CharField(
        _("status"), max_length=16, choices=PublishStatus.choices, default=PublishStatus.PUBLISHED
    )
    minutes = models.PositiveSmallIntegerField(_("minutes"), default=5)
    # Markdown: the method text, a story's context, notes under a video, or a quiz's intro.
    body = models.TextField(_("body"), blank=True)

    story_outcome = models.CharField(
        _("outcome"), max_length=8, choices=StoryOutcome.choices, blank=True
    )
    story_industry = models.CharField(_("industry"), max_length=120, blank=True)
    story_deal_size = models.DecimalField(
        _("deal size"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    story_cycle_days = models.PositiveIntegerField(_("sales cycle (days)"), null=True, blank=True)
    story_what_happened = models.TextField(_("what happened"), blank=True)
    story_what_we_learned = models.TextField(_("what we learned"), blank=True)

    video_url = models.URLField(_("video link"), max_length=500, blank=True)

    pass_mark_pct = models.PositiveSmallIntegerField(_("pass mark (%)"), default=80)
    max_attempts = models.PositiveSmallIntegerField(_("attempt limit"), default=3)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position", "pk"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="training_lesson_slug_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=LessonKind.values), name="training_lesson_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PublishStatus.values), name="training_lesson_status_valid"
            ),
            # A story is a win or a loss; no other kind has an outcome.
            models.CheckConstraint(
                condition=(Q(kind=LessonKind.STORY) & Q(story_outcome__in=StoryOutcome.values))
                | (~Q(kind=LessonKind.STORY) & Q(story_outcome="")),
                name="training_lesson_story_outcome",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark_pct__gte=1) & Q(pass_mark_pct__lte=100),
                name="training_lesson_pass_mark_range",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="training_lesson_attempts_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_quiz(self) -> bool:
        return self.kind == LessonKind.QUIZ


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")


class Question(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(
        _("kind"), max_length=8, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    prompt = models.TextField(_("question"))
    # Shown after submission, whatever the answer: why the right choices are right.
    explanation = models.TextField(_("explanation"), blank=True)

    class Meta:
        ordering = ["lesson", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="training_question_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.prompt[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("text"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        ordering = ["question", "position", "pk"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self) -> str:
        return self.text


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
