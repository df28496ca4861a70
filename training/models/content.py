"""What a course is made of: lessons (text, video, stories, SCORM), quiz questions and choices,
imported SCORM packages."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from training.models.catalog import Course, PublishStatus


class LessonKind(models.TextChoices):
    METHOD = "method", _("Method")
    STORY = "story", _("Story")
    VIDEO = "video", _("Video")
    QUIZ = "quiz", _("Quiz")
    SCORM = "scorm", _("SCORM module")
    # A recorded role-play: its scenario, rubric and recordings live in the practice app.
    PRACTICE = "practice", _("Practice")


class StoryOutcome(models.TextChoices):
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class ScormVersion(models.TextChoices):
    SCORM_12 = "1.2", _("SCORM 1.2")
    SCORM_2004 = "2004", _("SCORM 2004")


class ScormPackage(TimeStampedModel):
    """An imported SCORM zip: its files live in the default storage under `scorm/<key>/`; each
    launchable item of its manifest became a lesson of kind `scorm` pointing here."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="scorm_packages")
    # The storage folder; random so that a re-import never overwrites files in use.
    key = models.UUIDField(_("storage key"), default=uuid.uuid4, unique=True, editable=False)
    version = models.CharField(_("SCORM version"), max_length=4, choices=ScormVersion.choices)
    title = models.CharField(_("title"), max_length=200)
    manifest_identifier = models.CharField(_("manifest identifier"), max_length=200, blank=True)
    file_count = models.PositiveIntegerField(_("files"))
    size_bytes = models.PositiveBigIntegerField(_("unpacked size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("SCORM package")
        verbose_name_plural = _("SCORM packages")
        constraints = [
            models.CheckConstraint(
                condition=Q(version__in=ScormVersion.values), name="training_scorm_version_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def storage_name(self, path: str) -> str:
        return f"scorm/{self.key}/{path}"


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

    scorm_package = models.ForeignKey(
        ScormPackage, null=True, blank=True, on_delete=models.RESTRICT, related_name="lessons"
    )
    # The item's launch file inside the package, with the manifest's parameters ("a/b.html?x=1").
    scorm_launch = models.CharField(_("launch file"), max_length=1000, blank=True)
    # The manifest item's identifier, reported to the SCO as cmi.core.lesson_id / cmi.launch_data.
    scorm_item = models.CharField(_("manifest item"), max_length=200, blank=True)

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
            # A SCORM lesson launches a file of a package; no other kind has one.
            models.CheckConstraint(
                condition=(Q(kind="scorm") & Q(scorm_package__isnull=False) & ~Q(scorm_launch=""))
                | (~Q(kind="scorm") & Q(scorm_package__isnull=True) & Q(scorm_launch="")),
                name="training_lesson_scorm_launch",
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

    @property
    def is_scorm(self) -> bool:
        return self.kind == LessonKind.SCORM

    @property
    def is_practice(self) -> bool:
        return self.kind == LessonKind.PRACTICE


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
