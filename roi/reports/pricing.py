"""Money from the bookings estimate: the first-year effect along the event study, and the ROI."""

from __future__ import annotations

import numpy as np

from roi.estimators.did import (
    DidResult,
)
from roi.money import FIRST_YEAR_MONTHS, CostBreakdown, Money, money_evaluate
from roi.panel import FloatArray
from roi.reports.analysis import CI_LEVEL
from roi.reports.types import Analysis


def first_year_effect(result: DidResult) -> tuple[float, FloatArray] | None:
    """The average effect per rep-month over a trained rep's first FIRST_YEAR_MONTHS months,
    following the event study (the effect ramps up as deals mature), and its bootstrap draws.

    Month e of the first year takes the event study's effect at e; months beyond those measured
    keep the last measured effect (the ramp is assumed to have levelled off), and a month
    undefined in a draw takes the draw's previous month (or its overall effect)."""
    if result.simple is None or result.dynamic is None or result.boot_dynamic is None:
        return None
    keys = sorted(result.dynamic.by)
    rows = np.vstack(
        [np.array([result.dynamic.by[e].att for e in keys])[None, :], result.boot_dynamic]
    )
    overall = np.concatenate([[result.simple.att], result.boot_simple])
    year = np.full((rows.shape[0], FIRST_YEAR_MONTHS), np.nan)
    for e in range(FIRST_YEAR_MONTHS):
        if e in keys:
            year[:, e] = rows[:, keys.index(e)]
        previous = year[:, e - 1] if e else overall
        year[:, e] = np.where(np.isfinite(year[:, e]), year[:, e], previous)
    average = year.mean(axis=1)
    return float(average[0]), average[1:]


def money_for(
    bookings: Analysis,
    *,
    trained_reps: int,
    cost: CostBreakdown,
    gross_margin_pct: float,
    currency: str,
    commission_pct: float = 0.0,
) -> Money:
    """Money from the bookings estimate; without a finding, only cost and break-even. The
    benefit counts each trained rep's first year (FIRST_YEAR_MONTHS rep-months each) along the
    event study's ramp-up, at the gross margin net of sales commission."""
    trained_rep_months = float(trained_reps * FIRST_YEAR_MONTHS)
    result = bookings.result
    found = bookings.is_ok and result is not None and result.simple is not None
    profile = first_year_effect(result) if found and result is not None else None
    return money_evaluate(
        att=profile[0] if profile else None,
        boot_att=profile[1] if profile else None,
        trained_rep_months=trained_rep_months,
        gross_margin_pct=gross_margin_pct,
        commission_pct=commission_pct,
        cost=cost,
        currency=currency,
        ci_level=CI_LEVEL,
    )
