"""Forms parse and show input; the services decide. Times are read in the viewer's time zone
(activated per request), availability in the coach's own zone (the coach edits it)."""

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from coaching.models import (
    CommitmentMetric,
    RubricCriterion,
    SessionKind,
    SessionStatus,
    Weekday,
)
from deals.models import Deal, DealStatus

DURATIONS = [
    (15, _("15 minutes")),
    (30, _("30 minutes")),
    (45, _("45 minutes")),
    (60, _("1 hour")),
    (90, _("1 hour 30 minutes")),
    (120, _("2 hours")),
]
HORIZONS = [(7, _("next 7 days")), (14, _("next 14 days")), (28, _("next 4 weeks"))]


def _model_choice(form: forms.Form, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name or obj.email)


class DealChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.account_name} ({obj.stage})"


class FindSlotForm(forms.Form):
    rep = PersonChoiceField(queryset=User.objects.none(), label=_("Rep"))
    duration = forms.TypedChoiceField(label=_("Length"), choices=DURATIONS, coerce=int, initial=60)
    days = forms.TypedChoiceField(label=_("Within"), choices=HORIZONS, coerce=int, initial=14)

    def __init__(self, *args: Any, reps: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "rep").queryset = reps


class BookingForm(forms.Form):
    rep = PersonChoiceField(queryset=User.objects.none(), label=_("Rep"))
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    start = forms.DateTimeField(
        label=_("Starts"),
        widget=DateTimeLocalInput(),
        help_text=_("In your time zone."),
    )
    duration = forms.TypedChoiceField(label=_("Length"), choices=DURATIONS, coerce=int, initial=60)
    location = forms.CharField(label=_("Meeting link or place"), max_length=500, required=False)
    deal = DealChoiceField(
        queryset=Deal.objects.none(),
        label=_("Deal"),
        required=False,
        help_text=_("Optional: the deal this session is about."),
    )
    focus_criteria = forms.ModelMultipleChoiceField(
        queryset=RubricCriterion.objects.none(),
        label=_("Focus skills"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    agenda = forms.CharField(
        label=_("Agenda"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("Left empty, it is filled with the rep's deals at risk."),
    )

    def __init__(
        self,
        *args: Any,
        reps: QuerySet[User],
        criteria: QuerySet[RubricCriterion],
        rep: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _model_choice(self, "rep").queryset = reps
        _model_choice(self, "focus_criteria").queryset = criteria
        if rep is not None:
            _model_choice(self, "deal").queryset = Deal.objects.filter(
                owner=rep, status=DealStatus.OPEN
            ).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        deal, rep = data.get("deal"), data.get("rep")
        if deal is not None and rep is not None and deal.owner_id != rep.pk:
            self.add_error("deal", _("This deal is not the rep's."))
        return data


class RescheduleForm(forms.Form):
    start = forms.DateTimeField(label=_("Starts"), widget=DateTimeLocalInput())
    duration = forms.TypedChoiceField(label=_("Length"), choices=DURATIONS, coerce=int)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Both people receive it with the cancellation."),
    )


class CompleteForm(forms.Form):
    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (SessionStatus.COMPLETED, _("It took place")),
            (SessionStatus.NO_SHOW, _("The rep did not show up")),
        ],
        initial=SessionStatus.COMPLETED,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ScorecardForm(forms.Form):
    """One radio group per criterion of the rubric, plus notes."""

    notes = forms.CharField(
        label=_("Notes for the rep"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, criteria: list[RubricCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"score_{c.pk}"] = forms.TypedChoiceField(
                label=c.name,
                help_text=c.description,
                choices=[(n, str(n)) for n in range(c.scale_min, c.scale_max + 1)],
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "scale"}),
            )
        self.order_fields([*(f"score_{c.pk}" for c in criteria), "notes"])

    def scores(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"score_{c.pk}"] for c in self.criteria}


class PostMortemForm(forms.Form):
    went_well = forms.CharField(label=_("What went well"), widget=forms.Textarea(attrs={"rows": 4}))
    to_improve = forms.CharField(
        label=_("What to improve"), widget=forms.Textarea(attrs={"rows": 4})
    )


class CommitmentForm(forms.Form):
    description = forms.CharField(label=_("What the rep will do"), max_length=500, required=False)
    metric = forms.ChoiceField(label=_("Measured by"), choices=CommitmentMetric.choices)
    target = forms.DecimalField(
        label=_("Target (%)"), min_value=0, max_value=100, decimal_places=1, max_digits=4
    )
    check_date = forms.DateField(
        label=_("Check on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ActionItemForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=500)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = [(p.pk, p.full_name) for p in people]


class AvailabilityForm(forms.Form):
    """Two optional windows per weekday, as wall-clock times in the coach's zone."""

    SLOTS = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            for n in range(self.SLOTS):
                for part, label in (("start", _("from")), ("end", _("until"))):
                    self.fields[f"d{day.value}_{n}_{part}"] = forms.TimeField(
                        label=f"{day.label} {label}",
                        required=False,
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )

    def rows(self) -> list[tuple[str, list[tuple[forms.BoundField, forms.BoundField]]]]:
        return [
            (
                str(day.label),
                [
                    (self[f"d{day.value}_{n}_start"], self[f"d{day.value}_{n}_end"])
                    for n in range(self.SLOTS)
                ],
            )
            for day in Weekday
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day in Weekday:
            for n in range(self.SLOTS):
                start = data.get(f"d{day.value}_{n}_start")
                end = data.get(f"d{day.value}_{n}_end")
                if (start is None) != (end is None):
                    self.add_error(
                        f"d{day.value}_{n}_end" if end is None else f"d{day.value}_{n}_start",
                        _("Give both times, or neither."),
                    )
        return data

    def windows(self) -> list[tuple[int, dt.time, dt.time, str]]:
        """(weekday, start, end, field name for errors) of every filled window."""
        out = []
        for day in Weekday:
            for n in range(self.SLOTS):
                start = self.cleaned_data.get(f"d{day.value}_{n}_start")
                end = self.cleaned_data.get(f"d{day.value}_{n}_end")
                if start is not None and end is not None:
                    out.append((day.value, start, end, f"d{day.value}_{n}_start"))
        return out

    @classmethod
    def initial_from(cls, windows: list[Any]) -> dict[str, dt.time]:
        initial: dict[str, dt.time] = {}
        used: dict[int, int] = {}
        for window in windows:
            n = used.get(window.weekday, 0)
            if n >= cls.SLOTS:
                continue
            used[window.weekday] = n + 1
            initial[f"d{window.weekday}_{n}_start"] = window.start_time
            initial[f"d{window.weekday}_{n}_end"] = window.end_time
        return initial
