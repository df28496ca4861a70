from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tools.models import Tool, ToolCategory, ToolPricing

SEATS_HELP = _(
    "One seat a line: an email (a person) or a team name, the first day, and optionally the "
    "last day, separated by commas. E.g. ana@example.com, 2025-01-01 or SDR, 2025-01-01, "
    "2025-12-31."
)


class ToolForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    category = forms.ChoiceField(label=_("Category"), choices=ToolCategory.choices)
    pricing = forms.ChoiceField(label=_("Pricing"), choices=ToolPricing.choices)
    # Checked again (and bounded) by the shared row rules in tools.services.
    monthly_cost = forms.CharField(label=_("Cost per month"), max_length=20)
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("ISO 4217, e.g. USD"))
    starts_on = forms.CharField(label=_("Paid from"), help_text=_("YYYY-MM-DD"))
    ends_on = forms.CharField(
        label=_("Paid until"), required=False, help_text=_("YYYY-MM-DD; empty: still paid")
    )
    seats = forms.CharField(
        label=_("Seats"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=SEATS_HELP,
    )

    def row(self) -> dict[str, Any]:
        """The form as a bulk row (tools.services.tools_upsert checks it)."""
        data = self.cleaned_data
        seats = []
        for line in str(data.get("seats") or "").splitlines():
            parts = [p.strip() for p in line.split(",")]
            if not any(parts):
                continue
            holder = parts[0]
            seat: dict[str, Any] = {"email": holder} if "@" in holder else {"team": holder}
            seat["starts_on"] = parts[1] if len(parts) > 1 else None
            seat["ends_on"] = (parts[2] or None) if len(parts) > 2 else None
            seats.append(seat)
        return {
            "name": data["name"],
            "category": data["category"],
            "pricing": data["pricing"],
            "monthly_cost": data["monthly_cost"],
            "currency": data["currency"],
            "starts_on": data["starts_on"],
            "ends_on": data.get("ends_on") or None,
            "seats": seats,
        }


def tool_form_initial(tool: Tool) -> dict[str, Any]:
    lines = []
    for seat in tool.seats.all():
        holder = seat.user.email if seat.user else seat.team.name if seat.team else ""
        end = f", {seat.ends_on.isoformat()}" if seat.ends_on else ""
        lines.append(f"{holder}, {seat.starts_on.isoformat()}{end}")
    return {
        "name": tool.name,
        "category": tool.category,
        "pricing": tool.pricing,
        "monthly_cost": str(tool.monthly_cost),
        "currency": tool.currency,
        "starts_on": tool.starts_on.isoformat(),
        "ends_on": tool.ends_on.isoformat() if tool.ends_on else "",
        "seats": "\n".join(lines),
    }


class ToolCsvForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: name, category, pricing, monthly_cost, currency, starts_on, ends_on, "
            "seat_email, seat_team, seat_starts_on, seat_ends_on. One line per seat; the tool's "
            "columns are read from its first line."
        ),
    )
