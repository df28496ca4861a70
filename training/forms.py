"""Forms parse and label input; the services validate and write."""

import datetime as dt
from typing import Any, cast

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from training.models import Course, Lesson, LessonKind, Program, QuestionKind
from training.services import MAX_CHOICES_IN_FORM, ChoiceInput


class TagsField(forms.CharField):
    """Tags typed as "MEDDIC, Qualification"; the service trims and de-duplicates them."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [t.strip() for t in text.split(",") if t.strip()]


class CourseForm(forms.ModelForm[Course]):
    tags = TagsField(
        label=_("Methodology tags"),
        required=False,
        help_text=_("Comma-separated, e.g. MEDDIC, SPIN, Challenger or your own."),
    )

    class Meta:
        model = Course
        fields = ["slug", "title", "summary", "tags", "estimated_minutes", "status"]
        help_texts = {"slug": _("Used in links and by integrations; it cannot change later.")}
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["slug"]


class ProgramForm(forms.ModelForm[Program]):
    class Meta:
        model = Program
        fields = [
            "slug",
            "title",
            "summary",
            "status",
            "content_cost",
            "cost_per_seat",
            "expected_learner_hours",
            "primary_metric",
            "horizon_months",
            "plausible_effect_pct",
            "anticipation_months",
            "is_evaluation",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}

    # What the program costs: only whoever may edit costs changes these (accounts.access).
    COST_FIELDS = ("content_cost", "cost_per_seat", "expected_learner_hours")

    def __init__(self, *args: Any, may_edit_costs: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["slug"]
        if not may_edit_costs:
            # Shown, not editable: a disabled field keeps its current value whatever is posted.
            for name in self.COST_FIELDS:
                self.fields[name].disabled = True
        # Most programs have no anticipation window: an empty field means none.
        self.fields["anticipation_months"].required = False

    def clean_anticipation_months(self) -> int:
        return int(self.cleaned_data.get("anticipation_months") or 0)


_LESSON_FIELDS: dict[str, list[str]] = {
    LessonKind.METHOD: ["title", "minutes", "status", "body"],
    LessonKind.STORY: [
        "title",
        "minutes",
        "status",
        "story_outcome",
        "story_industry",
        "story_deal_size",
        "story_cycle_days",
        "body",
        "story_what_happened",
        "story_what_we_learned",
    ],
    LessonKind.VIDEO: ["title", "minutes", "status", "video_url", "body"],
    LessonKind.QUIZ: ["title", "minutes", "status", "pass_mark_pct", "max_attempts", "body"],
    LessonKind.SCORM: ["title", "minutes", "status", "body"],
    LessonKind.PRACTICE: ["title", "minutes", "status", "body"],
}
_BODY_LABELS: dict[str, Any] = {
    LessonKind.METHOD: _("Lesson (Markdown)"),
    LessonKind.STORY: _("Context (Markdown, optional)"),
    LessonKind.VIDEO: _("Notes under the video (Markdown, optional)"),
    LessonKind.QUIZ: _("Introduction (Markdown, optional)"),
    LessonKind.SCORM: _("Introduction (Markdown, optional)"),
    LessonKind.PRACTICE: _("Introduction (Markdown, optional)"),
}
_MARKDOWN_FIELDS = ("body", "story_what_happened", "story_what_we_learned")


def _formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"  # a pasted "youtu.be/..." means https
    return field.formfield(**kwargs)


def lesson_form_class(kind: str) -> type[forms.ModelForm[Lesson]]:
    """A form with the fields that mean something for this kind of lesson."""

    class LessonForm(forms.ModelForm[Lesson]):
        class Meta:
            model = Lesson
            fields = _LESSON_FIELDS[kind]
            formfield_callback = _formfield

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            body = self.fields["body"]
            body.label = _BODY_LABELS[kind]
            body.required = kind == LessonKind.METHOD
            for name in _MARKDOWN_FIELDS:
                if name in self.fields:
                    self.fields[name].widget.attrs.update({"rows": 12, "data-markdown": "1"})
            if "story_outcome" in self.fields:
                self.fields["story_outcome"].required = True
            if "video_url" in self.fields:
                self.fields["video_url"].required = True
                self.fields["video_url"].help_text = _("A link to YouTube, Vimeo, Loom or Wistia.")

    return LessonForm


class ScormUploadForm(forms.Form):
    package = forms.FileField(
        label=_("SCORM package (zip)"),
        help_text=_("SCORM 1.2 or 2004, as exported by Articulate, Lectora, iSpring and others."),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )


class QuestionForm(forms.Form):
    prompt = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=QuestionKind.choices, initial=QuestionKind.SINGLE
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown after the quiz: why the right answers are right."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_CHOICES_IN_FORM + 1):
            self.fields[f"choice_{n}"] = forms.CharField(
                label=_("Answer %(n)d") % {"n": n}, required=False, max_length=500
            )
            self.fields[f"correct_{n}"] = forms.BooleanField(
                label=_("Answer %(n)d is correct") % {"n": n}, required=False
            )

    def choice_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"choice_{n}"], self[f"correct_{n}"]) for n in range(1, MAX_CHOICES_IN_FORM + 1)
        ]

    def choices(self) -> list[ChoiceInput]:
        return [
            ChoiceInput(self.cleaned_data[f"choice_{n}"], self.cleaned_data[f"correct_{n}"])
            for n in range(1, MAX_CHOICES_IN_FORM + 1)
        ]

    @staticmethod
    def initial_for(question: Any) -> dict[str, Any]:
        initial = {
            "prompt": question.prompt,
            "kind": question.kind,
            "explanation": question.explanation,
        }
        for n, choice in enumerate(question.choices.all(), start=1):
            initial[f"choice_{n}"] = choice.text
            initial[f"correct_{n}"] = choice.is_correct
        return initial


class AssignForm(forms.Form):
    target = forms.ChoiceField(label=_("Program or course"))
    team = forms.ChoiceField(label=_("A whole team"), required=False)
    people = forms.MultipleChoiceField(
        label=_("Or chosen people"), required=False, widget=forms.CheckboxSelectMultiple
    )
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self,
        *args: Any,
        programs: list[Program],
        courses: list[Course],
        teams: list[Team],
        people: list[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["target"]).choices = [
            (_("Programs"), [(f"program:{p.slug}", p.title) for p in programs]),
            (_("Courses"), [(f"course:{c.slug}", c.title) for c in courses]),
        ]
        cast(forms.ChoiceField, self.fields["team"]).choices = [("", _("— no team —"))] + [
            (str(t.pk), t.name) for t in teams
        ]
        cast(forms.ChoiceField, self.fields["people"]).choices = [
            (str(u.pk), f"{u.full_name} · {u.team.name}" if u.team else u.full_name) for u in people
        ]
        self.fields["due_date"].initial = timezone.localdate() + dt.timedelta(days=14)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("team") and not data.get("people"):
            raise forms.ValidationError(_("Choose a team or at least one person."))
        return data


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProgramCourseAddForm(forms.Form):
    course = forms.ChoiceField(label=_("Add a course"))

    def __init__(self, *args: Any, courses: list[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["course"]).choices = [
            (c.slug, c.title) for c in courses
        ]


class LtiPlatformForm(forms.Form):
    """A platform registration as the admin copies it from Moodle's or Canvas's tool page."""

    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("E.g. Moodle (HR)."))
    issuer = forms.URLField(
        label=_("Issuer (platform ID)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Moodle: the site URL. Canvas: https://canvas.instructure.com."),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    auth_login_url = forms.URLField(
        label=_("Authentication request URL"), max_length=500, assume_scheme="https"
    )
    auth_token_url = forms.URLField(
        label=_("Access token URL"), max_length=500, assume_scheme="https"
    )
    auth_audience = forms.CharField(
        label=_("Token audience"),
        max_length=500,
        required=False,
        help_text=_("Only if the platform names one; empty: the access token URL."),
    )
    key_set_url = forms.URLField(
        label=_("Public keyset URL"), max_length=500, required=False, assume_scheme="https"
    )
    public_key = forms.CharField(
        label=_("Or the platform's public key"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A PEM public key or a JSON key set, if there is no keyset URL."),
    )
    deployment_ids = forms.CharField(
        label=_("Deployment IDs"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line; a launch from any other deployment is refused."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
