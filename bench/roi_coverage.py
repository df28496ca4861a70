"""Monte Carlo of the ROI inference without a database: bias, RMSE, coverage of the 95%
interval and false highlights, scenario by scenario (issue #10, item 10), 200 seeds in minutes.

    nice -n 10 .venv/bin/python bench/roi_coverage.py [--seeds 200] [--boot 999]

Each seed simulates a sales team (roi.estimators.simulate), turns it into the rep-month panel the
refresh uses (roi.panel.RepMonthPanel) and runs the report steps the refresh runs for a
program's bookings (roi.reports.analyse: gates, bootstrap, team clusters, pre-trend
withholding; roi.data_checks.money_checks: the money gate and the winsorised headline when a
few deals drive it; roi.estimators.multiple: the dashboard's false discovery rate with the
p-value roi.services.refresh computes). What it does not run: the SQL (panel aggregation, data
coverage, currency conversion, the winsorising cap); the panel is filled directly, one won deal
per active rep-month. bench/roi_coverage_db.py runs the same scenarios through the database and
the whole refresh, with fewer seeds.

Scenarios:
- fresh: 120 reps, 24 months, staggered training, +6 (about +5%) once ramped up;
- data_ends_early: 36 simulated months whose data ends 12 months before today: the panel ends
  where the data ends (roi.panel's data-as-of), so the estimate uses the 24 covered months;
- unconverted_currency: 20% of the deals of one year have no exchange rate: they are counted,
  carry no value, and above 2% of value the money headline is withheld (coverage is of the
  estimate when shown; "withheld" is the share of seeds where money was withheld);
- one_big_deal: one deal 50x the median in a trained rep's post-training month ("winsor": the
  share of shown headlines that switched to the winsorised estimate);
- team_rollout: 24 teams of 10 reps train team by team with team-month shocks; inference
  resamples teams (the refresh detects the team rollout);
- ten_null_programs: ten programs with no effect on the same team; a "false highlight" is an org
  (seed) where any of them survives the dashboard's FDR control.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
os.environ.pop("DATABASE_URL", None)

import django

django.setup()

from roi.data_checks import money_checks  # noqa: E402
from roi.estimators.multiple import FDR_LEVEL, benjamini_hochberg, two_sided_p  # noqa: E402
from roi.estimators.simulate import (  # noqa: E402
    _true_simple_att,
    simulate_sales,
)
from roi.evidence import GateSettings  # noqa: E402
from roi.models import Metric  # noqa: E402
from roi.panel import RepMonthPanel  # noqa: E402
from roi.reports import ReportContext, Subject, analyse, is_team_rollout  # noqa: E402
from tests.roi.simulated_panel import BASE, panel_of  # noqa: E402
from tests.roi.simulated_panel import team_rollout as simulated_team_rollout  # noqa: E402


def context_of(panel: RepMonthPanel, n_boot: int) -> ReportContext:
    return ReportContext(
        panel=panel,
        median_cycle_days=30.0,
        gate_settings=GateSettings(),
        default_plausible_effect_pct=10.0,
        n_boot=n_boot,
    )


SUBJECT = Subject(
    kind="program",
    key="bench",
    title="Bench",
    headline_metric=Metric.BOOKINGS,
    plausible_effect_pct=5.0,
)


@dataclass
class Draw:
    truth: float
    shown: bool
    att: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    se: float | None = None
    p_value: float | None = None
    highlighted: bool = False
    withheld_money: bool = False
    winsorised: bool = False


def _run(
    panel: RepMonthPanel,
    first: dict[int, int],
    truth: float,
    n_boot: int,
    seed: int,
    clusters: dict[int, int] | None = None,
) -> Draw:
    """The refresh's steps for one program's bookings: analyse, the money checks (the gate for
    deals without a rate, the winsorised headline when a few deals drive it), the p-value of
    the dashboard's check (roi.services.refresh.fdr_p_value)."""
    subject = replace(SUBJECT, key=f"bench{seed}")
    context = context_of(panel, n_boot)
    a = analyse(
        subject=subject,
        metric=Metric.BOOKINGS,
        context=context,
        first_treated=first,
        clusters=clusters,
    )
    gate, headline, checks = money_checks(
        a, context=context, max_share_pct=2.0, first_treated=first
    )
    robustness = checks["robustness"] or {}
    result = headline.result
    simple = result.simple if result is not None else None
    withheld = gate.is_withheld
    if not headline.is_ok or result is None or simple is None:
        return Draw(truth=truth, shown=False, withheld_money=withheld)
    p = two_sided_p(estimate=simple.att, se=simple.se, clusters=result.simple_effective_clusters)
    return Draw(
        truth=truth,
        shown=True,
        att=simple.att,
        ci_low=simple.ci_low,
        ci_high=simple.ci_high,
        se=simple.se,
        p_value=p,
        highlighted=benjamini_hochberg([p], q=FDR_LEVEL, any_dependence=True)[0],
        withheld_money=withheld,
        winsorised=bool(robustness.get("is_headline_winsorised")),
    )


def _first(sales: Any) -> dict[int, int]:
    return {int(r): int(m) for r, m in zip(sales.rep_ids, sales.training_month, strict=True) if m}


def fresh(seed: int, n_boot: int) -> list[Draw]:
    s = simulate_sales(BASE, seed=seed)
    return [
        _run(
            panel_of(s.bookings, s.active, s.months),
            _first(s),
            s.true_simple_att * 1000,
            n_boot,
            seed,
        )
    ]


def data_ends_early(seed: int, n_boot: int) -> list[Draw]:
    s = simulate_sales(replace(BASE, n_months=36), seed=seed)
    keep = slice(0, 24)  # the data ends 12 months before today; the panel ends with it
    months = s.months[keep]
    first = {r: m for r, m in _first(s).items() if m <= months[-1]}
    tm = np.where(s.training_month <= months[-1], s.training_month, 0)
    truth = _true_simple_att(tm, months, s.effect[:, keep], s.active[:, keep]) * 1000
    return [
        _run(panel_of(s.bookings[:, keep], s.active[:, keep], months), first, truth, n_boot, seed)
    ]


def unconverted_currency(seed: int, n_boot: int) -> list[Draw]:
    s = simulate_sales(BASE, seed=seed)
    rng = np.random.default_rng(seed + 7)
    year = (np.arange(s.months.size) >= 12)[None, :]
    lost = (rng.random(s.bookings.shape) < 0.2) & year & s.active
    # no rate: counted, valued nowhere
    panel = panel_of(s.bookings, s.active, s.months, unconverted=lost.astype(float))
    return [_run(panel, _first(s), s.true_simple_att * 1000, n_boot, seed)]


def one_big_deal(seed: int, n_boot: int) -> list[Draw]:
    s = simulate_sales(BASE, seed=seed)
    bookings = s.bookings.copy()
    trained = np.nonzero(s.training_month)[0]
    rep = int(trained[seed % trained.size])
    column = int(np.nonzero(s.months >= s.training_month[rep])[0][0]) + 1
    column = min(column, s.months.size - 1)
    median = float(np.nanmedian(bookings))
    bookings[rep, column] += 49.0 * median  # one deal 50x the median
    return [
        _run(
            panel_of(bookings, s.active, s.months),
            _first(s),
            s.true_simple_att * 1000,
            n_boot,
            seed,
        )
    ]


def team_rollout(seed: int, n_boot: int) -> list[Draw]:
    rollout = simulated_team_rollout(seed)
    assert is_team_rollout(rollout.first_treated, rollout.clusters)
    return [
        _run(
            rollout.panel,
            rollout.first_treated,
            rollout.truth,
            n_boot,
            seed,
            clusters=rollout.clusters,
        )
    ]


def ten_null_programs(seed: int, n_boot: int) -> list[Draw]:
    s = simulate_sales(replace(BASE, effect=0.0), seed=seed)
    rng = np.random.default_rng(seed + 13)
    panel = panel_of(s.bookings, s.active, s.months)
    cohorts = s.months[0] + 6 + 3 * np.arange(4)
    draws = []
    for program in range(10):
        trained = rng.random(s.rep_ids.size) < 0.7
        first = {int(r): int(rng.choice(cohorts)) for r in s.rep_ids[trained]}
        draws.append(_run(panel, first, 0.0, n_boot, seed * 10 + program))
    # The dashboard's check across the programs with a finding (roi.services.refresh.fdr_apply).
    p_values = [d.p_value for d in draws if d.shown and d.p_value is not None]
    survivors = benjamini_hochberg(p_values, q=FDR_LEVEL, any_dependence=True) if p_values else []
    for d in draws:
        d.highlighted = False
    if any(survivors):
        draws[0].highlighted = True  # the org sees a highlighted effect
    return draws


SCENARIOS: dict[str, Callable[[int, int], list[Draw]]] = {
    "fresh": fresh,
    "data_ends_early": data_ends_early,
    "unconverted_currency": unconverted_currency,
    "one_big_deal": one_big_deal,
    "team_rollout": team_rollout,
    "ten_null_programs": ten_null_programs,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--boot", type=int, default=999)
    parser.add_argument("--only", nargs="*", default=list(SCENARIOS))
    args = parser.parse_args()
    print(f"seeds {args.seeds}, bootstrap draws {args.boot} (production: 999)")
    print(
        f"{'scenario':22} {'shown':>6} {'bias':>8} {'rmse':>8} {'coverage':>9} "
        f"{'false+':>7} {'withheld$':>9} {'winsor':>7} {'secs':>6}"
    )
    for name in args.only:
        started = time.perf_counter()
        runs = [SCENARIOS[name](seed, args.boot) for seed in range(args.seeds)]
        draws = [d for run in runs for d in run]
        shown = [d for d in draws if d.shown and d.att is not None]
        err = np.array([d.att - d.truth for d in shown]) if shown else np.array([np.nan])
        covered = [
            d.ci_low <= d.truth <= d.ci_high
            for d in shown
            if d.ci_low is not None and d.ci_high is not None
        ]
        if name == "ten_null_programs":
            false_pos = np.mean([any(d.highlighted for d in run) for run in runs])
        else:
            null = [d for d in shown if d.truth == 0.0]
            false_pos = np.mean([d.highlighted for d in null]) if null else float("nan")
        withheld = np.mean([any(d.withheld_money for d in run) for run in runs])
        winsor = np.mean([d.winsorised for d in shown]) if shown else float("nan")
        coverage = np.mean(covered) if covered else float("nan")
        rmse = np.sqrt(np.mean(err**2))
        seconds = time.perf_counter() - started
        print(
            f"{name:22} {len(shown) / len(draws):6.2f} {np.mean(err):8.1f} {rmse:8.1f} "
            f"{coverage:9.3f} {false_pos:7.3f} {withheld:9.2f} {winsor:7.2f} {seconds:6.0f}",
            flush=True,
        )
    print("load average:", os.getloadavg())


if __name__ == "__main__":
    main()
