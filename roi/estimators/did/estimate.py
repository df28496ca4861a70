"""The entry points: `estimate` and the naive figures shown beside it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from roi.estimators.did.aggregate import (
    _CellDraws,
    _finite_mean,
    _not_estimable,
    _result,
    _weighted_mean,
)
from roi.estimators.did.cells import (
    _cell_att,
    _cell_specs,
    _cell_sums,
    _cohort_sizes,
    _observed_in_both,
    _unit_weights,
)
from roi.estimators.did.design import (
    _check_options,
    _column_mean,
    _design,
    _Options,
    _row_mean,
)
from roi.estimators.did.types import (
    BasePeriod,
    Comparison,
    DidResult,
    Panel,
)


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
    specs = specs.keep_identified(_observed_in_both(design, specs.pairs))
    if not specs.is_post.any():
        return _not_estimable(options, design, specs.missing_reason)
    weights = _unit_weights(design.n_units, n_boot, seed, design.unit_cluster)
    sums, counts = _cell_sums(weights, design, specs)
    draws = _CellDraws(specs=specs, att=_cell_att(sums, counts))
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
