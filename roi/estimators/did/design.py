"""A long panel as matrices: units by periods, sorted by cohort, with the options of one run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from roi.estimators.did.types import (
    BasePeriod,
    BoolArray,
    Comparison,
    FloatArray,
    IntArray,
    Panel,
)

# --- Panel to matrices -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    comparison: Comparison
    base_period: BasePeriod
    anticipation: int
    n_boot: int
    seed: int
    ci_level: float
    base_window: int = 1


@dataclass(frozen=True)
class _Block:
    """Units of one cohort, fully observed ones first so they can take the fast path."""

    full: slice
    partial: slice


@dataclass(frozen=True, eq=False)
class _Design:
    periods: IntArray  # sorted distinct periods
    y: FloatArray  # (n_units, n_periods), NaN where not observed; units sorted by cohort
    unit_group: IntArray  # first treated period per unit, 0 for never treated
    cohorts: IntArray  # first treated periods of the treated cohorts, ascending
    blocks: tuple[_Block, ...]  # one per treated cohort, then the never treated last
    n_dropped_always_treated: int
    # Cluster index (0..n_clusters-1) per unit, or None to resample units.
    unit_cluster: IntArray | None = None
    # With a base window, y carries one extra column per cohort after the periods: each unit's
    # average over that cohort's base window.
    n_base_columns: int = 0

    @property
    def n_units(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_treated_units(self) -> int:
        return int(np.count_nonzero(self.unit_group))

    @property
    def never_index(self) -> int:
        return len(self.cohorts)

    @property
    def n_clusters(self) -> int:
        if self.unit_cluster is None:
            return self.n_units
        return int(self.unit_cluster.max()) + 1 if self.unit_cluster.size else 0


def _check_options(
    comparison: str, base_period: str, n_boot: int, ci_level: float, anticipation: int
) -> None:
    if comparison not in ("not_yet_treated", "never_treated"):
        raise ValueError(f"unknown comparison {comparison!r}")
    if base_period not in ("varying", "universal"):
        raise ValueError(f"unknown base_period {base_period!r}")
    if n_boot < 2:
        raise ValueError("n_boot must be at least 2")
    if not 0.0 < ci_level < 1.0:
        raise ValueError("ci_level must be between 0 and 1")
    if anticipation < 0:
        raise ValueError("anticipation must be >= 0")


def _design(
    panel: Panel, anticipation: int, *, cluster: ArrayLike | None = None, base_window: int = 1
) -> _Design:
    units, unit_index = np.unique(panel.unit, return_inverse=True)
    periods, period_index = np.unique(panel.period, return_inverse=True)
    if np.unique(unit_index * periods.size + period_index).size != unit_index.size:
        raise ValueError("the panel has more than one row for some (unit, period)")
    y = np.full((units.size, periods.size), np.nan)
    y[unit_index, period_index] = panel.outcome
    y[~np.isfinite(y)] = np.nan
    group = _unit_first_treated(panel.first_treated, unit_index, units.size)
    if periods.size == 0:
        return _sorted_design(periods, y, group, 0)
    group[group > periods[-1]] = 0
    always = (group > 0) & (group <= periods[0] + anticipation)
    keep = ~always & np.isfinite(y).any(axis=1)
    unit_cluster = None
    if cluster is not None:
        unit_cluster = _unit_cluster(np.asarray(cluster), unit_index, units.size)[keep]
    return _sorted_design(
        periods,
        y[keep],
        group[keep],
        int(always.sum()),
        unit_cluster=unit_cluster,
        base_window=base_window,
        anticipation=anticipation,
    )


def _unit_cluster(cluster: NDArray[Any], unit_index: IntArray, n_units: int) -> IntArray:
    if cluster.shape != unit_index.shape:
        raise ValueError("cluster must have one label per panel row")
    _labels, row_cluster = np.unique(cluster, return_inverse=True)
    per_unit = np.zeros(n_units, dtype=np.int64)
    per_unit[unit_index] = row_cluster
    if np.any(per_unit[unit_index] != row_cluster):
        raise ValueError("cluster must be the same on every row of a unit")
    return per_unit


def _unit_first_treated(first_treated: FloatArray, unit_index: IntArray, n_units: int) -> IntArray:
    rows = np.where(np.isnan(first_treated), 0.0, first_treated)
    if np.any(rows < 0) or np.any(rows != np.round(rows)):
        raise ValueError("first_treated must be a period, or 0 / NaN for never treated")
    group = np.zeros(n_units, dtype=np.int64)
    group[unit_index] = rows.astype(np.int64)
    if np.any(group[unit_index] != rows):
        raise ValueError("first_treated must be the same on every row of a unit")
    return group


def _sorted_design(
    periods: IntArray,
    y: FloatArray,
    group: IntArray,
    n_always: int,
    *,
    unit_cluster: IntArray | None = None,
    base_window: int = 1,
    anticipation: int = 0,
) -> _Design:
    cohorts = np.unique(group[group > 0])
    n_base_columns = 0
    if base_window > 1 and cohorts.size:
        y = np.hstack([y, _base_window_means(periods, y, cohorts, base_window, anticipation)])
        n_base_columns = int(cohorts.size)
    cohort = np.where(group > 0, np.searchsorted(cohorts, group), cohorts.size)
    is_full = np.asarray(np.isfinite(y).all(axis=1), dtype=np.bool_)
    order = np.lexsort((~is_full, cohort))
    cohort, is_full = cohort[order], is_full[order]
    blocks = []
    for index in range(cohorts.size + 1):
        start, stop = np.searchsorted(cohort, [index, index + 1])
        split = start + int(np.count_nonzero(is_full[start:stop]))
        blocks.append(_Block(full=slice(start, split), partial=slice(split, stop)))
    if unit_cluster is not None:
        # Renumber densely: a cluster whose units were all dropped must not be drawn.
        unit_cluster = np.unique(unit_cluster[order], return_inverse=True)[1].astype(np.int64)
    return _Design(
        periods,
        y[order],
        group[order],
        cohorts,
        tuple(blocks),
        n_always,
        unit_cluster=unit_cluster,
        n_base_columns=n_base_columns,
    )


def _base_window_means(
    periods: IntArray, y: FloatArray, cohorts: IntArray, base_window: int, anticipation: int
) -> FloatArray:
    """Per unit and cohort g, the mean of the unit's observed outcomes over the `base_window`
    periods before g - anticipation (NaN when it has none there)."""
    columns = []
    observed = np.isfinite(y)
    values = np.where(observed, y, 0.0)
    for g in cohorts.tolist():
        last = g - anticipation
        in_window = (periods < last) & (periods >= last - base_window)
        n = observed[:, in_window].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            columns.append(np.where(n > 0, values[:, in_window].sum(axis=1) / n, np.nan))
    return np.stack(columns, axis=1)


# --- Row and column means with missing values ---------------------------------------------------


def _row_mean(y: FloatArray, mask: BoolArray) -> FloatArray:
    use = mask & np.isfinite(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(use, y, 0.0).sum(axis=1) / use.sum(axis=1)
    return result


def _column_mean(y: FloatArray, mask: BoolArray) -> FloatArray:
    return _row_mean(y.T, mask.T)
