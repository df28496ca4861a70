"""The design check of a study: what it can detect, and how wrong a "significant" estimate
from it tends to be.

A. Gelman and J. Carlin (2014), "Beyond Power Calculations: Assessing Type S (Sign) and Type M
(Magnitude) Errors", Perspectives on Psychological Science 9(6), 641-651. For a true effect A and
an estimate normally distributed around it with standard error s (here the bootstrap SE):

- power: the chance the 95% interval excludes zero;
- type S: the chance a significant estimate has the wrong sign;
- exaggeration (type M): the expected |estimate| / A given significance.

Closed forms from the normal distribution (their `retrodesign` simulates the same quantities).
Pure Python: no Django here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm


@dataclass(frozen=True)
class DesignCheck:
    planned_effect: float
    se: float
    power: float
    type_s: float
    exaggeration: float


def design_check(*, planned_effect: float, se: float, ci_level: float = 0.95) -> DesignCheck | None:
    """Power, type S error and exaggeration ratio for a true effect `planned_effect` (> 0, in
    the metric's units) and standard error `se`; None when either is not a positive number."""
    effect = abs(planned_effect)
    if not (math.isfinite(effect) and math.isfinite(se)) or effect <= 0 or se <= 0:
        return None
    z = float(norm.ppf(1.0 - (1.0 - ci_level) / 2.0))
    lam = effect / se
    p_high = float(norm.sf(z - lam))  # estimate significant and positive
    p_low = float(norm.cdf(-z - lam))  # estimate significant and negative
    power = p_high + p_low
    # E[|X| ; X > zs] + E[-X ; X < -zs] for X ~ N(A, s), from the truncated normal's mean.
    upper = effect * p_high + se * float(norm.pdf(z - lam))
    lower = -effect * p_low + se * float(norm.pdf(-z - lam))
    exaggeration = (upper + lower) / power / effect if power > 0 else math.inf
    return DesignCheck(
        planned_effect=effect,
        se=float(se),
        power=power,
        type_s=p_low / power if power > 0 else 0.5,
        exaggeration=exaggeration,
    )
