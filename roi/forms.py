from django import forms
from django.utils.translation import gettext_lazy as _


class RoiSettingsForm(forms.Form):
    """The admin's settings page; roi.services.roi_settings_update validates and saves."""

    home_currency = forms.CharField(
        label=_("Home currency"),
        max_length=3,
        help_text=_("ISO 4217 code; reports convert every deal into it."),
    )
    gross_margin_pct = forms.DecimalField(
        label=_("Gross margin (%)"), max_digits=5, decimal_places=2
    )
    rep_hourly_cost = forms.DecimalField(
        label=_("Loaded hourly cost of a rep"), max_digits=10, decimal_places=2
    )
    coach_hourly_cost = forms.DecimalField(
        label=_("Loaded hourly cost of a coach"), max_digits=10, decimal_places=2
    )
    min_treated_reps = forms.IntegerField(label=_("Minimum trained reps"))
    min_comparison_reps = forms.IntegerField(label=_("Minimum comparison reps"))
    min_pre_months = forms.IntegerField(label=_("Minimum months before training"))
    post_months_beyond_cycle = forms.IntegerField(
        label=_("Months after training beyond one median sales cycle")
    )
    default_plausible_effect_pct = forms.DecimalField(
        label=_("Plausible effect when a plan states none (%)"), max_digits=6, decimal_places=2
    )
    bootstrap_draws = forms.IntegerField(label=_("Bootstrap draws"))
    max_unconverted_share_pct = forms.DecimalField(
        label=_("Most won deals without an exchange rate before money is withheld (%)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Above this share the report shows no benefit or ROI, and says why."),
    )
    meeting_advance_days = forms.IntegerField(
        label=_("Days in which a meeting must advance its deal"),
        required=False,
        help_text=_(
            "A meeting counts as advancing its deal when the deal moves to another stage or "
            "closes won within this many days (1 to 365)."
        ),
    )


class RolloutForm(forms.Form):
    first_wave_starts_on = forms.DateField(
        label=_("First wave starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    n_waves = forms.IntegerField(label=_("Waves"), initial=2)
    wave_spacing_months = forms.IntegerField(label=_("Months between waves"), initial=3)
    prior_months = forms.IntegerField(label=_("Months of bookings to stratify teams by"), initial=6)
    seed = forms.IntegerField(
        label=_("Random seed"),
        required=False,
        help_text=_("Leave empty to draw one; it is recorded so the draw can be reproduced."),
    )


class HourlyCostsForm(forms.Form):
    """What people's time costs, on the Costs page (the same values as the settings page)."""

    rep_hourly_cost = forms.DecimalField(
        label=_("Loaded hourly cost of a rep"), max_digits=10, decimal_places=2, min_value=0
    )
    coach_hourly_cost = forms.DecimalField(
        label=_("Loaded hourly cost of a coach"), max_digits=10, decimal_places=2, min_value=0
    )


class ProgramCostsForm(forms.Form):
    """One program's costs; roi.services.program_costs_update saves them."""

    content_cost = forms.DecimalField(
        label=_("Content or licence"), max_digits=12, decimal_places=2, min_value=0
    )
    cost_per_seat = forms.DecimalField(
        label=_("Per seat"), max_digits=12, decimal_places=2, min_value=0
    )
    delivery_cost = forms.DecimalField(
        label=_("Delivery"), max_digits=12, decimal_places=2, min_value=0
    )
    expected_learner_hours = forms.DecimalField(
        label=_("Learner hours per rep"), max_digits=6, decimal_places=2, min_value=0
    )
    coaching_hours_per_seat = forms.DecimalField(
        label=_("Coaching hours per rep"), max_digits=6, decimal_places=2, min_value=0
    )
