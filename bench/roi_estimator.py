"""Time the staggered DiD estimator on a large simulated team.

Goal (ROI engine issue): one program and one metric, 5,000 reps x 36 months, 999 bootstrap
draws, in under 5 s. The reference measured in the same run is a plain numpy group-by mean of
the outcome per rep over the same panel (one pass), so the ratio says how many such passes the
estimator costs on this machine.

Run: .venv/bin/python bench/roi_estimator.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from roi.estimators.did import Panel, estimate
from roi.estimators.simulate import SalesScenario, simulate_sales

GOAL_SECONDS = 5.0
N_BOOT = 999
REPEATS = 3
# The harder case for the estimator: a cohort starting every month for 18 months (630 group-time
# cells) and 10% of reps joining or leaving mid-window, so the unbalanced path is exercised.
SCENARIO = SalesScenario(
    n_reps=5_000, n_months=36, n_cohorts=18, cohort_spacing=1, partial_tenure_share=0.1
)


def _best_of(repeats: int, run: Callable[[], object]) -> tuple[float, float]:
    """Fastest and median wall time over `repeats` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def _groupby_mean(panel: Panel) -> np.ndarray:
    _, codes = np.unique(panel.unit, return_inverse=True)
    observed = np.isfinite(panel.outcome)
    sums = np.bincount(codes[observed], weights=panel.outcome[observed])
    counts = np.bincount(codes[observed])
    return sums / counts


def main() -> None:
    sales = simulate_sales(SCENARIO, seed=1)
    panel = sales.panel
    result = estimate(panel, n_boot=N_BOOT, seed=1)
    assert result.simple is not None

    reference, _ = _best_of(20, lambda: _groupby_mean(panel))
    fastest, median = _best_of(REPEATS, lambda: estimate(panel, n_boot=N_BOOT, seed=1))

    print(
        f"panel: {np.unique(panel.unit).size:,} reps x {SCENARIO.n_months} months, "
        f"{panel.unit.size:,} rows, {len(result.cells)} group-time cells, {N_BOOT} draws"
    )
    print(
        f"estimate: ATT {result.simple.att:.2f} [{result.simple.ci_low:.2f}, "
        f"{result.simple.ci_high:.2f}], true {sales.true_simple_att:.2f}"
    )
    print(f"estimator:  {fastest:.3f} s (best of {REPEATS}; median {median:.3f} s)")
    print(f"reference:  {reference:.4f} s (numpy group-by mean per rep, one pass, best of 20)")
    print(f"ratio:      {fastest / reference:.0f}x the reference")
    verdict = "meets" if fastest < GOAL_SECONDS else "MISSES"
    print(f"goal:       < {GOAL_SECONDS:.0f} s -> {verdict}")


if __name__ == "__main__":
    main()
