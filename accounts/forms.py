from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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
