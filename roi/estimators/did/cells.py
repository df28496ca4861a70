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
    weights = np.empty((n_boot + 1, n_units))
    weights[0] = 1.0
    weights[1:] = np.bincount(picks.ravel(), minlength=n_boot * n_units).reshape(n_boot, n_units)
    return weights


def _block_rows(design: _Design) -> tuple[IntArray, IntArray]:
    """First and end row of every block: a block's fully observed units and then its others
    are contiguous, and the blocks follow one another (treated cohorts, the never treated)."""
    starts = np.array([block.full.start for block in design.blocks], dtype=np.int64)
    stops = np.array([block.partial.stop for block in design.blocks], dtype=np.int64)
    return starts, stops


def _pair_differences(design: _Design, pairs: IntArray) -> tuple[FloatArray, BoolArray]:
    """Per unit and (t, base) pair: Y_t - Y_base where both are observed (else 0), and whether
    they are; arrays of shape (n_units, n_pairs)."""
    later, base = design.y[:, pairs[:, 0]], design.y[:, pairs[:, 1]]
    both = np.isfinite(later) & np.isfinite(base)
    with np.errstate(invalid="ignore"):
        return np.where(both, later - base, 0.0), both


def _observed_in_both(design: _Design, pairs: IntArray) -> FloatArray:
    """Units of each block observed at both periods of each pair: shape (n_blocks, n_pairs)."""
    starts, stops = _block_rows(design)
    both = _pair_differences(design, pairs)[1].astype(np.float64)
    running = np.vstack([np.zeros((1, both.shape[1])), np.cumsum(both, axis=0)])
    counts: FloatArray = running[stops] - running[starts]
    return counts


def _cell_sums(
    weights: FloatArray, design: _Design, specs: _CellSpecs
) -> tuple[FloatArray, FloatArray]:
    """Weighted sums of Y_t - Y_base and weighted counts of the units observed at both periods,
    over each cell's treated units and over its comparison units, for every weight row: arrays
    of shape (2, n_rows, n_cells), [0] the treated and [1] the comparison units.

    The comparison units of a cell are every block from some block on (later cohorts, then the
    never treated), less the cell's own cohort when it lies among them (pre-treatment cells with
    "not_yet_treated"), whose sums are then subtracted. Fully observed units take the cheap path:
    one product of each block's weights with its levels, summed over the blocks from the last
    and differenced per cell. Units with gaps need one product per pair: one per treated cohort
    (its units, the pairs of its cells) and one per first comparison block.
    """
    first = np.array([min(controls) for controls in specs.controls], dtype=np.int64)
    n_blocks = len(design.blocks)
    for cell, controls in enumerate(specs.controls):
        expected = set(range(int(first[cell]), n_blocks)) - {int(specs.cohort[cell])}
        if set(controls) != expected:
            raise AssertionError("comparison blocks must be a run of blocks to the last")
    sums, counts = _full_unit_sums(weights, design, specs, first)
    _add_gapped_unit_sums(sums, counts, weights, design, specs, first)
    own_inside = np.flatnonzero(specs.cohort >= first)
    sums[1][:, own_inside] -= sums[0][:, own_inside]
    counts[1][:, own_inside] -= counts[0][:, own_inside]
    return sums, counts


def _full_unit_sums(
    weights: FloatArray, design: _Design, specs: _CellSpecs, first: IntArray
) -> tuple[FloatArray, FloatArray]:
    """_cell_sums over the fully observed units, the comparison side over all blocks from
    `first` on."""
    cohort = specs.cohort
    t_index, b_index = specs.pairs[specs.pair, 0], specs.pairs[specs.pair, 1]
    # (n_rows, n_blocks + 1, n_columns) levels, the last block empty.
    level = np.zeros((weights.shape[0], len(design.blocks) + 1, design.y.shape[1]))
    size = np.zeros((weights.shape[0], len(design.blocks) + 1))
    for index, block in enumerate(design.blocks):
        if block.full.stop > block.full.start:
            full = weights[:, block.full]
            level[:, index] = full @ design.y[block.full]
            size[:, index] = full.sum(axis=1)
    from_block = np.cumsum(level[:, ::-1], axis=1)[:, ::-1]
    size_from = np.cumsum(size[:, ::-1], axis=1)[:, ::-1]
    sums = np.stack(
        [
            level[:, cohort, t_index] - level[:, cohort, b_index],
            from_block[:, first, t_index] - from_block[:, first, b_index],
        ]
    )
    return sums, np.stack([size[:, cohort], size_from[:, first]])


def _add_gapped_unit_sums(
    sums: FloatArray,
    counts: FloatArray,
    weights: FloatArray,
    design: _Design,
    specs: _CellSpecs,
    first: IntArray,
) -> None:
    """Add the units with gaps to _cell_sums' `sums` and `counts`, gathered block after block:
    one product per treated cohort (its own units) and per first comparison block (a run of
    blocks to the last), over the pairs of their cells."""
    blocks = design.blocks
    partial = np.concatenate([np.arange(b.partial.start, b.partial.stop) for b in blocks])
    if not partial.size:
        return
    starts = np.cumsum([0] + [b.partial.stop - b.partial.start for b in blocks])
    differences, both = _pair_differences(design, specs.pairs)
    values = np.hstack([differences[partial], both[partial].astype(np.float64)])
    n_pairs = specs.pairs.shape[0]
    gapped = weights[:, partial]
    for side, keys in ((0, specs.cohort), (1, first)):
        for key in np.unique(keys).tolist():
            rows = slice(starts[key], starts[key + 1] if side == 0 else partial.size)
            if rows.stop <= rows.start:
                continue
            cells = np.flatnonzero(keys == key)
            pairs, position = np.unique(specs.pair[cells], return_inverse=True)
            product = gapped[:, rows] @ values[rows][:, np.concatenate([pairs, pairs + n_pairs])]
            sums[side][:, cells] += product[:, position]
            counts[side][:, cells] += product[:, pairs.size + position]


def _cell_att(sums: FloatArray, counts: FloatArray) -> FloatArray:
    """ATT(g, t) for every weight row: the 2x2 DiD of the cell's treated and comparison means.

    Without covariates `did`'s doubly robust estimate reduces to exactly this.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        att: FloatArray = sums[0] / counts[0] - sums[1] / counts[1]
    return att


def _cohort_sizes(weights: FloatArray, design: _Design) -> FloatArray:
    """Units per treated cohort in every weight row: the group-size weights of the aggregations
    (C&S's P(G = g), re-estimated in each draw)."""
    starts, _stops = _block_rows(design)
    treated = starts[: design.never_index]
    sizes: FloatArray = np.add.reduceat(weights[:, : starts[design.never_index]], treated, axis=1)
    return sizes
