import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, Scope, Team, User
from core.validation import InputInvalid, date_checked


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        # Same message whether or not the email exists.
        "invalid_login": _("That email and password do not match. Check both and try again."),
        "inactive": _("That email and password do not match. Check both and try again."),
    }


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["full_name", "language", "time_zone"]


AUDITED = {
    "accounts.user": _("Person (role, team)"),
    "accounts.apikey": _("API key"),
    "training.program": _("Program (costs, plan)"),
    "training.assignment": _("Assignment"),
    "roi.roisettings": _("ROI settings"),
    "roi.programcosting": _("Program costing"),
    "core.organization": _("Organisation"),
    "integrations.crmconnection": _("CRM connection"),
}


class AuditLogFilterForm(forms.Form):
    what = forms.ChoiceField(
        label=_("What"), required=False, choices=[("", _("Anything"))] + list(AUDITED.items())
    )
    action = forms.TypedChoiceField(
        label=_("Change"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), (0, _("Created")), (1, _("Changed")), (2, _("Deleted"))],
    )
    actor = forms.CharField(label=_("Who (email)"), required=False, max_length=254)
    since = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("Until"), required=False)


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or email"), required=False, max_length=120)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any"))] + list(Role.choices)
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("Any")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), ("active", _("Active")), ("inactive", _("Deactivated"))],
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.REP)
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("No team")
    )


def _people_who_coach() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, role__in=[Role.COACH, Role.MANAGER, Role.LEADER, Role.ADMIN]
    )


class PersonForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.all(), empty_label=_("No team")
    )
    manager = forms.ModelChoiceField(
        label=_("Manager"),
        required=False,
        queryset=User.objects.filter(is_active=True),
        empty_label=_("No manager"),
    )
    coaches = forms.ModelMultipleChoiceField(
        label=_("Coaches"),
        required=False,
        queryset=_people_who_coach(),
        widget=forms.CheckboxSelectMultiple,
    )
    hire_date = forms.DateField(
        label=_("Hire date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_hire_date(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("hire_date")
        if value is not None:
            try:
                date_checked(value)
            except InputInvalid as exc:
                raise forms.ValidationError(exc.reason) from None
        return value


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expiry_date = forms.DateField(
        label=_("Expires on"),
        required=False,
        help_text=_("Leave empty for a key that does not expire."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    requests_per_hour = forms.IntegerField(
        label=_("Requests per hour"), min_value=1, max_value=1_000_000, initial=10_000
    )

    def clean_expiry_date(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("expiry_date")
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."))
        if value is not None:
            try:
                date_checked(value)
            except InputInvalid as exc:
                raise forms.ValidationError(exc.reason) from None
        return value
