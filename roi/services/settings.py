"""The money assumptions and evidence gates, and the home currency they are expressed in."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.models import Organization
from roi.models import RoiSettings

MONEY_FIELDS = ("gross_margin_pct", "rep_hourly_cost", "coach_hourly_cost")
GATE_FIELDS = (
    "min_treated_reps",
    "min_comparison_reps",
    "min_pre_months",
    "post_months_beyond_cycle",
    "default_plausible_effect_pct",
    "bootstrap_draws",
    "max_unconverted_share_pct",
    "meeting_advance_days",
)
# Gate fields that are percentages (decimals), not whole numbers.
_PERCENT_GATES = ("default_plausible_effect_pct", "max_unconverted_share_pct")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def roi_settings_validate(changes: dict[str, Any]) -> dict[str, Any]:
    """Clean values or ValidationError naming each bad field: a negative margin or cost, a
    margin above 100%, a currency that is not three capital letters, gates below their floor."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "home_currency" in changes:
        code = str(changes["home_currency"] or "").strip().upper()
        if not _CURRENCY.match(code):
            errors["home_currency"] = [_("Use a three-letter ISO 4217 code, such as EUR.")]
        clean["home_currency"] = code
    for name in (*MONEY_FIELDS, *_PERCENT_GATES):
        if name not in changes:
            continue
        try:
            value = Decimal(str(changes[name]))
        except (InvalidOperation, ValueError):
            errors[name] = [_("Enter a number.")]
            continue
        if not value.is_finite() or value < 0:
            errors[name] = [_("Enter zero or more.")]
        elif name == "gross_margin_pct" and value > 100:
            errors[name] = [_("A margin is at most 100%.")]
        elif name == "max_unconverted_share_pct" and value > 100:
            errors[name] = [_("A share is at most 100%.")]
        elif name == "default_plausible_effect_pct" and value == 0:
            errors[name] = [_("Enter more than zero.")]
        clean[name] = value
    floors = {
        "bootstrap_draws": 999,
        "min_treated_reps": 1,
        "min_comparison_reps": 1,
        "meeting_advance_days": 1,
    }
    ceilings = {"meeting_advance_days": 365}
    for name in GATE_FIELDS:
        if name not in changes or name in _PERCENT_GATES:
            continue
        value = changes[name]
        if value is None and name == "meeting_advance_days":
            continue  # left empty on the form: keep the stored window
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = [_("Enter a whole number.")]
            continue
        floor = floors.get(name, 0)
        ceiling = ceilings.get(name, 100_000)
        if value < floor or value > ceiling:
            errors[name] = [
                _("Enter a whole number from %(floor)s to %(ceiling)s.")
                % {"floor": floor, "ceiling": ceiling}
            ]
        clean[name] = value
    if errors:
        raise ValidationError(errors)
    return clean


def roi_settings_update(*, actor: User | None, changes: dict[str, Any]) -> RoiSettings:
    """Validate and save the given fields (others keep their values). All or nothing: a bad
    field raises ValidationError and writes nothing. The caller checked `actor` is an admin."""
    clean = roi_settings_validate(changes)
    with transaction.atomic():
        if "home_currency" in clean:
            # Saved, not updated in place, so the audit log records the change.
            organization = Organization.current()
            organization.home_currency = clean.pop("home_currency")
            organization.save(update_fields=["home_currency"])
        settings, _created = RoiSettings.objects.select_for_update().get_or_create(pk=1)
        for name, value in clean.items():
            setattr(settings, name, value)
        settings.updated_by = actor
        settings.save()
    return settings
