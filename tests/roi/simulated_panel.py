"""A simulated sales team (roi.estimators.simulate) as the refresh's rep-month panel, without a
database: one won deal per active rep-month carrying its bookings. Shared by the seeded
simulation tests and bench/roi_coverage.py."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from roi.data_checks import WINSOR_PERCENTILE
from roi.estimators.simulate import SalesScenario, _true_simple_att, effect_path, simulate_sales
from roi.months import month_from_number
from roi.panel import PanelWindow, RepMonthPanel

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def panel_of(
    bookings: FloatArray,
    active: np.ndarray[Any, Any],
    months: np.ndarray[Any, Any],
    unconverted: FloatArray | None = None,
) -> RepMonthPanel:
    """One won deal per active rep-month carrying its bookings (in currency units), capped for
    the robustness check at the 99th percentile of those deals as roi.panel's queries do.
    `unconverted` marks the rep-months whose deal has no exchange rate (its value is not
    counted)."""
    n, m = bookings.shape
    zeros = np.zeros((n, m))
    unknown = unconverted if unconverted is not None else zeros.copy()
    won = np.where(active, 1.0, 0.0)
    converted = active & ~(unknown > 0)
    value = np.where(converted, np.nan_to_num(bookings), 0.0) * 1000.0
    cap = float(np.percentile(value[converted], WINSOR_PERCENTILE)) if converted.any() else None
    excess = np.where(converted, np.maximum(value - (cap or 0.0), 0.0), 0.0)
    return RepMonthPanel(
        window=PanelWindow(
            first=month_from_number(int(months[0])), last=month_from_number(int(months[-1]))
        ),
        rep_ids=np.arange(1, n + 1, dtype=np.int64),
        active=active.astype(bool),
        won_count=won,
        lost_count=zeros.copy(),
        won_value=value,
        lost_value=zeros.copy(),
        won_cycle_days=won * 30.0,
        new_deals=won.copy(),
        deadline_yes=zeros.copy(),
        deadline_known=zeros.copy(),
        buyer_yes=zeros.copy(),
        buyer_known=zeros.copy(),
        qualified_yes=zeros.copy(),
        qualified_known=zeros.copy(),
        due=zeros.copy(),
        slipped=zeros.copy(),
        unconverted_won=unknown,
        unconverted_lost=zeros.copy(),
        won_excess=excess if cap is not None else None,
        winsor_cap=cap,
    )


# 120 reps over 24 months, +6 (about +5%) once ramped up: the benches' base scenario.
BASE = SalesScenario(n_reps=120, n_months=24, noise_sd=10.0)


@dataclass(frozen=True, eq=False)
class TeamRollout:
    panel: RepMonthPanel
    first_treated: dict[int, int]  # {rep: month trained}
    clusters: dict[int, int]  # {rep: team}
    truth: float  # the true effect per trained rep-month, in currency units


def team_rollout(
    seed: int, *, n_teams: int = 24, size: int = 10, effect: float = BASE.effect
) -> TeamRollout:
    """Teams of `size` reps train team by team (whole teams in one of six cohort months, 30%
    of teams never) and share good and bad months: a team-month shock (sd 6) on top of each
    rep's own noise (sd 10). Training lifts bookings by `effect` once ramped up."""
    s = simulate_sales(replace(BASE, n_reps=n_teams * size, effect=0.0), seed=seed)
    rng = np.random.default_rng(seed + 11)
    team = np.repeat(np.arange(n_teams), size)
    cohorts = s.months[0] + 6 + 3 * np.arange(6)
    team_month = np.where(rng.random(n_teams) < 0.3, 0, rng.choice(cohorts, n_teams))
    training = team_month[team]
    e = s.months[None, :] - training[:, None]
    lift = np.where(training[:, None] > 0, effect_path(replace(BASE, effect=effect), e), 0.0)
    shocks = rng.normal(0.0, 6.0, (n_teams, s.months.size))[team]
    return TeamRollout(
        panel=panel_of(s.bookings + lift + shocks, s.active, s.months),
        first_treated={i + 1: int(m) for i, m in enumerate(training) if m},
        clusters={i + 1: int(t) for i, t in enumerate(team)},
        truth=_true_simple_att(training, s.months, lift, s.active) * 1000,
    )
