"""Many comparisons: the Benjamini-Hochberg procedure with the Benjamini-Yekutieli correction.

Y. Benjamini and Y. Hochberg (1995), "Controlling the False Discovery Rate: A Practical and
Powerful Approach to Multiple Testing", JRSS B 57(1), 289-300. Among m tests with p-values
p_(1) <= ... <= p_(m), reject the k smallest where k is the largest i with p_(i) <= i q / m.
The expected share of false findings among the findings is then at most q for independent or
positively dependent tests; when no effect is real it is the chance of any finding at all.

Y. Benjamini and D. Yekutieli (2001), "The control of the false discovery rate in multiple
testing under dependency", Annals of Statistics 29(4), 1165-1188: with q / c(m) in place of q,
c(m) = 1 + 1/2 + ... + 1/m, the bound holds whatever the dependence. The dashboard's tests are
dependent in ways nobody controls (programs share reps, months, comparison reps; metrics of one
program share deals), and "positively dependent" is not guaranteed for two-sided tests, so the
dashboard uses the corrected level. With one test it is plain Benjamini-Hochberg.

The p-values come from an estimate and its bootstrap standard error, read against Student's t
with (clusters - 1) degrees of freedom: a bootstrap over few resampled units (teams) understates
the spread, and the t reference is the usual small-sample correction (Cameron & Miller 2015).
The clusters are the effective ones (Pustejovsky & Tipton 2018, roi.estimators.did's
`simple_effective_clusters`): where a few of many resampled reps or teams were trained, the
spread rests on those few, not on all that were resampled.

Pure Python: no Django here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import t as student_t

FDR_LEVEL = 0.05


def two_sided_p(*, estimate: float, se: float, clusters: float | None = None) -> float:
    """Two-sided p-value of "no effect" from an estimate and its (bootstrap) standard error,
    against Student's t with `clusters` - 1 degrees of freedom (the normal when unknown);
    `clusters` may be an effective, fractional number."""
    if not (math.isfinite(estimate) and math.isfinite(se)) or se <= 0:
        return 1.0
    if clusters is not None and not clusters >= 2:
        return 1.0
    df = math.inf if clusters is None else float(clusters) - 1.0
    return float(2.0 * student_t.sf(abs(estimate) / se, df))


def dependence_factor(m: int) -> float:
    """Benjamini-Yekutieli's c(m) = 1 + 1/2 + ... + 1/m (1 for one test, or none)."""
    return max(1.0, sum(1.0 / i for i in range(1, m + 1)))


def benjamini_hochberg(
    p_values: Sequence[float], *, q: float = FDR_LEVEL, any_dependence: bool = False
) -> list[bool]:
    """Which of the tests are discoveries at false discovery rate `q`, in the input order.
    `any_dependence` applies the Benjamini-Yekutieli correction (q / c(m))."""
    m = len(p_values)
    level = q / dependence_factor(m) if any_dependence else q
    order = sorted(range(m), key=lambda i: p_values[i])
    k = 0
    for rank, i in enumerate(order, start=1):
        if p_values[i] <= rank * level / m:
            k = rank
    survivors = set(order[:k])
    return [i in survivors for i in range(m)]


def bh_adjusted(p_values: Sequence[float], *, any_dependence: bool = False) -> list[float]:
    """Adjusted p-values (q-values): a test is a discovery at level q when its value <= q.
    `any_dependence` multiplies them by Benjamini-Yekutieli's c(m)."""
    m = len(p_values)
    factor = dependence_factor(m) if any_dependence else 1.0
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    adjusted = [1.0] * m
    running = 1.0
    for position, i in enumerate(order):
        rank = m - position
        running = min(running, p_values[i] * m * factor / rank)
        adjusted[i] = min(running, 1.0)
    return adjusted
