"""Which group-time cells are estimated, against which comparison units; their bootstrap
sums."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from roi.estimators.did.design import _Design, _Options
from roi.estimators.did.types import (
    BoolArray,
    FloatArray,
    IntArray,
)

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
