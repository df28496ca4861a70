from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.models import EventType
from integrations.adapters.hubspot import DEFAULT_API_BASE
from integrations.adapters.salesforce import DEFAULT_API_VERSION, DEFAULT_LOGIN_URL, AuthFlow
from integrations.mapping import STATUSES
from integrations.models import MAPPABLE_FIELDS, ConnectionSource

KEEP_HELP = _("Stored encrypted. Leave blank to keep the saved value.")


class SecretInput(forms.PasswordInput):
    """Never renders the stored secret back into the page."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(render_value=False, attrs={"autocomplete": "off"}, **kwargs)


def _activity_history_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Activities: days of history"),
        required=False,
        min_value=0,
        max_value=3650,
        initial=730,
        help_text=_(
            "Pull meetings, calls and emails logged in this many past days, then keep them in "
            "sync. 0 or empty: do not pull activities."
        ),
    )


class HubSpotSettingsForm(forms.Form):
    is_enabled = forms.BooleanField(
        label=_("Sync enabled"),
        required=False,
        help_text=_("Pull changed deals every 10 minutes and accept webhooks."),
    )
    access_token = forms.CharField(
        label=_("Private app access token"),
        required=False,
        widget=SecretInput(),
        help_text=KEEP_HELP,
    )
    client_secret = forms.CharField(
        label=_("App client secret (for webhook signatures)"),
        required=False,
        widget=SecretInput(),
        help_text=KEEP_HELP,
    )
    api_base = forms.URLField(
        label=_("API address"),
        initial=DEFAULT_API_BASE,
        assume_scheme="https",
        help_text=_("Leave as is unless HubSpot support gave you another address."),
    )

    activity_history_days = _activity_history_field()

    secret_fields = ("access_token", "client_secret")
    setting_fields = ("api_base", "activity_history_days")


class SalesforceSettingsForm(forms.Form):
    is_enabled = forms.BooleanField(
        label=_("Sync enabled"),
        required=False,
        help_text=_("Pull changed opportunities every 10 minutes."),
    )
    login_url = forms.URLField(
        label=_("Login address"),
        initial=DEFAULT_LOGIN_URL,
        assume_scheme="https",
        help_text=_(
            "Your My Domain address (required for client credentials), "
            "or https://test.salesforce.com for a sandbox."
        ),
    )
    auth_flow = forms.ChoiceField(
        label=_("Sign-in flow"),
        choices=[
            (AuthFlow.CLIENT_CREDENTIALS, _("Client credentials (consumer key and secret)")),
            (AuthFlow.JWT_BEARER, _("JWT bearer (consumer key, username and certificate key)")),
        ],
        initial=AuthFlow.CLIENT_CREDENTIALS,
        widget=forms.RadioSelect,
    )
    client_id = forms.CharField(label=_("Consumer key"), max_length=255)
    client_secret = forms.CharField(
        label=_("Consumer secret"), required=False, widget=SecretInput(), help_text=KEEP_HELP
    )
    username = forms.CharField(
        label=_("Integration user's username"),
        required=False,
        max_length=255,
        help_text=_("JWT bearer flow only."),
    )
    private_key = forms.CharField(
        label=_("Private key (PEM)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("JWT bearer flow only. Stored encrypted; leave blank to keep the saved key."),
    )
    api_version = forms.RegexField(
        label=_("API version"),
        regex=r"^v\d{2,3}\.\d$",
        initial=DEFAULT_API_VERSION,
        error_messages={"invalid": _("Write it like v61.0.")},
    )
    multi_currency = forms.BooleanField(
        label=_("Multi-currency org"),
        required=False,
        initial=True,
        help_text=_("Read each opportunity's CurrencyIsoCode; otherwise use the home currency."),
    )
    activity_history_days = _activity_history_field()

    secret_fields = ("client_secret", "private_key")
    setting_fields = (
        "login_url",
        "api_version",
        "auth_flow",
        "client_id",
        "username",
        "multi_currency",
        "activity_history_days",
    )


SETTINGS_FORMS: dict[str, type[forms.Form]] = {
    ConnectionSource.HUBSPOT: HubSpotSettingsForm,
    ConnectionSource.SALESFORCE: SalesforceSettingsForm,
}


class StageRowForm(forms.Form):
    # A table row has no room for labels: each input names itself for screen readers.
    stage_id = forms.CharField(
        label=_("Stage id"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"aria-label": _("Stage id"), "spellcheck": "false"}),
    )
    label = forms.CharField(
        label=_("Shown as"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"aria-label": _("Shown as")}),
    )
    status = forms.ChoiceField(
        label=_("Means"),
        choices=[("open", _("Open")), ("won", _("Won")), ("lost", _("Lost"))],
        widget=forms.Select(attrs={"aria-label": _("Means")}),
    )
    order = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        max_value=10_000,
        widget=forms.NumberInput(attrs={"aria-label": _("Order")}),
    )


StageFormSet = forms.formset_factory(StageRowForm, extra=2, can_delete=True)


FIELD_LABELS = {
    "has_compelling_deadline": _("Compelling deadline"),
    "has_economic_buyer": _("Economic buyer identified"),
    "has_champion": _("Champion"),
    "has_decision_process": _("Decision process known"),
    "has_metrics": _("Metrics agreed"),
    "account_name": _("Account name"),
    "loss_reason": _("Loss reason"),
}


# Typical names, shown as placeholders; every org names its custom fields differently.
FIELD_EXAMPLES = {
    ConnectionSource.HUBSPOT: {
        "has_compelling_deadline": "compelling_event_date",
        "has_economic_buyer": "economic_buyer_identified",
        "has_champion": "champion",
        "has_decision_process": "decision_process",
        "has_metrics": "success_metrics",
        "account_name": "company_name",
        "loss_reason": "closed_lost_reason",
    },
    ConnectionSource.SALESFORCE: {
        "has_compelling_deadline": "Compelling_Event__c",
        "has_economic_buyer": "Economic_Buyer__c",
        "has_champion": "Champion__c",
        "has_decision_process": "Decision_Process__c",
        "has_metrics": "Metrics__c",
        "account_name": "Account.Name",
        "loss_reason": "Loss_Reason__c",
    },
}


class FieldMapForm(forms.Form):
    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        examples = FIELD_EXAMPLES.get(ConnectionSource(source), {})
        for name in MAPPABLE_FIELDS:
            example = gettext("e.g. %(name)s") % {"name": examples.get(name, "")}
            attrs = {"placeholder": example, "spellcheck": "false"}
            self.fields[name] = forms.CharField(
                label=FIELD_LABELS[name],
                required=False,
                max_length=255,
                widget=forms.TextInput(attrs=attrs),
            )


def stage_rows_from_map(stage_map: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {
            "stage_id": key,
            "label": v.get("label", ""),
            "status": v.get("status", "open"),
            "order": v.get("order", 0),
        }
        for key, v in stage_map.items()
        if isinstance(v, dict) and v.get("status") in STATUSES
    ]
    return sorted(rows, key=lambda r: (r["order"], r["stage_id"]))


class SubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.CharField(
        label=_("Receiver URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/coachline-events"}),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
