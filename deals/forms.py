from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import CrmSource
from deals.services.csv_import import ENCODINGS, FIELDS

FIELD_LABELS = {
    "external_id": _("Deal id in the CRM"),
    "name": _("Deal name"),
    "owner_id": _("Owner id in the CRM"),
    "owner_email": _("Owner email"),
    "account_name": _("Account"),
    "amount": _("Amount"),
    "currency": _("Currency (ISO code)"),
    "stage": _("Stage"),
    "status": _("Status (open, won, lost)"),
    "created_at": _("Created"),
    "expected_close_date": _("Expected close date"),
    "closed_at": _("Closed"),
    "loss_reason": _("Loss reason"),
    "has_compelling_deadline": _("Compelling deadline"),
    "has_economic_buyer": _("Economic buyer reached"),
    "has_champion": _("Champion"),
    "has_decision_process": _("Decision process known"),
    "has_metrics": _("Metrics agreed"),
    "source_updated_at": _("Last modified in the CRM"),
    "source": _("Source (if it varies by row)"),
}


class CsvUploadForm(forms.Form):
    source = forms.CharField(
        label=_("Source"),
        max_length=32,
        initial=CrmSource.CSV,
        validators=[RegexValidator(r"^[A-Za-z0-9_.-]+$", _("Letters, digits, - _ . only."))],
        help_text=_(
            "Where these deals come from, e.g. salesforce or hubspot. Deals are matched by "
            "source and deal id, and owners by their id in this source."
        ),
    )
    file = forms.FileField(label=_("CSV file"))
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODINGS, initial="utf-8")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.DEALS_BULK_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it into smaller files.")
                % {"mb": settings.DEALS_BULK_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class CsvMappingForm(forms.Form):
    """One select per deal field, listing the file's columns."""

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *((h, h) for h in headers if h)]
        for field, required in FIELDS:
            label = FIELD_LABELS[field]
            self.fields[field] = forms.ChoiceField(
                label=f"{label} *" if required else label, choices=choices, required=False
            )

    def mapping(self) -> dict[str, str]:
        return {field: column for field, column in self.cleaned_data.items() if column}


class OwnerMapForm(forms.Form):
    """The unmatched-owners admin page: which person a CRM owner is."""

    source = forms.CharField(widget=forms.HiddenInput)
    owner_external_id = forms.CharField(widget=forms.HiddenInput)
    user = forms.TypedChoiceField(label=_("Person"), coerce=int)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("Choose a person")), *people]  # type: ignore[attr-defined]
