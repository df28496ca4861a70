"""Phillips ROI: what an effect on bookings is worth against what the program cost.

benefit   = effect on bookings per rep-month x trained rep-months in the first year
            x (gross margin - sales commission)
cost      = content or licence + delivery + seats x cost per seat
            + learner hours x loaded hourly cost of a rep + coaching hours x that of a coach
ROI %     = (benefit - cost) / cost x 100
break-even effect = cost / (trained rep-months x gross margin): the lift per rep-month that pays
            the cost back exactly.

The interval of the ROI and P(ROI > 0) come from the same bootstrap draws as the effect's
interval: each draw of the effect is turned into a draw of the ROI.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Benefits are counted over each trained rep's first year after training (Phillips: first-year
# benefits only, as the effect of one program fades and others take over).
FIRST_YEAR_MONTHS = 12
HISTOGRAM_BINS = 30


@dataclass(frozen=True)
class CostLine:
    name: str
    quantity: float
    unit_cost: float

    @property
    def total(self) -> float:
        return self.quantity * self.unit_cost


@dataclass(frozen=True)
class CostBreakdown:
    lines: tuple[CostLine, ...]

    @property
    def total(self) -> float:
        return float(sum(line.total for line in self.lines))

    def as_list(self) -> list[dict[str, object]]:
        return [{**asdict(line), "total": line.total} for line in self.lines]


def program_cost(
    *,
    seats: int,
    content_cost: float,
    delivery_cost: float,
    cost_per_seat: float,
    learner_hours_per_seat: float,
    rep_hourly_cost: float,
    coaching_hours_per_seat: float,
    coach_hourly_cost: float,
) -> CostBreakdown:
    """Fully loaded cost of training `seats` reps."""
    return CostBreakdown(
        (
            CostLine("content", 1, content_cost),
            CostLine("delivery", 1, delivery_cost),
            CostLine("seats", seats, cost_per_seat),
            CostLine("learner_time", seats * learner_hours_per_seat, rep_hourly_cost),
            CostLine("coaching_time", seats * coaching_hours_per_seat, coach_hourly_cost),
        )
    )


def coaching_cost(
    *, session_hours: float, rep_hourly_cost: float, coach_hourly_cost: float
) -> CostBreakdown:
    """A coaching session costs an hour of the coach and an hour of the rep per hour."""
    return CostBreakdown(
        (
            CostLine("coaching_time", session_hours, coach_hourly_cost),
            CostLine("learner_time", session_hours, rep_hourly_cost),
        )
    )


@dataclass(frozen=True)
class Money:
    currency: str
    trained_rep_months: float
    gross_margin_pct: float
    cost: float
    cost_lines: list[dict[str, object]]
    break_even_effect: float | None
    commission_pct: float = 0.0
    benefit: float | None = None
    roi_pct: float | None = None
    roi_ci_low: float | None = None
    roi_ci_high: float | None = None
    p_roi_positive: float | None = None
    histogram: list[dict[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def money_evaluate(
    *,
    att: float | None,
    boot_att: FloatArray | None,
    trained_rep_months: float,
    gross_margin_pct: float,
    cost: CostBreakdown,
    currency: str,
    ci_level: float = 0.95,
    commission_pct: float = 0.0,
) -> Money:
    """Benefit, ROI with its bootstrap interval and P(ROI > 0), and the break-even effect.

    Without an effect (no finding yet) only the cost and the break-even effect are known.
    With a zero cost the ROI is undefined (None) while the benefit still is.
    """
    # Commission is paid on every booked unit: what the company keeps is the margin net of it.
    margin = max(gross_margin_pct - commission_pct, 0.0) / 100.0
    value_per_unit = trained_rep_months * margin  # money per unit of effect per rep-month
    total_cost = cost.total
    base = Money(
        currency=currency,
        trained_rep_months=trained_rep_months,
        gross_margin_pct=gross_margin_pct,
        commission_pct=commission_pct,
        cost=total_cost,
        cost_lines=cost.as_list(),
        break_even_effect=total_cost / value_per_unit if value_per_unit > 0 else None,
    )
    if att is None or not math.isfinite(att):
        return base
    benefit = att * value_per_unit
    draws = np.asarray(boot_att if boot_att is not None else [], dtype=np.float64)
    draws = draws[np.isfinite(draws)]
    if total_cost <= 0:
        return replace(base, benefit=benefit)
    roi_draws = (draws * value_per_unit - total_cost) / total_cost * 100.0
    tail = (1.0 - ci_level) / 2.0 * 100.0
    low, high = (
        np.percentile(roi_draws, [tail, 100.0 - tail]) if roi_draws.size else (np.nan, np.nan)
    )
    return replace(
        base,
        benefit=benefit,
        roi_pct=(benefit - total_cost) / total_cost * 100.0,
        roi_ci_low=_finite(low),
        roi_ci_high=_finite(high),
        p_roi_positive=float(np.mean(roi_draws > 0)) if roi_draws.size else None,
        histogram=roi_histogram(roi_draws),
    )


def roi_histogram(roi_draws: FloatArray, *, bins: int = HISTOGRAM_BINS) -> list[dict[str, float]]:
    """Counts of ROI draws in equal bins between the 0.5th and 99.5th percentiles, widened to
    include break-even (0%) so the chart always shows how far it is; the few draws beyond are
    counted in the end bins so that one wild draw does not flatten the chart."""
    if roi_draws.size == 0:
        return []
    low, high = np.percentile(roi_draws, [0.5, 99.5])
    low, high = min(low, 0.0), max(high, 0.0)
    if not high > low:
        high = low + 1.0
    counts, edges = np.histogram(np.clip(roi_draws, low, high), bins=bins, range=(low, high))
    return [
        {"low": float(edges[i]), "high": float(edges[i + 1]), "count": int(counts[i])}
        for i in range(bins)
    ]


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
