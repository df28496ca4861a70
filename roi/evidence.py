"""Evidence gates, the minimum detectable effect, and the evidence grade.

A report presents its estimate as a finding only when every sample gate passes (reps and months);
otherwise it says "collecting evidence" and what is missing ("12 of 20 trained reps"). Power is
not a gate: a study that passes the sample gates but cannot reliably detect the planned effect
shows its estimate with grade C and the design check (roi.estimators.design), because hiding it
would hide real effects too. The grade says how strong the design behind a finding is. Plain
Python: the inputs are numbers, the settings a dataclass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from scipy.stats import norm

# A study is planned to detect its effect 4 times in 5 (80% power) at the report's 95% level.
POWER = 0.80
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class GateSettings:
    min_treated_reps: int = 20
    min_comparison_reps: int = 20
    min_pre_months: int = 3
    post_months_beyond_cycle: int = 1


@dataclass(frozen=True)
class Gate:
    name: str
    required: float
    actual: float | None
    passed: bool

    def missing(self) -> str:
        """What the report still waits for, in words a sales leader reads."""
        actual = "—" if self.actual is None else _number(self.actual)
        required = _number(self.required)
        texts = {
            "treated_reps": _("%(actual)s of %(required)s trained reps"),
            "comparison_reps": _("%(actual)s of %(required)s comparison reps"),
            "pre_months": _("%(actual)s of %(required)s months of data before training"),
            "post_months": _(
                "%(actual)s of %(required)s months after training (one sales cycle plus a month)"
            ),
        }
        return texts[self.name] % {"actual": actual, "required": required}

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "required": self.required,
            "actual": self.actual,
            "passed": self.passed,
        }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else number_format(value, 1)


def minimum_detectable_effect(se: float, *, ci_level: float = 0.95, power: float = POWER) -> float:
    """MDE = (z_{1-alpha/2} + z_power) x SE: the smallest true effect this design would find
    significant with probability `power` (2.8 standard errors at 95% and 80%)."""
    alpha = 1.0 - ci_level
    return float((norm.ppf(1.0 - alpha / 2.0) + norm.ppf(power)) * se)


def required_post_months(median_cycle_days: float | None, settings: GateSettings) -> int:
    """One median sales cycle, in whole months, plus the configured margin."""
    cycle_months = math.ceil((median_cycle_days or 0.0) / DAYS_PER_MONTH)
    return cycle_months + settings.post_months_beyond_cycle


def gates_evaluate(
    *,
    settings: GateSettings,
    treated_reps: int,
    comparison_reps: int,
    pre_months: float | None,
    post_months: float | None,
    median_cycle_days: float | None,
) -> list[Gate]:
    post_required = required_post_months(median_cycle_days, settings)
    return [
        Gate(
            "treated_reps",
            settings.min_treated_reps,
            treated_reps,
            treated_reps >= settings.min_treated_reps,
        ),
        Gate(
            "comparison_reps",
            settings.min_comparison_reps,
            comparison_reps,
            comparison_reps >= settings.min_comparison_reps,
        ),
        Gate(
            "pre_months",
            settings.min_pre_months,
            pre_months,
            pre_months is not None and pre_months >= settings.min_pre_months,
        ),
        Gate(
            "post_months",
            post_required,
            post_months,
            post_months is not None and post_months >= post_required,
        ),
    ]


def evidence_grade(
    *,
    gates_passed: bool,
    pre_trend_clean: bool | None,
    pre_periods_checked: bool,
    is_randomised: bool,
    is_powered: bool = True,
) -> str:
    """A: randomised rollout (its intention-to-treat estimate is the headline, compliance
    reported); B: staggered comparison with a clean pre-trend; C: a finding on a weaker footing
    (too few months before training to check the pre-trend, or too little power for the planned
    effect); D: no finding: below a sample gate, or the pre-trend check failed (a drift before
    training would be read as an effect, so the estimate is withheld, never shown as C)."""
    if not gates_passed or pre_trend_clean is False:
        return "D"
    if not (pre_trend_clean and pre_periods_checked and is_powered):
        return "C"
    return "A" if is_randomised else "B"
