"""The estimator's inputs and results: a long panel in, effects and their checks out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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
# It tests the months before training shown in the event study (-12 ... -1).
PRE_TREND_MONTHS = 12


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
    """Joint test that the pre-treatment event-time effects (the nearest of the
    PRE_TREND_MONTHS months before training) are all zero: a Wald statistic with the bootstrap
    covariance, referred to Hotelling's T-squared law F(k, nu - k) with nu the effective
    clusters behind that covariance (Pustejovsky & Tipton 2018; G for G resampled units that
    weigh alike, far fewer when one or two reps train each month) and its finite draws, so that
    its size stays near PRE_TREND_ALPHA with few clusters (teams), gradual rollouts and a dozen
    months. `df` is (k, nu - k)."""

    n_pre_periods: int
    # The largest |effect / se| among the tested months (shown; not the test statistic).
    max_abs_t: float
    p_value: float
    is_clean: bool
    f_stat: float = float("nan")
    df: tuple[int, float] = (0, 0.0)
    # Months before training the test could read (estimated, defined in nearly every draw); the
    # test reads the nearest n_pre_periods of them, as many as its covariance can carry.
    n_candidate_periods: int = 0


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
    # The effective number of clusters behind `simple`'s standard error (Pustejovsky & Tipton
    # 2018; n_clusters when they weigh alike, far fewer when a few reps or teams are trained):
    # its p-value's degrees of freedom are this minus one (roi.estimators.multiple).
    simple_effective_clusters: float | None = None

    @property
    def pre_trend_clean(self) -> bool | None:
        return None if self.pre_trend is None else self.pre_trend.is_clean


def _as_integers(values: ArrayLike, name: str) -> IntArray:
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    as_float = array.astype(np.float64)
    if not np.all(np.isfinite(as_float)) or not np.all(as_float == np.round(as_float)):
        raise ValueError(f"{name} must hold whole numbers")
    return as_float.astype(np.int64)
