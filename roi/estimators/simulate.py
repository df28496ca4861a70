"""Simulated monthly sales of a team where reps train at different times, with a known effect.

Used to check the estimator (tests/roi/test_did_simulation.py), to benchmark it, and to seed
demo data. The ingredients are the ones that make naive figures wrong in real sales teams:

- reps differ in skill (fixed effects), and the better reps train first (selection on levels),
  while the weakest are the most likely never to train;
- everyone's bookings grow with the market and spike at quarter ends and in December;
- good and bad months persist then fade (AR(1) noise): struggling reps bounce back anyway;
- the effect of training ramps up over the first months, as deals take time to close.

All of these are compatible with parallel trends in levels, so the staggered DiD is unbiased
while before/after (trend, seasons) and trained-vs-untrained (selection) are not. The optional
`dip_before_training` (reps sent to training after a bad stretch, Ashenfelter's dip) breaks
parallel trends; the estimator cannot remove that bias, and its pre-trend check should flag it.

Months are integers `year * 12 + month - 1`, so consecutive months differ by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from roi.estimators.did import Panel
from roi.months import month_index

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class SalesScenario:
    """Amounts are monthly bookings per rep, in thousands."""

    n_reps: int = 300
    n_months: int = 36
    first_month: int = month_index(2023, 1)
    baseline: float = 100.0
    trend_per_month: float = 0.6
    quarter_end_lift: float = 12.0
    december_lift: float = 20.0
    skill_sd: float = 20.0
    noise_sd: float = 15.0
    noise_persistence: float = 0.5
    effect: float = 6.0  # lift per month once fully ramped up
    ramp_months: int = 3  # the lift grows linearly to `effect` over these first months
    effect_heterogeneity: float = 0.5  # sd of the rep's multiplier of the lift (mean 1)
    never_trained_share: float = 0.3
    n_cohorts: int = 6
    first_cohort_month: int = 6  # months after the start of the window
    cohort_spacing: int = 3  # months between cohorts
    selection: float = 1.0  # weight of skill in the order of training; 0 means random order
    dip_before_training: float = 0.0  # fall over the 3 months before training; breaks the design
    partial_tenure_share: float = 0.0  # reps who join after the start or leave before the end


@dataclass(frozen=True, eq=False)
class SimulatedSales:
    scenario: SalesScenario
    panel: Panel  # long panel of the months each rep was on the team
    months: IntArray  # (n_months,)
    rep_ids: IntArray  # (n_reps,)
    skill: FloatArray  # (n_reps,) fixed effect
    training_month: IntArray  # (n_reps,) month of first training, 0 for never trained
    active: BoolArray  # (n_reps, n_months) rep on the team that month
    effect: FloatArray  # (n_reps, n_months) true lift from training, 0 before training
    bookings: FloatArray  # (n_reps, n_months) observed outcome, NaN when not active
    # Truth in the estimator's terms: the average lift over trained reps' post-training
    # rep-months, each cohort weighted by its size (C&S "simple" aggregation).
    true_simple_att: float
    # True lift by months since training (e >= 0), cohorts weighted by size (event study).
    true_dynamic: dict[int, float]


def effect_path(scenario: SalesScenario, months_since_training: IntArray) -> FloatArray:
    """Expected lift for an average rep by months since training (negative: before, no lift)."""
    e = np.asarray(months_since_training, dtype=np.float64)
    ramp = np.clip((e + 1.0) / max(scenario.ramp_months, 1), 0.0, 1.0)
    return np.where(e >= 0, scenario.effect * ramp, 0.0)


def simulate_sales(scenario: SalesScenario, *, seed: int) -> SimulatedSales:
    rng = np.random.default_rng(seed)
    months = scenario.first_month + np.arange(scenario.n_months, dtype=np.int64)
    skill = rng.normal(0.0, scenario.skill_sd, scenario.n_reps)
    training_month = _training_months(scenario, skill, months, rng)
    effect = _effect(scenario, training_month, months, rng)
    bookings = (
        scenario.baseline
        + skill[:, None]
        + _seasonal_trend(scenario, months)[None, :]
        + _persistent_noise(scenario, rng)
        + effect
        - _dip(scenario, training_month, months)
    )
    active = _active(scenario, rng)
    bookings[~active] = np.nan
    rep_ids = np.arange(1, scenario.n_reps + 1, dtype=np.int64)
    return SimulatedSales(
        scenario=scenario,
        panel=_long_panel(rep_ids, months, bookings, training_month, active),
        months=months,
        rep_ids=rep_ids,
        skill=skill,
        training_month=training_month,
        active=active,
        effect=effect,
        bookings=bookings,
        true_simple_att=_true_simple_att(training_month, months, effect, active),
        true_dynamic=_true_dynamic(training_month, months, effect, active),
    )


def _training_months(
    scenario: SalesScenario, skill: FloatArray, months: IntArray, rng: np.random.Generator
) -> IntArray:
    """Order reps by skill plus noise: the top of the order trains first, the bottom never."""
    score = scenario.selection * skill / scenario.skill_sd + rng.normal(0.0, 1.0, skill.size)
    order = np.argsort(-score)
    n_trained = round(skill.size * (1.0 - scenario.never_trained_share))
    cohort_starts = months[scenario.first_cohort_month] + scenario.cohort_spacing * np.arange(
        scenario.n_cohorts
    )
    training_month = np.zeros(skill.size, dtype=np.int64)
    for cohort, reps in enumerate(np.array_split(order[:n_trained], scenario.n_cohorts)):
        training_month[reps] = cohort_starts[cohort]
    return training_month


def _effect(
    scenario: SalesScenario, training_month: IntArray, months: IntArray, rng: np.random.Generator
) -> FloatArray:
    multiplier = 1.0 + scenario.effect_heterogeneity * rng.normal(0.0, 1.0, training_month.size)
    since = months[None, :] - training_month[:, None]
    trained = (training_month > 0)[:, None]
    return np.where(trained, effect_path(scenario, since) * multiplier[:, None], 0.0)


def _seasonal_trend(scenario: SalesScenario, months: IntArray) -> FloatArray:
    month_of_year = months % 12 + 1
    quarter_end = np.isin(month_of_year, (3, 6, 9, 12))
    seasonal: FloatArray = (
        scenario.trend_per_month * np.arange(months.size, dtype=np.float64)
        + scenario.quarter_end_lift * quarter_end
        + scenario.december_lift * (month_of_year == 12)
    )
    return seasonal


def _persistent_noise(scenario: SalesScenario, rng: np.random.Generator) -> FloatArray:
    """Stationary AR(1) with standard deviation noise_sd."""
    rho = scenario.noise_persistence
    shocks = rng.normal(0.0, scenario.noise_sd, (scenario.n_reps, scenario.n_months))
    noise = np.empty_like(shocks)
    noise[:, 0] = shocks[:, 0]
    for month in range(1, scenario.n_months):
        noise[:, month] = rho * noise[:, month - 1] + np.sqrt(1.0 - rho**2) * shocks[:, month]
    return noise


def _dip(scenario: SalesScenario, training_month: IntArray, months: IntArray) -> FloatArray:
    before = training_month[:, None] - months[None, :]
    depth = np.where((training_month[:, None] > 0) & (before >= 1) & (before <= 3), 4 - before, 0)
    return np.asarray(scenario.dip_before_training * depth / 3.0, dtype=np.float64)


def _active(scenario: SalesScenario, rng: np.random.Generator) -> BoolArray:
    """Most reps stay the whole window; the others join in its first third or leave in its last."""
    n, m = scenario.n_reps, scenario.n_months
    partial = rng.random(n) < scenario.partial_tenure_share
    joins = rng.random(n) < 0.5
    join = np.where(partial & joins, rng.integers(1, max(m // 3, 2), n), 0)
    leave = np.where(partial & ~joins, rng.integers(2 * m // 3, m, n), m)
    index = np.arange(m)[None, :]
    return (index >= join[:, None]) & (index < leave[:, None])


def _long_panel(
    rep_ids: IntArray,
    months: IntArray,
    bookings: FloatArray,
    training_month: IntArray,
    active: BoolArray,
) -> Panel:
    rep_index, month_index_ = np.nonzero(active)
    return Panel(
        unit=rep_ids[rep_index],
        period=months[month_index_],
        outcome=bookings[rep_index, month_index_],
        first_treated=training_month[rep_index].astype(np.float64),
    )


def _cohort_cells(
    training_month: IntArray, months: IntArray, effect: FloatArray, active: BoolArray
) -> list[tuple[int, int, float, int]]:
    """(event time, cohort, mean lift of the cohort's active reps, cohort size) per post cell."""
    cells = []
    for g in np.unique(training_month[training_month > 0]).tolist():
        reps = training_month == g
        for column in np.nonzero(months >= g)[0].tolist():
            here = reps & active[:, column]
            if here.any():
                lift = float(effect[here, column].mean())
                cells.append((int(months[column]) - g, g, lift, int(reps.sum())))
    return cells


def _true_simple_att(
    training_month: IntArray, months: IntArray, effect: FloatArray, active: BoolArray
) -> float:
    cells = _cohort_cells(training_month, months, effect, active)
    weights = np.array([size for _, _, _, size in cells], dtype=np.float64)
    lifts = np.array([lift for _, _, lift, _ in cells])
    return float(np.sum(weights * lifts) / np.sum(weights)) if cells else float("nan")


def _true_dynamic(
    training_month: IntArray, months: IntArray, effect: FloatArray, active: BoolArray
) -> dict[int, float]:
    cells = _cohort_cells(training_month, months, effect, active)
    result = {}
    for e in sorted({cell[0] for cell in cells}):
        at_e = [(lift, size) for event, _, lift, size in cells if event == e]
        result[e] = sum(lift * size for lift, size in at_e) / sum(size for _, size in at_e)
    return result
