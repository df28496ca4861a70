"""Aggregations of the group-time effects (C&S section 3; `did::aggte`), their summaries, the
pre-trend check and the sensitivity bound, and the result they make."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from scipy.stats import f as f_distribution

from roi.estimators.did.cells import _CellSpecs
from roi.estimators.did.design import _Design, _Options
from roi.estimators.did.types import (
    PRE_TREND_ALPHA,
    PRE_TREND_MONTHS,
    Aggregation,
    BasePeriod,
    BoolArray,
    Comparison,
    DidResult,
    Estimate,
    FloatArray,
    GroupTimeEffect,
    IntArray,
    PreTrendCheck,
    Sensitivity,
)

# --- Aggregations (C&S section 3; `did::aggte`) -------------------------------------------------

# An event time undefined in more draws than this (no treated or comparison unit drawn) is not
# tested: its covariance would rest on a selected subset of draws.
MIN_DEFINED_DRAWS = 0.95


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


def _pre_trend(
    dynamic: _Aggregated, anticipation: int, structure: _TestedMonths
) -> PreTrendCheck | None:
    """Wald test that the event-study effects of the PRE_TREND_MONTHS months before training (or
    before the anticipation window, whose months may carry real effects) are all zero, with the
    covariance of their bootstrap draws and a small-sample F reference.

    The covariance of the k tested months is estimated from the resampled units (reps, or
    teams), and how much it can be trusted depends on how many units each month rests on, not
    on how many were resampled: with one or two trained reps per training month a month rests
    on a handful of reps. The statistic is referred to Hotelling's T-squared law with nu
    degrees of freedom, F = W (nu - k) / (k (nu - 1)) against F(k, nu - k), where nu combines
    eta, the effective number of clusters of Pustejovsky & Tipton (2018, "Small-sample methods
    for cluster-robust variance estimation and hypothesis testing in fixed effects models",
    JBES 36(4): the "HTZ" test; see `_TestedMonths.effective_clusters`), with the finite number
    of bootstrap draws the covariance is read from (their two inflations of E[W] multiply).
    With G clusters that weigh alike eta is G and the test is Hotelling's exact one.
    The months nearest to training come first, and at most eta / 3 of them are tested: the
    Wishart approximation holds when the covariance rests on several effective clusters per
    tested month (Monte Carlo in docs/roi.md, 40 reps trained one or two a month, eta about 18:
    12 months tested rejected none of 300 clean designs, 9 months 2%, 6 months 5%). Months
    further back are shown, not tested; with eta below 3 (a few teams) nothing is tested."""
    keys = dynamic.keys
    window = (keys < -anticipation) & (keys >= -anticipation - PRE_TREND_MONTHS)
    point, boot = dynamic.by[0], dynamic.by[1:]
    defined = np.isfinite(boot).mean(axis=0) >= MIN_DEFINED_DRAWS
    candidates = np.flatnonzero(window & np.isfinite(point) & defined)[::-1]
    etas = structure.effective_clusters(keys[candidates])
    fits = np.flatnonzero(np.isfinite(etas) & (np.arange(1, candidates.size + 1) <= etas / 3))
    n_tested = int(fits[-1]) + 1 if fits.size else 0
    usable, eta = candidates[:n_tested], float(etas[n_tested - 1]) if n_tested else 0.0
    draws = boot[:, usable]
    draws = draws[np.isfinite(draws).all(axis=1)]
    if not usable.size or draws.shape[0] <= usable.size + 2:
        return None
    covariance = np.atleast_2d(np.cov(draws, rowvar=False))
    se = np.sqrt(np.diag(covariance))
    if not (se > 0).all():
        return None
    wald = float(point[usable] @ np.linalg.pinv(covariance) @ point[usable])
    k = int(np.linalg.matrix_rank(covariance))
    nu = _hotelling_df(eta, n_draws=draws.shape[0], k=k)
    f_stat = wald * (nu - k) / (k * (nu - 1))
    p_value = float(f_distribution.sf(f_stat, k, nu - k))
    return PreTrendCheck(
        n_pre_periods=int(usable.size),
        max_abs_t=float(np.max(np.abs(point[usable] / se))),
        f_stat=f_stat,
        df=(k, round(nu - k, 1)),
        p_value=p_value,
        is_clean=bool(p_value >= PRE_TREND_ALPHA),
        n_candidate_periods=int(candidates.size),
    )


def _hotelling_df(eta: float, *, n_draws: int, k: int) -> float:
    """Degrees of freedom nu of a covariance estimated from data worth eta clusters and read off
    `n_draws` bootstrap draws: the Wishart inverse means multiply, nu / (nu - k - 1) =
    eta / (eta - k - 1) * (n_draws - 1) / (n_draws - k - 2). With 999 draws nu is a little
    below eta; with 199 draws and 12 months the draws alone would inflate W by 7%."""
    inflation = eta / (eta - k - 1) * (n_draws - 1) / (n_draws - k - 2)
    return (k + 1) * inflation / (inflation - 1)


@dataclass(frozen=True, eq=False)
class _TestedMonths:
    """How the event-study months before training rest on the units: enough to count the
    effective clusters behind a set of them."""

    specs: _CellSpecs
    design: _Design
    sizes: FloatArray  # units per treated cohort (row 0 of the draws)

    def effective_clusters(self, event_times: IntArray) -> FloatArray:
        """eta of Pustejovsky & Tipton (2018), section 3.2: k (k + 1) / sum_c [tr(Q_c)^2 +
        tr(Q_c^2)], with Q_c = Omega^-1/2 P_c Omega^-1/2, P_c the working covariance of cluster
        c's contribution to the k event-time effects and Omega their sum: the degrees of
        freedom of the Wishart law whose mean and total variance match the covariance
        estimate's. The working model: every outcome y_it independent with one variance (the
        two-way model's errors); the effects are linear in the outcomes with the weights of the
        point estimate (cohort shares of each month, 1 / n over a cell's treated and
        comparison units, y_t minus its base). One eta per leading subset: the first month,
        the first two, ... of `event_times`."""
        event = self.specs.period - self.specs.group
        return self._etas([np.flatnonzero(event == e) for e in event_times.tolist()])

    def overall_effective_clusters(self, defined: BoolArray) -> float:
        """eta behind the overall (simple) effect: its post-training cells that are `defined`,
        weighted by cohort size as the estimate weighs them. For k = 1 it is (sum_c p_c)^2 /
        sum_c p_c^2, p_c the working variance of cluster c's contribution; G when G clusters
        weigh alike."""
        return float(self._etas([np.flatnonzero(self.specs.is_post & defined)])[0])

    def _etas(self, effects: list[IntArray]) -> FloatArray:
        """eta for the leading subsets of `effects`, each the cells whose cohort-size-weighted
        mean is one of the tested effects."""
        specs, design = self.specs, self.design
        k = len(effects)
        weights = np.zeros((design.n_units, k, design.y.shape[1]))
        for row, cells in enumerate(effects):
            share = self.sizes[specs.cohort[cells]]
            share = share / share.sum()
            for cell, w in zip(cells.tolist(), share.tolist(), strict=True):
                t_index, b_index = specs.pairs[specs.pair[cell]]
                seen = np.isfinite(design.y[:, t_index]) & np.isfinite(design.y[:, b_index])
                treated = _in_blocks(design, (int(specs.cohort[cell]),)) & seen
                control = _in_blocks(design, specs.controls[cell]) & seen
                for sign, rows in ((w / treated.sum(), treated), (-w / control.sum(), control)):
                    weights[rows, row, t_index] += sign
                    weights[rows, row, b_index] -= sign
        per_unit = np.einsum("ikp,ilp->ikl", weights, weights)
        cluster = np.arange(design.n_units) if design.unit_cluster is None else design.unit_cluster
        per_cluster = np.zeros((design.n_clusters, k, k))
        np.add.at(per_cluster, cluster, per_unit)
        etas = np.empty(k)
        for n in range(1, k + 1):
            block = per_cluster[:, :n, :n]
            # Omega^-1 P_c has the traces of Q_c and of its square
            scaled = np.linalg.pinv(block.sum(axis=0)) @ block
            trace = np.trace(scaled, axis1=1, axis2=2)
            trace_sq = np.einsum("gij,gji->g", scaled, scaled)
            etas[n - 1] = n * (n + 1) / np.sum(trace**2 + trace_sq)
        return etas


def _in_blocks(design: _Design, blocks: tuple[int, ...]) -> BoolArray:
    rows = np.zeros(design.n_units, dtype=np.bool_)
    for index in blocks:
        block = design.blocks[index]
        rows[block.full] = True
        rows[block.partial] = True
    return rows


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
    structure = _TestedMonths(draws.specs, design, sizes[0])
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
        pre_trend=_pre_trend(dynamic, options.anticipation, structure),
        sensitivity=_sensitivity(dynamic, simple_estimate, options.anticipation),
        boot_dynamic=dynamic.by[1:],
        simple_effective_clusters=structure.overall_effective_clusters(np.isfinite(draws.att[0])),
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
