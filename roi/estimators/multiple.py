"""Many comparisons: the Benjamini-Hochberg procedure.

Y. Benjamini and Y. Hochberg (1995), "Controlling the False Discovery Rate: A Practical and
Powerful Approach to Multiple Testing", JRSS B 57(1), 289-300. Among m tests with p-values
p_(1) <= ... <= p_(m), reject the k smallest where k is the largest i with p_(i) <= i q / m.
The expected share of false findings among the findings is then at most q (for independent or
positively dependent tests); when no effect is real it is the chance of any finding at all.

Pure Python: no Django here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import norm

FDR_LEVEL = 0.05


def two_sided_p(*, estimate: float, se: float) -> float:
    """Two-sided p-value of "no effect" from an estimate and its (bootstrap) standard error."""
    if not (math.isfinite(estimate) and math.isfinite(se)) or se <= 0:
        return 1.0
    return float(2.0 * norm.sf(abs(estimate) / se))


def benjamini_hochberg(p_values: Sequence[float], *, q: float = FDR_LEVEL) -> list[bool]:
    """Which of the tests are discoveries at false discovery rate `q`, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    k = 0
    for rank, i in enumerate(order, start=1):
        if p_values[i] <= rank * q / m:
            k = rank
    survivors = set(order[:k])
    return [i in survivors for i in range(m)]


def bh_adjusted(p_values: Sequence[float]) -> list[float]:
    """BH-adjusted p-values (q-values): a test is a discovery at level q when its value <= q."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    adjusted = [1.0] * m
    running = 1.0
    for position, i in enumerate(order):
        rank = m - position
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(running, 1.0)
    return adjusted
