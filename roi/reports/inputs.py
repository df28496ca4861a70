"""The analysis' inputs read off the rep-month panel: who is treated when, the estimator's long
panel, team clusters, the sample and the naive figures."""

from __future__ import annotations

import math
import warnings
import zlib
from typing import Any

import numpy as np

from roi.estimators.did import (
    Panel,
    naive_before_after,
    naive_trained_vs_untrained,
)
from roi.panel import FloatArray, IntArray, RepMonthPanel
from roi.reports.types import Subject

# A rollout is "by team" when at least this share of the trained reps who have a team trained in
# their team's most common month: shocks and timing are then shared by a team, and inference
# must resample teams, not reps.
TEAM_ROLLOUT_SHARE = 0.8


def _seed(subject: Subject, metric: str) -> int:
    """A fixed seed per subject and metric: the same data always gives the same interval."""
    return zlib.crc32(f"{subject.kind}:{subject.key}:{metric}".encode())


def first_treated_vector(panel: RepMonthPanel, first_treated: dict[int, int]) -> IntArray:
    """Month number of each panel rep's first treatment, 0 for never."""
    return np.array([first_treated.get(int(rep), 0) for rep in panel.rep_ids], dtype=np.int64)


def estimator_panel(panel: RepMonthPanel, outcome: FloatArray, groups: IntArray) -> Panel:
    rows, columns = np.nonzero(panel.active)
    return Panel(
        unit=panel.rep_ids[rows],
        period=panel.months[columns],
        outcome=outcome[rows, columns],
        first_treated=groups[rows].astype(np.float64),
    )


def cluster_rows(panel: RepMonthPanel, clusters: dict[int, int] | None) -> IntArray | None:
    """The bootstrap's cluster label of each estimator-panel row: the rep's team, or the rep
    alone (a negative label) when they have none. None resamples reps."""
    if clusters is None:
        return None
    labels = np.array([clusters.get(int(rep), -int(rep)) for rep in panel.rep_ids], dtype=np.int64)
    rows, _columns = np.nonzero(panel.active)
    return labels[rows]


def is_team_rollout(first_treated: dict[int, int], team_of: dict[int, int]) -> bool:
    """Whether training went team by team: most trained reps with a team trained in their
    team's most common month, and at least two teams trained."""
    by_team: dict[int, list[int]] = {}
    for rep, month in first_treated.items():
        if rep in team_of:
            by_team.setdefault(team_of[rep], []).append(month)
    if len(by_team) < 2:
        return False
    in_modal = sum(max(months.count(m) for m in set(months)) for months in by_team.values())
    trained = sum(len(months) for months in by_team.values())
    return trained >= 2 * len(by_team) and in_modal >= TEAM_ROLLOUT_SHARE * trained


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _median(values: FloatArray) -> float | None:
    return float(np.median(values)) if values.size else None


def _sample(
    panel: RepMonthPanel, outcome: FloatArray, groups: IntArray
) -> tuple[dict[str, Any], float | None]:
    """Who the estimate rests on, counted the way the estimator uses them."""
    months = panel.months
    observed = np.isfinite(outcome) & panel.active
    in_window = (groups > months[0]) & (groups <= months[-1])
    after = (months[None, :] >= groups[:, None]) & in_window[:, None]
    before = (months[None, :] < groups[:, None]) & in_window[:, None]
    treated = in_window & (observed & after).any(axis=1) & (observed & before).any(axis=1)
    # Months where some trained rep is observed after training; a comparison rep is untrained
    # and observed in at least one of them.
    post_months = (observed & after)[treated].any(axis=0)
    untrained = observed & ((groups[:, None] == 0) | (months[None, :] < groups[:, None]))
    comparison = (untrained & post_months[None, :]).any(axis=1)
    pre_counts = (panel.active & before)[treated].sum(axis=1).astype(np.float64)
    post_counts = (panel.active & after)[treated].sum(axis=1).astype(np.float64)
    pre_values = outcome[treated][(observed & before)[treated]]
    baseline = float(np.mean(pre_values)) if pre_values.size else None
    sample = {
        "treated_reps": int(treated.sum()),
        "comparison_reps": int(comparison.sum()),
        "never_treated_reps": int(((groups == 0) & panel.active.any(axis=1)).sum()),
        "closed_deals": panel.closed_deals_total(np.asarray(panel.active.any(axis=1), dtype=bool)),
        "pre_months": _median(pre_counts),
        "post_months": _median(post_counts),
        "baseline": baseline,
        **_unconverted(panel),
    }
    return sample, baseline


def _unconverted(panel: RepMonthPanel) -> dict[str, Any]:
    """Closed deals without an exchange rate in the observed rep-months (roi.data_checks gates
    money on their share of won deals), and the currencies they are in."""
    share = panel.unconverted_won_share()
    return {
        "unconverted_deals": panel.unconverted_deals,
        "unconverted_won_deals": int(panel.unconverted_won[panel.active].sum()),
        "won_deals": int(panel.won_count[panel.active].sum()),
        "unconverted_share_pct": None if share is None else round(share * 100.0, 2),
        "unconverted_currencies": [
            {"currency": currency, "deals": n} for currency, n in panel.unconverted_currencies
        ],
        "covered_months": int(panel.active.any(axis=0).sum()),
    }


def _naive(est_panel: Panel) -> dict[str, float | None]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            before_after = naive_before_after(est_panel)
            trained = naive_trained_vs_untrained(est_panel)
        except ValueError:
            before_after = trained = float("nan")
    return {
        "before_after": _finite_or_none(before_after),
        "trained_vs_untrained": _finite_or_none(trained),
    }
