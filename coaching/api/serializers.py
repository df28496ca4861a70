from typing import Any

from rest_framework import serializers

from accounts.models import User
from coaching.invites import session_url
from coaching.models import (
    ActionItem,
    CoachingSession,
    Commitment,
    CommitmentMetric,
    CriterionScore,
    PostMortem,
    Rubric,
    RubricCriterion,
    Scorecard,
    SessionKind,
    SessionStatus,
)


class PersonSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "full_name", "email"]


class SessionOutputSerializer(serializers.ModelSerializer[CoachingSession]):
    coach = PersonSerializer()
    rep = PersonSerializer()
    ical_uid = serializers.CharField()
    focus_criterion_ids = serializers.SerializerMethodField()
    scorecard_overall = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = CoachingSession
        fields = [
            "id",
            "uid",
            "ical_uid",
            "kind",
            "status",
            "start",
            "end",
            "location",
            "agenda",
            "coach",
            "rep",
            "deal_id",
            "focus_criterion_ids",
            "sequence",
            "notes",
            "cancel_reason",
            "cancelled_at",
            "completed_at",
            "scorecard_overall",
            "url",
        ]

    def get_focus_criterion_ids(self, session: CoachingSession) -> list[int]:
        return sorted(c.pk for c in session.focus_criteria.all())

    def get_scorecard_overall(self, session: CoachingSession) -> str | None:
        scorecard = getattr(session, "scorecard", None)
        return str(scorecard.overall) if scorecard is not None else None

    def get_url(self, session: CoachingSession) -> str:
        return session_url(session)


class SessionCreateSerializer(serializers.Serializer[Any]):
    rep_id = serializers.IntegerField()
    coach_id = serializers.IntegerField(
        required=False, help_text="Admins and API keys only; people book as themselves."
    )
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    location = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    agenda = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Omitted or empty: prefilled with the rep's deals at risk.",
    )
    deal_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    focus_criterion_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )


class SessionRescheduleSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class SessionCancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=1000)


SESSION_OUTCOMES = [
    (SessionStatus.COMPLETED.value, SessionStatus.COMPLETED.label),
    (SessionStatus.NO_SHOW.value, SessionStatus.NO_SHOW.label),
]


class SessionCompleteSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=SESSION_OUTCOMES, default=SessionStatus.COMPLETED)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CriterionSerializer(serializers.ModelSerializer[RubricCriterion]):
    class Meta:
        model = RubricCriterion
        fields = ["id", "name", "description", "methodology", "weight", "scale_min", "scale_max"]


class RubricSerializer(serializers.ModelSerializer[Rubric]):
    criteria = CriterionSerializer(many=True)

    class Meta:
        model = Rubric
        fields = ["id", "name", "description", "criteria"]


class ScoreOutputSerializer(serializers.ModelSerializer[CriterionScore]):
    criterion = serializers.CharField(source="criterion.name")

    class Meta:
        model = CriterionScore
        fields = ["criterion_id", "criterion", "score", "comment"]


class ScorecardOutputSerializer(serializers.ModelSerializer[Scorecard]):
    scores = ScoreOutputSerializer(many=True)
    rubric = serializers.CharField(source="rubric.name")

    class Meta:
        model = Scorecard
        fields = ["session_id", "rubric_id", "rubric", "overall", "notes", "scores", "updated_at"]


class ScoreInputSerializer(serializers.Serializer[Any]):
    criterion_id = serializers.IntegerField()
    # Any integer: whether it is inside the criterion's scale is the service's rule (400 with
    # the criterion named).
    score = serializers.IntegerField()
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ScorecardInputSerializer(serializers.Serializer[Any]):
    rubric_id = serializers.IntegerField()
    scores = ScoreInputSerializer(many=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_scores(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [row["criterion_id"] for row in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Each criterion is scored once.")
        return value


class CommitmentInputSerializer(serializers.Serializer[Any]):
    metric = serializers.ChoiceField(choices=CommitmentMetric.choices)
    target = serializers.DecimalField(max_digits=4, decimal_places=1)
    check_date = serializers.DateField()
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )


class ActionItemInputSerializer(serializers.Serializer[Any]):
    owner_id = serializers.IntegerField()
    description = serializers.CharField(max_length=500)
    due_date = serializers.DateField()


class PostMortemInputSerializer(serializers.Serializer[Any]):
    went_well = serializers.CharField()
    to_improve = serializers.CharField()
    commitments = CommitmentInputSerializer(many=True, required=False, default=list)
    action_items = ActionItemInputSerializer(many=True, required=False, default=list)


class CommitmentOutputSerializer(serializers.ModelSerializer[Commitment]):
    session_id = serializers.IntegerField(source="post_mortem.session_id")

    class Meta:
        model = Commitment
        fields = [
            "id",
            "post_mortem_id",
            "session_id",
            "rep_id",
            "description",
            "metric",
            "target",
            "window_start",
            "check_date",
            "status",
            "measured_value",
            "deals_measured",
            "checked_at",
        ]


class ActionItemOutputSerializer(serializers.ModelSerializer[ActionItem]):
    class Meta:
        model = ActionItem
        fields = ["id", "session_id", "owner_id", "description", "due_date", "completed_at"]


class PostMortemOutputSerializer(serializers.ModelSerializer[PostMortem]):
    commitments = CommitmentOutputSerializer(many=True)
    action_items = serializers.SerializerMethodField()

    class Meta:
        model = PostMortem
        fields = [
            "id",
            "session_id",
            "went_well",
            "to_improve",
            "story_lesson_id",
            "commitments",
            "action_items",
            "updated_at",
        ]

    def get_action_items(self, post_mortem: PostMortem) -> list[dict[str, Any]]:
        items = post_mortem.session.action_items.all()
        return list(ActionItemOutputSerializer(items, many=True).data)


class SlotSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class FeedOutputSerializer(serializers.Serializer[Any]):
    url = serializers.URLField()
