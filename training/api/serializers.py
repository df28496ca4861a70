from decimal import Decimal
from typing import Any, Final

from rest_framework import serializers

from core.api.row_docs import row_doc_serializer
from training.models import (
    Course,
    Lesson,
    LessonKind,
    PrimaryMetric,
    Program,
    PublishStatus,
)
from training.rendering import markdown_to_html, video_embed_parse
from training.selectors import AssignmentState
from training.services.completions_import import COMPLETION

# Output


class CourseOutputSerializer(serializers.ModelSerializer[Course]):
    lesson_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = [
            "slug",
            "title",
            "summary",
            "tags",
            "estimated_minutes",
            "status",
            "lesson_count",
            "updated_at",
        ]


class ProgramOutputSerializer(serializers.ModelSerializer[Program]):
    """Costs and the measurement plan only go to editors, leaders and keys (context
    "with_costs"); learners see the curriculum."""

    courses = serializers.SerializerMethodField()

    PLAN_FIELDS = (
        "content_cost",
        "cost_per_seat",
        "expected_learner_hours",
        "primary_metric",
        "horizon_months",
        "plausible_effect_pct",
        "anticipation_months",
        "is_evaluation",
    )

    class Meta:
        model = Program
        fields = [
            "slug",
            "title",
            "summary",
            "status",
            "courses",
            "content_cost",
            "cost_per_seat",
            "expected_learner_hours",
            "primary_metric",
            "horizon_months",
            "plausible_effect_pct",
            "anticipation_months",
            "is_evaluation",
            "updated_at",
        ]

    def get_courses(self, program: Program) -> list[str]:
        return [link.course.slug for link in program.program_courses.all()]

    def to_representation(self, instance: Program) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("with_costs"):
            for name in self.PLAN_FIELDS:
                data.pop(name, None)
        return data


class QuizChoiceOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    text = serializers.CharField()


class QuizQuestionOutputSerializer(serializers.Serializer[Any]):
    """Never says which answers are right: grading happens on the server."""

    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    prompt = serializers.CharField()
    choices = QuizChoiceOutputSerializer(many=True, source="choices.all")


class LessonOutputSerializer(serializers.ModelSerializer[Lesson]):
    body_html = serializers.SerializerMethodField()
    story = serializers.SerializerMethodField()
    video = serializers.SerializerMethodField()
    quiz = serializers.SerializerMethodField()

    class Meta:
        model = Lesson
        fields = [
            "slug",
            "position",
            "kind",
            "title",
            "minutes",
            "status",
            "body",
            "body_html",
            "story",
            "video",
            "quiz",
        ]

    def get_body_html(self, lesson: Lesson) -> str:
        return markdown_to_html(lesson.body)

    def get_story(self, lesson: Lesson) -> dict[str, Any] | None:
        if lesson.kind != LessonKind.STORY:
            return None
        return {
            "outcome": lesson.story_outcome,
            "industry": lesson.story_industry,
            "deal_size": None if lesson.story_deal_size is None else str(lesson.story_deal_size),
            "cycle_days": lesson.story_cycle_days,
            "what_happened": lesson.story_what_happened,
            "what_we_learned": lesson.story_what_we_learned,
        }

    def get_video(self, lesson: Lesson) -> dict[str, Any] | None:
        embed = video_embed_parse(lesson.video_url) if lesson.kind == LessonKind.VIDEO else None
        if embed is None:
            return None
        return {"url": lesson.video_url, "provider": embed.provider, "embed_url": embed.src}

    def get_quiz(self, lesson: Lesson) -> dict[str, Any] | None:
        if lesson.kind != LessonKind.QUIZ:
            return None
        return {
            "pass_mark_pct": lesson.pass_mark_pct,
            "max_attempts": lesson.max_attempts,
            "questions": QuizQuestionOutputSerializer(lesson.questions.all(), many=True).data,
        }


class LearnerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    email = serializers.EmailField()
    full_name = serializers.CharField()


class AssignmentOutputSerializer(serializers.Serializer[Any]):
    """Reads the assignment's state from context["states"] (selectors.assignment_states)."""

    id = serializers.IntegerField(source="pk")
    assignee = LearnerSerializer()
    program = serializers.CharField(
        source="program.slug", default=None, allow_null=True, help_text="slug; null for a course"
    )
    course = serializers.CharField(
        source="course.slug", default=None, allow_null=True, help_text="slug; null for a program"
    )
    title = serializers.CharField(source="target_title")
    due_date = serializers.DateField()
    status = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()
    completed_at = serializers.SerializerMethodField()

    def _state(self, assignment: Any) -> AssignmentState:
        return self.context["states"][assignment.pk]

    def get_status(self, assignment: Any) -> str:
        return self._state(assignment).status

    def get_percent(self, assignment: Any) -> int:
        return self._state(assignment).percent

    def get_completed_at(self, assignment: Any) -> str | None:
        when = self._state(assignment).completed_at
        return None if when is None else when.isoformat()


class CourseProgressSerializer(serializers.Serializer[Any]):
    course = serializers.CharField(source="course.slug")
    title = serializers.CharField(source="course.title")
    lessons = serializers.IntegerField(source="lesson_count")
    lessons_done = serializers.SerializerMethodField()
    percent = serializers.IntegerField()
    status = serializers.CharField()
    completed_at = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()

    def get_lessons_done(self, card: Any) -> int:
        return card.lesson_count if card.completion else min(card.done_count, card.lesson_count)

    def get_completed_at(self, card: Any) -> str | None:
        return card.completion.completed_at.isoformat() if card.completion else None

    def get_score(self, card: Any) -> str | None:
        if card.completion is None or card.completion.score is None:
            return None
        return str(card.completion.score)


# Input


class CourseInputSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(max_length=80)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    estimated_minutes = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    status = serializers.ChoiceField(choices=PublishStatus.choices, required=False)


class CourseUpdateSerializer(CourseInputSerializer):
    slug = None  # type: ignore[assignment]
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)


class ProgramInputSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField(max_length=80)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=PublishStatus.choices, required=False)
    courses = serializers.ListField(child=serializers.SlugField(), required=False)
    content_cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False
    )
    cost_per_seat = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False
    )
    expected_learner_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal(0), required=False
    )
    primary_metric = serializers.ChoiceField(choices=PrimaryMetric.choices, required=False)
    horizon_months = serializers.IntegerField(min_value=1, max_value=60, required=False)
    plausible_effect_pct = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True
    )
    anticipation_months = serializers.IntegerField(min_value=0, max_value=12, required=False)
    is_evaluation = serializers.BooleanField(required=False)


class ProgramUpdateSerializer(ProgramInputSerializer):
    slug = None  # type: ignore[assignment]
    title = serializers.CharField(max_length=200, required=False)


class AssignmentInputSerializer(serializers.Serializer[Any]):
    program = serializers.SlugField(required=False)
    course = serializers.SlugField(required=False)
    assignees = serializers.ListField(child=serializers.EmailField(), required=False)
    team = serializers.CharField(required=False)
    due_date = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("program")) == bool(attrs.get("course")):
            raise serializers.ValidationError({"program": ["Give a program or a course slug."]})
        if not attrs.get("assignees") and not attrs.get("team"):
            raise serializers.ValidationError({"assignees": ["Give people or a team."]})
        return attrs


class AssignResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class QuizAttemptInputSerializer(serializers.Serializer[Any]):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="{question id: [choice ids]}",
    )


class QuizFeedbackSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField()
    is_correct = serializers.BooleanField()
    correct_choices = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="Shown once the quiz is passed or no attempt is left; null before.",
    )
    explanation = serializers.CharField(allow_null=True)


class QuizAttemptOutputSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    passed = serializers.BooleanField()
    attempted_at = serializers.DateTimeField()
    attempts_left = serializers.IntegerField()
    course_completed = serializers.BooleanField()
    feedback = QuizFeedbackSerializer(many=True)


CompletionRowSerializer: Final = row_doc_serializer(
    "CompletionRowSerializer",
    __name__,
    COMPLETION,
    {
        "email": {"help_text": "the person's email"},
        "course": {"help_text": "the course slug"},
        "completed_at": {"help_text": "ISO date or date-time"},
        "score": {"help_text": "percent, 0 to 100"},
    },
)
