"""How sure each number on the efficiency page is.

- Ratios over rep-months or deals (win rate, slip share, meeting advance rate, cycle days,
  bookings and meetings per rep-month) are ratios of sums, with a 95% interval that treats reps
  as the independent units: the linearised (delta-method) variance of a ratio estimator over
  reps and Student's t with reps - 1 degrees of freedom, as the ROI estimates count clusters.
  Fewer than MIN_REPS reps: the figure is shown without an interval.
- Medians (stage-advance days) get the distribution-free interval between two order statistics
  chosen from the binomial(n, 1/2) distribution; fewer than MIN_STAYS stays: no interval.
- Spend read from records (tools, program costs) is exact: it has no interval; its grade says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
LEVEL: Final = 0.95
MIN_REPS: Final = 3
MIN_STAYS: Final = 6


@dataclass(frozen=True)
class Figure:
    """A number, its 95% interval (None: not enough data for one) and how many units it rests
    on (reps for ratios, stays for medians)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "ci_low": self.low, "ci_high": self.high, "n": self.n}


def ratio_figure(
    numerators: FloatArray,
    denominators: FloatArray,
    *,
    scale: float = 1.0,
    bounds: tuple[float, float] | None = None,
) -> Figure:
    """sum(numerators) / sum(denominators) x scale; one entry per rep. Reps with a zero
    denominator carry no information and are left out."""
    keep = denominators > 0
    y, x = numerators[keep], denominators[keep]
    n = int(keep.sum())
    if n == 0 or x.sum() <= 0:
        return Figure(None, n=n)
    ratio = float(y.sum() / x.sum())
    if n < MIN_REPS:
        return Figure(ratio * scale, n=n)
    residuals = y - ratio * x
    se = math.sqrt(float((residuals**2).sum()) / (n * (n - 1))) / float(x.mean())
    t = float(stats.t.ppf(0.5 + LEVEL / 2, n - 1))
    low, high = (ratio - t * se) * scale, (ratio + t * se) * scale
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Figure(ratio * scale, low, high, n)


def median_figure(values: Sequence[float]) -> Figure:
    n = len(values)
    if n == 0:
        return Figure(None)
    ordered = sorted(values)
    median = float(np.median(ordered))
    if n < MIN_STAYS:
        return Figure(median, n=n)
    # The largest j with P(Binomial(n, 1/2) < j) <= (1 - LEVEL) / 2: [x(j), x(n - j + 1)].
    j = max(int(stats.binom.ppf((1 - LEVEL) / 2, n, 0.5)), 1)
    return Figure(median, float(ordered[j - 1]), float(ordered[n - j]), n)
