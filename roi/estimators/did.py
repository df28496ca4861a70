"""Staggered difference-in-differences in the Callaway & Sant'Anna form, without covariates.

B. Callaway and P. H. C. Sant'Anna (2021), "Difference-in-Differences with multiple time periods",
Journal of Econometrics 225(2), 200-230. Point estimates and aggregations follow the paper's
definitions as the authors' R package `did` (2.x) computes them; tests/roi/test_did_reference.py
checks them against that package's published output on `mpdta`.

Inference differs from `did` on purpose. `did` uses a multiplier bootstrap on influence functions;
here whole units are resampled with replacement (a cluster bootstrap at the unit level), because
every interval the ROI reports show, money included, must come from one set of draws that
callers can reuse (`DidResult.boot_simple`). Each draw recomputes every ATT(g, t) and every
aggregation, group-size weights included, so aggregated intervals carry the uncertainty of the
weights as `did`'s analytical correction does.

- Standard error: the standard deviation of the draws. `did` reports an IQR-based version for
  robustness to heavy tails, but it is about 1.6 times noisier at a given number of draws and the
  quantities here are means of unit-level differences, whose bootstrap distribution is not heavy
  tailed unless a cohort is tiny (the evidence gates refuse those anyway).
- Confidence interval: bootstrap percentile interval, so that it agrees exactly with an interval
  a caller builds from `boot_simple` (for example the ROI in money).
- A draw in which a cell has no treated or no comparison unit leaves that cell undefined; it is
  left out of that draw's aggregations (its group then has no weight in that draw) and out of the
  cell's own standard error.

Pure numpy: no Django here, the ROI app turns its rep-month panel into a `Panel`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

Comparison = Literal["not_yet_treated", "never_treated"]
BasePeriod = Literal["varying", "universal"]

# The pre-trend check flags a design when the joint test rejects "no effect before treatment"
# at this level; it is a screening threshold for the evidence grade, not a proof of validity.
PRE_TREND_ALPHA = 0.05


@dataclass(frozen=True, eq=False)
class Panel:
    """A long panel, one row per unit and period; balanced or not.

    `period` holds integers on one scale (years, or months as year * 12 + month - 1), so that
    event time t - g counts periods. `outcome` may be NaN for a missing observation.
    `first_treated` is the period of first treatment, repeated on every row of the unit, with 0 or
    NaN for a unit never treated. As in `did`, a unit first treated after the last period is
    never treated within the window, and a unit treated in the first period (plus anticipation)
    has no untreated period to compare and is dropped.
    """

    unit: NDArray[Any]
    period: IntArray
    outcome: FloatArray
    first_treated: FloatArray

    def __post_init__(self) -> None:
        columns = {
            "unit": np.asarray(self.unit),
            "period": _as_integers(self.period, "period"),
            "outcome": np.asarray(self.outcome, dtype=np.float64),
            "first_treated": np.asarray(self.first_treated, dtype=np.float64),
        }
        lengths = {name: column.shape for name, column in columns.items()}
        if any(len(shape) != 1 for shape in lengths.values()) or len(set(lengths.values())) != 1:
            raise ValueError(f"panel columns must be 1-D and of equal length, got {lengths}")
        for name, column in columns.items():
            object.__setattr__(self, name, column)

    @classmethod
    def from_columns(
        cls,
        *,
        unit: ArrayLike,
        period: ArrayLike,
        outcome: ArrayLike,
        first_treated: ArrayLike,
    ) -> Panel:
        return cls(
            unit=np.asarray(unit),
            period=np.asarray(period),
            outcome=np.asarray(outcome, dtype=np.float64),
            first_treated=np.asarray(first_treated, dtype=np.float64),
        )


@dataclass(frozen=True)
class Estimate:
    att: float
    se: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class GroupTimeEffect:
    """ATT(g, t): effect in period t on the units first treated in period g."""

    group: int
    period: int
    base: int
    att: float
    se: float
    ci_low: float
    ci_high: float
    n_treated: int
    n_control: int

    @property
    def event_time(self) -> int:
        return self.period - self.group

    @property
    def is_post(self) -> bool:
        return self.period >= self.group


@dataclass(frozen=True)
class Aggregation:
    """Effects by key (group g, event time e or calendar period t) and their overall summary."""

    by: Mapping[int, Estimate]
    overall: Estimate


@dataclass(frozen=True)
class PreTrendCheck:
    """Joint test that every pre-treatment event-time effect is zero.

    A sup-t test: the largest |effect / se| over pre-treatment event times, against the bootstrap
    distribution of the same maximum centred on the estimates. Unlike a Wald test it needs no
    inverse of a covariance matrix estimated from the draws, which is unstable with dozens of
    monthly pre-periods and a thousand draws; it is the test behind `did`'s uniform bands.
    """

    n_pre_periods: int
    max_abs_t: float
    p_value: float
    is_clean: bool


@dataclass(frozen=True)
class Sensitivity:
    """How robust the effect is to a violation of parallel trends, in the spirit of Rambachan &
    Roth (2023), "A More Credible Approach to Parallel Trends", relative magnitudes.

    Before training, the event study measures how far trained and comparison reps drifted apart
    from one month to the next; its largest value is `max_pre_violation`. Suppose that after
    training the trends may differ by up to M times that, in either direction:
    the effect is then only known up to +- M x `max_pre_violation` (`bias_per_m` per unit of M).
    `breakdown_m` is the M at which that band reaches the end of the 95% interval nearest zero:
    below it the effect keeps its sign ("robust up to M = 1.4"); 0 when the interval already
    includes zero. A simplification of their method: one bound on the average effect's bias,
    taken at the interval's end, instead of a robust interval recomputed for each M.
    """

    max_pre_violation: float
    bias_per_m: float
    breakdown_m: float


@dataclass(frozen=True, eq=False)
class DidResult:
    estimable: bool
    reason: str | None
    comparison: Comparison
    base_period: BasePeriod
    anticipation: int
    n_boot: int
    seed: int
    ci_level: float
    n_units: int
    n_treated_units: int
    n_never_treated_units: int
    n_dropped_always_treated: int
    # Units the bootstrap resamples: clusters (teams) when given, else units.
    n_clusters: int
    cells: tuple[GroupTimeEffect, ...]
    simple: Estimate | None
    group: Aggregation | None
    dynamic: Aggregation | None
    calendar: Aggregation | None
    # Draws of the overall simple ATT, in draw order; NaN for a draw where it is undefined.
    boot_simple: FloatArray
    pre_trend: PreTrendCheck | None
    sensitivity: Sensitivity | None = None
    # Draws of the event study, one column per event time of `dynamic.by` in ascending order
    # (shape (n_boot, n_event_times)); lets callers price a ramp-up draw by draw.
    boot_dynamic: FloatArray | None = None

    @property
    def pre_trend_clean(self) -> bool | None:
        return None if self.pre_trend is None else self.pre_trend.is_clean


def estimate(
    panel: Panel,
    *,
    comparison: Comparison = "not_yet_treated",
    base_period: BasePeriod = "varying",
    n_boot: int = 999,
    seed: int = 0,
    ci_level: float = 0.95,
    anticipation: int = 0,
    base_window: int = 1,
    cluster: ArrayLike | None = None,
) -> DidResult:
    """Group-time ATTs, their aggregations and a pre-trend check, with unit-bootstrap inference.

    `base_window` > 1 compares each post-treatment period with the average of the last
    `base_window` periods before treatment (those observed) instead of the single period g - 1:
    for ratio metrics (win rate, cycle days) a rep without a closed deal in g - 1 stays in.
    `cluster`, one label per panel row (the same on every row of a unit), makes the bootstrap
    resample whole clusters (teams) instead of units: needed when treatment or shocks are shared
    by a team.

    Data that cannot identify an effect (no treated units, no comparison units) gives a result
    with `estimable=False` and a `reason`; invalid arguments raise ValueError.
    """
    _check_options(comparison, base_period, n_boot, ci_level, anticipation)
    if base_window < 1:
        raise ValueError("base_window must be >= 1")
    design = _design(panel, anticipation, cluster=cluster, base_window=base_window)
    options = _Options(comparison, base_period, anticipation, n_boot, seed, ci_level, base_window)
    if design.n_treated_units == 0:
        return _not_estimable(options, design, "no treated units")
    specs = _cell_specs(design, options)
    # One weight row of ones counts, per block and pair, the units observed at both periods.
    observed_in_both = _pair_sums(np.ones((1, design.n_units)), design, specs.pairs)[1][:, 0]
    specs = specs.keep_identified(observed_in_both)
    if not specs.is_post.any():
        return _not_estimable(options, design, specs.missing_reason)
    weights = _unit_weights(design.n_units, n_boot, seed, design.unit_cluster)
    sums, counts = _pair_sums(weights, design, specs.pairs)
    draws = _CellDraws(specs=specs, att=_cell_att(sums, counts, specs))
    return _result(options, design, draws, _cohort_sizes(weights, design))


def naive_before_after(panel: Panel) -> float:
    """Average over treated units of (mean outcome from training on) - (mean outcome before).

    The figure commercial tools show; biased by trends, seasons and mean reversion.
    """
    design = _design(panel, anticipation=0)
    treated = design.unit_group > 0
    after = design.periods[None, :] >= design.unit_group[treated, None]
    y = design.y[treated]
    change = _row_mean(y, after) - _row_mean(y, ~after)
    return float(_finite_mean(change[None, :])[0])


def naive_trained_vs_untrained(panel: Panel) -> float:
    """Trained units' mean outcome after training minus never-trained units' mean, month by month.

    Each period compares the trained units already past training with the never-trained units in
    that same period; periods are weighted by their number of trained observations. Biased by
    selection: the best reps train first.
    """
    design = _design(panel, anticipation=0)
    observed = np.isfinite(design.y)
    group = design.unit_group[:, None]
    trained = (group > 0) & (design.periods[None, :] >= group) & observed
    untrained = (group == 0) & observed
    gap = _column_mean(design.y, trained) - _column_mean(design.y, untrained)
    n_trained = trained.sum(axis=0).astype(np.float64)
    return float(_weighted_mean(gap[None, :], n_trained[None, :])[0])


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


def _as_integers(values: ArrayLike, name: str) -> IntArray:
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    as_float = array.astype(np.float64)
    if not np.all(np.isfinite(as_float)) or not np.all(as_float == np.round(as_float)):
        raise ValueError(f"{name} must hold whole numbers")
    return as_float.astype(np.int64)


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


# --- Which cells, with which comparison units ---------------------------------------------------


@dataclass(frozen=True, eq=False)
class _CellSpecs:
    group: IntArray
    period: IntArray
    base: IntArray
    cohort: IntArray  # index of the treated cohort in _Design.blocks
    pair: IntArray  # index into `pairs`
    controls: tuple[tuple[int, ...], ...]  # block indices of the comparison units
    pairs: IntArray  # (n_pairs, 2): period index of t and of the base period
    n_treated: IntArray
    n_control: IntArray
    missing_reason: str = ""

    @property
    def is_post(self) -> BoolArray:
        return self.period >= self.group

    def keep_identified(self, sizes: FloatArray) -> _CellSpecs:
        """Keep the cells with treated and comparison units observed at both t and the base.

        `sizes[block, pair]` counts the units of a block observed at both periods of a pair.
        """
        n_treated = sizes[self.cohort, self.pair]
        n_control = np.array(
            [sizes[list(c), p].sum() for c, p in zip(self.controls, self.pair, strict=True)]
        )
        keep = (n_treated > 0) & (n_control > 0)
        post_treated = self.is_post & (n_treated > 0)
        reason = "no comparison units" if post_treated.any() else "no post-treatment observations"
        return _CellSpecs(
            group=self.group[keep],
            period=self.period[keep],
            base=self.base[keep],
            cohort=self.cohort[keep],
            pair=self.pair[keep],
            controls=tuple(c for c, k in zip(self.controls, keep, strict=True) if k),
            pairs=self.pairs,
            n_treated=n_treated[keep].astype(np.int64),
            n_control=n_control[keep].astype(np.int64),
            missing_reason=reason,
        )


def _cell_specs(design: _Design, options: _Options) -> _CellSpecs:
    rows: list[tuple[int, int, int, int, tuple[int, ...]]] = []
    for cohort, g in enumerate(design.cohorts.tolist()):
        for t_index, b_index in _cell_periods(design.periods, g, options):
            t, base = int(design.periods[t_index]), int(design.periods[b_index])
            controls = _control_blocks(design, cohort, max(t, base) + options.anticipation, options)
            if design.n_base_columns and t >= g:
                # The base is the cohort's window average, stored after the period columns.
                b_index = design.periods.size + cohort
            rows.append((g, t_index, b_index, cohort, controls))
    pair_keys = sorted({(t_index, b_index) for _, t_index, b_index, _, _ in rows})
    pair_of = {key: n for n, key in enumerate(pair_keys)}
    # The period of each column of design.y; a cohort's window-average column is labelled with the
    # last period of its window.
    periods = design.periods
    if design.n_base_columns:
        periods = np.concatenate([periods, design.cohorts - options.anticipation - 1])
    return _CellSpecs(
        group=np.array([r[0] for r in rows], dtype=np.int64),
        period=np.array([periods[r[1]] for r in rows], dtype=np.int64),
        base=np.array([periods[r[2]] for r in rows], dtype=np.int64),
        cohort=np.array([r[3] for r in rows], dtype=np.int64),
        pair=np.array([pair_of[(r[1], r[2])] for r in rows], dtype=np.int64),
        controls=tuple(r[4] for r in rows),
        pairs=np.array(pair_keys, dtype=np.int64).reshape(-1, 2),
        n_treated=np.zeros(len(rows), dtype=np.int64),
        n_control=np.zeros(len(rows), dtype=np.int64),
    )


def _cell_periods(periods: IntArray, g: int, options: _Options) -> list[tuple[int, int]]:
    """(t, base) period indices of the cells of cohort g.

    The base of a post-treatment cell is the last period before g - anticipation (g - 1 with
    consecutive periods and no anticipation). With a varying base a pre-treatment cell compares
    t with t - 1, so pre-period cells are short placebo differences; with a universal base every
    cell is a long difference from g - 1 and the base period itself is not a cell. As in `did`,
    the first period is a cell only with a universal base.
    """
    last_untreated = int(np.searchsorted(periods, g - options.anticipation)) - 1
    first_t = 1 if options.base_period == "varying" else 0
    cells = []
    for t_index in range(first_t, periods.size):
        is_post = periods[t_index] >= g
        varying_pre = options.base_period == "varying" and not is_post
        b_index = t_index - 1 if varying_pre else last_untreated
        if b_index != t_index:
            cells.append((t_index, b_index))
    return cells


def _control_blocks(
    design: _Design, cohort: int, horizon: int, options: _Options
) -> tuple[int, ...]:
    """Never-treated units, plus with "not_yet_treated" every other cohort first treated after
    `horizon` = max(t, base) + anticipation, i.e. untreated (and not anticipating) in both periods.
    """
    if options.comparison == "never_treated":
        return (design.never_index,)
    later = [c for c, g in enumerate(design.cohorts.tolist()) if g > horizon and c != cohort]
    return (*later, design.never_index)


# --- Bootstrap ----------------------------------------------------------------------------------


def _unit_weights(
    n_units: int, n_boot: int, seed: int, unit_cluster: IntArray | None = None
) -> FloatArray:
    """Row 0 weighs every unit once (the estimate); rows 1.. count each unit's copies in a
    resample of n_units units drawn with replacement (the bootstrap draws). With clusters, whole
    clusters are drawn and each unit weighs as many times as its cluster was drawn."""
    rng = np.random.default_rng(seed)
    if unit_cluster is not None:
        n_clusters = int(unit_cluster.max()) + 1 if unit_cluster.size else 0
        cluster_counts = _unit_weights(n_clusters, n_boot, seed)[1:]
        return np.vstack([np.ones((1, n_units)), cluster_counts[:, unit_cluster]])
    picks = rng.integers(0, n_units, size=(n_boot, n_units))
    picks += np.arange(n_boot)[:, None] * n_units
    counts = np.bincount(picks.ravel(), minlength=n_boot * n_units).reshape(n_boot, n_units)
    return np.vstack([np.ones((1, n_units)), counts.astype(np.float64)])


def _pair_sums(
    weights: FloatArray, design: _Design, pairs: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Weighted sums of Y_t - Y_base and weighted counts of units observed at both periods, by
    block, weight row and (t, base) pair: arrays of shape (n_blocks, n_rows, n_pairs).

    Fully observed units take the cheap path: one product with the level matrix, differenced
    after, instead of one column per pair. Only units with gaps need the per-pair product.
    """
    t_index, b_index = pairs[:, 0], pairs[:, 1]
    shape = (len(design.blocks), weights.shape[0], pairs.shape[0])
    sums, counts = np.zeros(shape), np.zeros(shape)
    for index, block in enumerate(design.blocks):
        full = weights[:, block.full]
        if full.shape[1]:
            level = full @ design.y[block.full]
            sums[index] += level[:, t_index] - level[:, b_index]
            counts[index] += full.sum(axis=1)[:, None]
        partial = weights[:, block.partial]
        if partial.shape[1]:
            y = design.y[block.partial]
            both = np.isfinite(y[:, t_index]) & np.isfinite(y[:, b_index])
            sums[index] += partial @ np.where(both, y[:, t_index] - y[:, b_index], 0.0)
            counts[index] += partial @ both.astype(np.float64)
    return sums, counts


def _cell_att(sums: FloatArray, counts: FloatArray, specs: _CellSpecs) -> FloatArray:
    """ATT(g, t) for every weight row: the 2x2 DiD of the cell's treated and comparison means.

    Without covariates `did`'s doubly robust estimate reduces to exactly this.
    """
    att = np.empty((sums.shape[1], specs.group.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        for cell, (cohort, pair) in enumerate(zip(specs.cohort, specs.pair, strict=True)):
            controls = list(specs.controls[cell])
            treated = sums[cohort, :, pair] / counts[cohort, :, pair]
            control = sums[controls, :, pair].sum(axis=0) / counts[controls, :, pair].sum(axis=0)
            att[:, cell] = treated - control
    return att


def _cohort_sizes(weights: FloatArray, design: _Design) -> FloatArray:
    """Units per treated cohort in every weight row: the group-size weights of the aggregations
    (C&S's P(G = g), re-estimated in each draw)."""
    sizes = [
        weights[:, block.full].sum(axis=1) + weights[:, block.partial].sum(axis=1)
        for block in design.blocks[: design.never_index]
    ]
    return np.stack(sizes, axis=1)


# --- Aggregations (C&S section 3; `did::aggte`) -------------------------------------------------


@dataclass(frozen=True, eq=False)
class _CellDraws:
    specs: _CellSpecs
    att: FloatArray  # (n_rows, n_cells); row 0 the estimate, rows 1.. the bootstrap draws


@dataclass(frozen=True, eq=False)
class _Aggregated:
    keys: IntArray
    by: FloatArray  # (n_rows, n_keys)
    overall: FloatArray  # (n_rows,)


def _weighted_mean(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Row-wise weighted mean over columns, skipping undefined values."""
    defined = np.isfinite(values)
    weights = np.where(defined, weights, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.sum(np.where(defined, values, 0.0) * weights, axis=1) / np.sum(
            weights, axis=1
        )
    return result


def _finite_mean(values: FloatArray) -> FloatArray:
    return _weighted_mean(values, np.ones_like(values))


def _cell_weights(draws: _CellDraws, sizes: FloatArray) -> FloatArray:
    return sizes[:, draws.specs.cohort]


def _simple(draws: _CellDraws, sizes: FloatArray) -> FloatArray:
    """Post-treatment cells averaged with weights proportional to group size."""
    post = draws.specs.is_post
    return _weighted_mean(draws.att[:, post], _cell_weights(draws, sizes)[:, post])


def _by_group(draws: _CellDraws, sizes: FloatArray) -> _Aggregated:
    """Per group the plain mean of its post cells; overall weighted by group size."""
    specs = draws.specs
    cohorts = np.unique(specs.cohort[specs.is_post])
    by = np.stack(
        [_finite_mean(draws.att[:, specs.is_post & (specs.cohort == c)]) for c in cohorts], axis=1
    )
    keys = np.array([specs.group[specs.cohort == c][0] for c in cohorts], dtype=np.int64)
    return _Aggregated(keys, by, _weighted_mean(by, sizes[:, cohorts]))


def _by_event_time(draws: _CellDraws, sizes: FloatArray) -> _Aggregated:
    """Per event time e = t - g the group-size-weighted mean; overall the plain mean over e >= 0
    (pre-treatment event times are placebo checks, not part of the effect)."""
    event = draws.specs.period - draws.specs.group
    keys = np.unique(event)
    weights = _cell_weights(draws, sizes)
    by = np.stack(
        [_weighted_mean(draws.att[:, event == e], weights[:, event == e]) for e in keys], 1
    )
    return _Aggregated(keys, by, _finite_mean(by[:, keys >= 0]))


def _by_calendar(draws: _CellDraws, sizes: FloatArray) -> _Aggregated:
    """Per period t the group-size-weighted mean of groups already treated; overall the plain
    mean over those periods."""
    specs = draws.specs
    periods = specs.period[specs.is_post]
    keys = np.unique(periods)
    weights = _cell_weights(draws, sizes)
    columns = [specs.is_post & (specs.period == t) for t in keys]
    by = np.stack([_weighted_mean(draws.att[:, c], weights[:, c]) for c in columns], axis=1)
    return _Aggregated(keys, by, _finite_mean(by))


# --- Summaries ----------------------------------------------------------------------------------


def _summaries(values: FloatArray, ci_level: float) -> list[Estimate]:
    """Estimates from row 0 and SE / percentile interval from the draws, column by column."""
    point, boot = values[0], values[1:]
    quantiles = [(1.0 - ci_level) / 2.0, (1.0 + ci_level) / 2.0]
    if np.isfinite(boot).all():
        se = boot.std(axis=0, ddof=1)
        low, high = np.quantile(boot, quantiles, axis=0)
    else:
        with warnings.catch_warnings():
            # Columns with no defined draw give NaN, which is the right answer for them.
            warnings.simplefilter("ignore", RuntimeWarning)
            se = np.nanstd(boot, axis=0, ddof=1)
            low, high = np.nanquantile(boot, quantiles, axis=0)
    return [
        Estimate(float(a), float(s), float(lo), float(hi))
        for a, s, lo, hi in zip(point, se, low, high, strict=True)
    ]


def _aggregation(aggregated: _Aggregated, ci_level: float) -> Aggregation:
    by = _summaries(aggregated.by, ci_level)
    overall = _summaries(aggregated.overall[:, None], ci_level)[0]
    return Aggregation(by=dict(zip(aggregated.keys.tolist(), by, strict=True)), overall=overall)


def _pre_trend(dynamic: _Aggregated, anticipation: int) -> PreTrendCheck | None:
    # Event times within the anticipation window may carry real effects; they are not placebos.
    pre = dynamic.keys < -anticipation
    point, boot = dynamic.by[0, pre], dynamic.by[1:, pre]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.nanstd(boot, axis=0, ddof=1)
    usable = np.isfinite(point) & np.isfinite(se) & (se > 0)
    if not usable.any():
        return None
    observed = float(np.max(np.abs(point[usable] / se[usable])))
    centred = np.abs((boot[:, usable] - point[usable]) / se[usable])
    draw_max = np.max(np.where(np.isfinite(centred), centred, -np.inf), axis=1)
    draw_max = draw_max[np.isfinite(draw_max)]
    p_value = float(np.mean(draw_max >= observed)) if draw_max.size else float("nan")
    return PreTrendCheck(
        n_pre_periods=int(usable.sum()),
        max_abs_t=observed,
        p_value=p_value,
        is_clean=bool(p_value >= PRE_TREND_ALPHA),
    )


def _group_time_effects(draws: _CellDraws, ci_level: float) -> tuple[GroupTimeEffect, ...]:
    specs = draws.specs
    return tuple(
        GroupTimeEffect(
            group=int(g),
            period=int(t),
            base=int(b),
            att=e.att,
            se=e.se,
            ci_low=e.ci_low,
            ci_high=e.ci_high,
            n_treated=int(nt),
            n_control=int(nc),
        )
        for g, t, b, nt, nc, e in zip(
            specs.group,
            specs.period,
            specs.base,
            specs.n_treated,
            specs.n_control,
            _summaries(draws.att, ci_level),
            strict=True,
        )
    )


def _sensitivity(dynamic: _Aggregated, simple: Estimate, anticipation: int) -> Sensitivity | None:
    pre = dynamic.by[0, dynamic.keys < -anticipation]
    pre = np.abs(pre[np.isfinite(pre)])
    if not pre.size or not np.isfinite(simple.att):
        return None
    bias_per_m = float(pre.max())
    margin = simple.ci_low if simple.att > 0 else -simple.ci_high
    if not np.isfinite(margin) or bias_per_m <= 0:
        return None
    return Sensitivity(
        max_pre_violation=float(pre.max()),
        bias_per_m=bias_per_m,
        breakdown_m=max(0.0, float(margin) / bias_per_m),
    )


def _result(options: _Options, design: _Design, draws: _CellDraws, sizes: FloatArray) -> DidResult:
    simple = _simple(draws, sizes)
    dynamic = _by_event_time(draws, sizes)
    simple_estimate = _summaries(simple[:, None], options.ci_level)[0]
    return DidResult(
        estimable=True,
        reason=None,
        **_header(options, design),
        cells=_group_time_effects(draws, options.ci_level),
        simple=simple_estimate,
        group=_aggregation(_by_group(draws, sizes), options.ci_level),
        dynamic=_aggregation(dynamic, options.ci_level),
        calendar=_aggregation(_by_calendar(draws, sizes), options.ci_level),
        boot_simple=simple[1:],
        pre_trend=_pre_trend(dynamic, options.anticipation),
        sensitivity=_sensitivity(dynamic, simple_estimate, options.anticipation),
        boot_dynamic=dynamic.by[1:],
    )


def _not_estimable(options: _Options, design: _Design, reason: str) -> DidResult:
    return DidResult(
        estimable=False,
        reason=reason,
        **_header(options, design),
        cells=(),
        simple=None,
        group=None,
        dynamic=None,
        calendar=None,
        boot_simple=np.empty(0),
        pre_trend=None,
    )


class _Header(TypedDict):
    comparison: Comparison
    base_period: BasePeriod
    anticipation: int
    n_boot: int
    seed: int
    ci_level: float
    n_units: int
    n_treated_units: int
    n_never_treated_units: int
    n_dropped_always_treated: int
    n_clusters: int


def _header(options: _Options, design: _Design) -> _Header:
    never = design.blocks[design.never_index]
    return {
        "comparison": options.comparison,
        "base_period": options.base_period,
        "anticipation": options.anticipation,
        "n_boot": options.n_boot,
        "seed": options.seed,
        "ci_level": options.ci_level,
        "n_units": design.n_units,
        "n_treated_units": design.n_treated_units,
        "n_never_treated_units": never.partial.stop - never.full.start,
        "n_dropped_always_treated": design.n_dropped_always_treated,
        "n_clusters": design.n_clusters,
    }


# --- Row and column means with missing values ---------------------------------------------------


def _row_mean(y: FloatArray, mask: BoolArray) -> FloatArray:
    use = mask & np.isfinite(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(use, y, 0.0).sum(axis=1) / use.sum(axis=1)
    return result


def _column_mean(y: FloatArray, mask: BoolArray) -> FloatArray:
    return _row_mean(y.T, mask.T)
