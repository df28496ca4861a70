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

Layout: `types` (the panel in, the results out), `design` (the panel as matrices), `cells`
(which ATT(g, t), against whom, and their bootstrap sums), `aggregate` (aggregations, summaries,
pre-trend check, sensitivity), `estimate` (the entry points). Import from this package; the
modules' underscored names are internals shared within it.
"""

from roi.estimators.did.estimate import estimate, naive_before_after, naive_trained_vs_untrained
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
    Panel,
    PreTrendCheck,
    Sensitivity,
)

__all__ = [
    "PRE_TREND_ALPHA",
    "PRE_TREND_MONTHS",
    "Aggregation",
    "BasePeriod",
    "BoolArray",
    "Comparison",
    "DidResult",
    "Estimate",
    "FloatArray",
    "GroupTimeEffect",
    "IntArray",
    "Panel",
    "PreTrendCheck",
    "Sensitivity",
    "estimate",
    "naive_before_after",
    "naive_trained_vs_untrained",
]
