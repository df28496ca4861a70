import datetime as dt
from collections.abc import Iterator

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import CrmSource, Scope, Team, User
from accounts.roles import Role
from accounts.sso import domains_parse, password_sign_in_allowed
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


class SsoAwarePasswordResetForm(PasswordResetForm):
    """Django's reset form, but with "SSO required" no link goes to anyone who may not sign in
    with a password (the page answers the same whoever asked, so it tells nobody who exists)."""

    def get_users(self, email: str) -> Iterator[User]:
        return (user for user in super().get_users(email) if password_sign_in_allowed(user=user))


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
    "accounts.team": _("Team"),
    "accounts.crmidentity": _("CRM owner id"),
    "accounts.singlesignon": _("Single sign-on settings"),
    "training.program": _("Program (costs, plan)"),
    "training.assignment": _("Assignment"),
    "roi.roisettings": _("ROI settings"),
    "roi.programcosting": _("Program costing"),
    "core.organization": _("Organisation"),
    "integrations.crmconnection": _("CRM connection"),
    "practice.practiceattempt": _("Practice recording"),
    "practice.practicesettings": _("Practice settings"),
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
        choices=[
            ("", _("Any")),
            (0, _("Created")),
            (1, _("Changed")),
            (2, _("Deleted")),
            (3, _("Viewed")),
        ],
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


class SsoSettingsForm(forms.Form):
    oidc_enabled = forms.BooleanField(label=_("Sign in with OpenID Connect"), required=False)
    provider_name = forms.CharField(
        label=_("Provider name"),
        max_length=60,
        required=False,
        help_text=_("Shown on the login button, e.g. Okta, Microsoft or Google."),
    )
    oidc_issuer = forms.URLField(
        label=_("Issuer URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_(
            "The provider's discovery document is read from "
            "<issuer>/.well-known/openid-configuration."
        ),
    )
    oidc_client_id = forms.CharField(label=_("Client ID"), max_length=255, required=False)
    oidc_client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave empty to keep the stored secret."),
    )
    allowed_domains = forms.CharField(
        label=_("Allowed email domains"),
        required=False,
        max_length=2000,
        help_text=_("Comma-separated, e.g. example.com, example.de. Empty: any domain."),
    )
    groups_claim = forms.CharField(
        label=_("Groups claim"),
        max_length=100,
        required=False,
        help_text=_(
            "The ID token claim (OpenID Connect) or the attribute (SAML) that lists the "
            "person's groups, often “groups”."
        ),
    )
    group_mapping = forms.CharField(
        label=_("Groups to roles and teams"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One line per group: “group | role | team” (team optional), e.g. “Sales EMEA | rep "
            "| EMEA”. The first line whose group the person is in sets their role and team at "
            "each sign-in."
        ),
    )
    saml_enabled = forms.BooleanField(label=_("Sign in with SAML"), required=False)
    saml_idp_metadata_url = forms.URLField(
        label=_("IdP metadata URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Read again at each save. Or paste the metadata below instead."),
    )
    saml_idp_metadata_xml = forms.CharField(
        label=_("IdP metadata XML"),
        required=False,
        max_length=2_000_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The identity provider's SAML metadata (federation metadata) document."),
    )
    saml_idp_entity_id = forms.CharField(
        label=_("IdP entity ID"),
        max_length=500,
        required=False,
        help_text=_("Only needed when the metadata describes several identity providers."),
    )
    jit_enabled = forms.BooleanField(
        label=_("Create people at their first sign-in"),
        required=False,
        help_text=_("Off: only people already in Coachline (invited or provisioned) may sign in."),
    )
    sso_required = forms.BooleanField(
        label=_("Single sign-on required"),
        required=False,
        help_text=_("Password login is off for everyone but the break-glass admin."),
    )
    break_glass_user = forms.ModelChoiceField(
        label=_("Break-glass admin"),
        required=False,
        queryset=User.objects.filter(is_active=True, role=Role.ADMIN),
        help_text=_(
            "The one admin who may still sign in with a password, e.g. when the provider is down."
        ),
    )

    def clean_allowed_domains(self) -> list[str]:
        try:
            return domains_parse(self.cleaned_data.get("allowed_domains", ""))
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=120)
    manager = forms.ModelChoiceField(
        label=_("Manager"),
        required=False,
        queryset=User.objects.filter(
            is_active=True, role__in=[Role.MANAGER, Role.LEADER, Role.ADMIN]
        ),
        empty_label=_("No manager"),
    )


class CrmIdentityForm(forms.Form):
    source = forms.ChoiceField(label=_("CRM"), choices=CrmSource.choices)
    owner_id = forms.CharField(label=_("Owner id in that CRM"), max_length=128)
