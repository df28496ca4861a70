"""The estimate for one subject and metric: gates, grade, power, the randomised design."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any, TypedDict

import numpy as np

from roi.estimators.design import design_check
from roi.estimators.did import (
    DidResult,
    Panel,
    PreTrendCheck,
    estimate,
)
from roi.evidence import (
    Gate,
    evidence_grade,
    gates_evaluate,
    minimum_detectable_effect,
)
from roi.models import Metric, ReportStatus
from roi.panel import FloatArray, IntArray, RepMonthPanel
from roi.reports.inputs import (
    _finite_or_none,
    _naive,
    _sample,
    _seed,
    cluster_rows,
    estimator_panel,
    first_treated_vector,
)
from roi.reports.types import Analysis, ReportContext, Subject

CI_LEVEL = 0.95
# Ratio metrics are undefined in a month without the deals they divide by (no closed deal, no
# win): their base is the average of the months before training, up to a year, instead of the
# single month g - 1, so a rep without a closed deal in g - 1 stays in. Bookings keep the
# month g - 1 of Callaway & Sant'Anna (a month without wins is 0, never missing).
RATIO_BASE_MONTHS = 12
RATIO_METRICS = {Metric.WIN_RATE, Metric.CYCLE_DAYS, Metric.SLIP_RATE, Metric.QUALIFICATION}


class _EstimateOptions(TypedDict):
    n_boot: int
    anticipation: int
    base_window: int
    cluster: IntArray | None


def _estimate(
    est_panel: Panel,
    *,
    n_boot: int,
    seed: int,
    anticipation: int = 0,
    base_window: int = 1,
    cluster: IntArray | None = None,
) -> DidResult | None:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return estimate(
                est_panel,
                n_boot=n_boot,
                seed=seed,
                ci_level=CI_LEVEL,
                anticipation=anticipation,
                base_window=base_window,
                cluster=cluster,
            )
        except ValueError:
            return None


def analyse(
    *,
    subject: Subject,
    metric: str,
    context: ReportContext,
    first_treated: dict[int, int],
    assigned: dict[int, int] | None = None,
    audience: set[int] | None = None,
    clusters: dict[int, int] | None = None,
) -> Analysis:
    """The estimate for `subject` on `metric`. With `audience`, only those reps are in the
    analysis (trained reps and comparisons alike). With `clusters` ({rep: team}) the bootstrap
    resamples teams. A randomised subject with `assigned` ({rep: month their wave started})
    headlines the intention-to-treat effect of assignment; completion is then secondary."""
    context = _restricted(context, audience)
    panel = context.panel
    outcome = panel.outcome(metric)
    is_itt = subject.is_randomised and assigned is not None
    groups = first_treated_vector(panel, assigned if is_itt and assigned else first_treated)
    est_panel = estimator_panel(panel, outcome, groups)
    sample, baseline = _sample(panel, outcome, groups)
    options = _estimate_options(subject, metric, context, clusters)
    result = _estimate(est_panel, seed=_seed(subject, metric), **options)
    se = result.simple.se if result is not None and result.simple is not None else None
    mde_pct = _mde_into(sample, se=se, baseline=baseline, context=context)
    verdict = _verdict(panel, result, sample, context)
    plausible = float(subject.plausible_effect_pct or context.default_plausible_effect_pct)
    power = _power(se=se, baseline=baseline, plausible_pct=plausible, mde_pct=mde_pct)
    completion_effect = compliance = None
    if is_itt and assigned is not None:
        completion_effect, compliance = _completion_and_compliance(
            subject, metric, panel, outcome, first_treated, assigned, options
        )
    check = result.pre_trend if result is not None else None
    return Analysis(
        subject=subject,
        metric=metric,
        result=result,
        blocker=verdict.blocker,
        gates=[gate.as_dict() for gate in verdict.gates],
        sample=sample,
        naive=_naive(est_panel),
        status=verdict.status,
        grade=_grade(
            status=verdict.status,
            check=check,
            context=context,
            is_randomised=is_itt and compliance is not None,
            power=power,
        ),
        pre_trend=_pre_trend_block(check),
        baseline=baseline,
        assignment=_itt_block(result) if is_itt and result is not None else None,
        power=power,
        sensitivity=_sensitivity(result),
        headline_design="randomised_itt" if is_itt else "staggered",
        completion_effect=completion_effect,
        compliance=compliance,
        clustered_by="rep" if clusters is None else "team",
    )


def _estimate_options(
    subject: Subject, metric: str, context: ReportContext, clusters: dict[int, int] | None
) -> _EstimateOptions:
    return _EstimateOptions(
        n_boot=context.n_boot,
        anticipation=subject.anticipation_months,
        base_window=RATIO_BASE_MONTHS if metric in RATIO_METRICS else 1,
        cluster=cluster_rows(context.panel, clusters),
    )


def _restricted(context: ReportContext, audience: set[int] | None) -> ReportContext:
    """`context` with its panel cut to the reps in `audience` (all of them without one)."""
    if audience is None:
        return context
    panel = context.panel
    panel = panel.subset(np.isin(panel.rep_ids, np.fromiter(audience, dtype=np.int64)))
    return replace(context, panel=panel)


def _grade(
    *,
    status: str,
    check: PreTrendCheck | None,
    context: ReportContext,
    is_randomised: bool,
    power: dict[str, Any] | None,
) -> str:
    return evidence_grade(
        gates_passed=status == ReportStatus.OK,
        pre_trend_clean=None if check is None else check.is_clean,
        # enough months before training to check; how many of them the test reads depends on
        # how many effective clusters carry its covariance (a few teams: the nearest month)
        pre_periods_checked=check is not None
        and check.n_candidate_periods >= context.gate_settings.min_pre_months,
        is_randomised=is_randomised,
        is_powered=bool(power and power["is_powered"]),
    )


def _mde_into(
    sample: dict[str, Any], *, se: float | None, baseline: float | None, context: ReportContext
) -> float | None:
    """Adds the minimum detectable effect (and as a share of the baseline) to `sample`; returns
    the share."""
    mde = minimum_detectable_effect(se, ci_level=CI_LEVEL) if se is not None else None
    mde_pct = (
        abs(mde / baseline) * 100.0 if mde is not None and math.isfinite(mde) and baseline else None
    )
    sample["mde"] = _finite_or_none(mde)
    sample["mde_pct"] = _finite_or_none(mde_pct)
    sample["median_cycle_days"] = context.median_cycle_days
    return mde_pct


@dataclass(frozen=True)
class _Verdict:
    gates: list[Gate]
    blocker: str | None
    status: str


def _verdict(
    panel: RepMonthPanel, result: DidResult | None, sample: dict[str, Any], context: ReportContext
) -> _Verdict:
    """The evidence gates, what blocks a finding (no data, not identified, a failed pre-trend
    check once the gates pass) and the status that follows."""
    blocker = None
    if not panel.active.any():
        blocker = "no covered months"
    elif result is None or not result.estimable:
        blocker = "not identified" if result is None else (result.reason or "not identified")
    gates = gates_evaluate(
        settings=context.gate_settings,
        treated_reps=sample["treated_reps"],
        comparison_reps=sample["comparison_reps"],
        pre_months=sample["pre_months"],
        post_months=sample["post_months"],
        median_cycle_days=context.median_cycle_days,
    )
    check = result.pre_trend if result is not None else None
    if blocker is None and all(gate.passed for gate in gates) and check and not check.is_clean:
        blocker = "pre-trend failed"
    passed = blocker is None and all(gate.passed for gate in gates)
    return _Verdict(gates, blocker, ReportStatus.OK if passed else ReportStatus.COLLECTING)


def _pre_trend_block(check: PreTrendCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "n_pre_periods": check.n_pre_periods,
        "p_value": _finite_or_none(check.p_value),
        "is_clean": check.is_clean,
    }


def _power(
    *, se: float | None, baseline: float | None, plausible_pct: float, mde_pct: float | None
) -> dict[str, Any] | None:
    """The design check against the plan's plausible effect (Gelman & Carlin 2014)."""
    if se is None or not baseline:
        return None
    check = design_check(
        planned_effect=plausible_pct / 100.0 * abs(baseline), se=se, ci_level=CI_LEVEL
    )
    if check is None:
        return None
    return {
        "plausible_effect_pct": plausible_pct,
        "planned_effect": check.planned_effect,
        "mde_pct": _finite_or_none(mde_pct),
        "is_powered": mde_pct is not None and mde_pct <= plausible_pct,
        "power": check.power,
        "type_s": check.type_s,
        "exaggeration": _finite_or_none(check.exaggeration),
    }


def _sensitivity(result: DidResult | None) -> dict[str, Any] | None:
    if result is None or result.sensitivity is None:
        return None
    return {
        "breakdown_m": _finite_or_none(result.sensitivity.breakdown_m),
        "max_pre_violation": _finite_or_none(result.sensitivity.max_pre_violation),
    }


def _itt_block(result: DidResult) -> dict[str, Any] | None:
    if result.simple is None:
        return None
    return {**_estimate_dict(result), "assigned_reps": result.n_treated_units}


def _completion_and_compliance(
    subject: Subject,
    metric: str,
    panel: RepMonthPanel,
    outcome: FloatArray,
    first_treated: dict[int, int],
    assigned: dict[int, int],
    options: _EstimateOptions,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The effect of completing (secondary: who completes is not random) and compliance: the
    share of reps whose wave has started who completed the program."""
    completion = _estimate(
        estimator_panel(panel, outcome, first_treated_vector(panel, first_treated)),
        seed=_seed(subject, f"{metric}:completion"),
        **options,
    )
    last_month = int(panel.months[-1]) if panel.months.size else 0
    started = [rep for rep, month in assigned.items() if month <= last_month]
    completed = sum(1 for rep in started if rep in first_treated)
    compliance = {
        "assigned_reps": len(started),
        "completed_reps": completed,
        "share": completed / len(started) if started else None,
    }
    effect = None
    if completion is not None and completion.simple is not None:
        effect = {**_estimate_dict(completion), "trained_reps": completion.n_treated_units}
    return effect, compliance


def _estimate_dict(result: DidResult) -> dict[str, Any]:
    assert result.simple is not None
    return {
        "att": _finite_or_none(result.simple.att),
        "se": _finite_or_none(result.simple.se),
        "ci_low": _finite_or_none(result.simple.ci_low),
        "ci_high": _finite_or_none(result.simple.ci_high),
        "ci_level": result.ci_level,
        # The units the interval resampled (reps, or teams), and how many of them effectively
        # carry its spread (fewer when a few reps or teams are trained): the p-value's degrees
        # of freedom are the latter minus one (roi.estimators.multiple).
        "clusters": result.n_clusters,
        "effective_clusters": _finite_or_none(result.simple_effective_clusters),
    }
