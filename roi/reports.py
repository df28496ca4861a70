"""One report: a subject (a program or a kind of coaching), a metric, the panel and who was
treated when, turned into the payload that snapshots store and pages and the API show.

No queries here: roi.services.refresh gathers the inputs, this module computes. A report never
raises on thin or odd data; it says "collecting evidence" and why.
"""

from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import numpy as np
from django.utils.translation import gettext as _

from roi.estimators.design import design_check
from roi.estimators.did import (
    DidResult,
    Panel,
    estimate,
    naive_before_after,
    naive_trained_vs_untrained,
)
from roi.evidence import (
    Gate,
    GateSettings,
    evidence_grade,
    gates_evaluate,
    minimum_detectable_effect,
)
from roi.models import Metric, ReportStatus
from roi.money import FIRST_YEAR_MONTHS, CostBreakdown, Money, money_evaluate
from roi.months import month_from_number
from roi.panel import DataCoverage, FloatArray, IntArray, RepMonthPanel

CI_LEVEL = 0.95

# How each metric reads: its unit, and whether a rise is good news.
METRIC_UNITS = {
    Metric.BOOKINGS: "currency",
    Metric.WIN_RATE: "points",
    Metric.CYCLE_DAYS: "days",
    Metric.SLIP_RATE: "points",
    Metric.QUALIFICATION: "points",
}
# Ratio metrics are undefined in a month without the deals they divide by (no closed deal, no
# win): their base is the average of the months before training, up to a year, instead of the
# single month g - 1, so a rep without a closed deal in g - 1 stays in. Bookings keep the
# month g - 1 of Callaway & Sant'Anna (a month without wins is 0, never missing).
RATIO_BASE_MONTHS = 12
RATIO_METRICS = {Metric.WIN_RATE, Metric.CYCLE_DAYS, Metric.SLIP_RATE, Metric.QUALIFICATION}
# A rollout is "by team" when at least this share of the trained reps who have a team trained in
# their team's most common month: shocks and timing are then shared by a team, and inference
# must resample teams, not reps.
TEAM_ROLLOUT_SHARE = 0.8

HIGHER_IS_BETTER = {
    Metric.BOOKINGS: True,
    Metric.WIN_RATE: True,
    Metric.CYCLE_DAYS: False,
    Metric.SLIP_RATE: False,
    Metric.QUALIFICATION: True,
}


def blocker_text(code: str) -> str:
    """Why the estimator could not identify an effect, for people (codes are the estimator's
    reasons; the snapshot stores the code so that each reader gets their language)."""
    texts = {
        "no treated units": _("Nobody has been trained within the data window yet."),
        "no comparison units": _(
            "No comparison reps: nobody was still untrained while others were trained, so "
            "nothing shows what would have happened without training."
        ),
        "no post-treatment observations": _("There is no data from after training yet."),
        "no covered months": _(
            "No whole month is covered by deal data yet: connect the CRM or import deals."
        ),
        "pre-trend failed": _(
            "Withheld: before training, trained and comparison reps were already drifting "
            "apart (pre-trend check failed), so the comparison cannot tell the program's effect "
            "from that drift. No effect and no ROI are shown."
        ),
    }
    return texts.get(code, _("The data cannot identify an effect yet."))


def report_reasons(payload: dict[str, Any]) -> list[str]:
    """What a report still waits for, in the reader's language."""
    reasons = [blocker_text(payload["blocker"])] if payload.get("blocker") else []
    for gate in payload.get("gates", []):
        if not gate["passed"]:
            reasons.append(
                Gate(gate["name"], gate["required"], gate["actual"], gate["passed"]).missing()
            )
    return reasons


@dataclass(frozen=True)
class Subject:
    kind: str
    key: str
    title: str
    headline_metric: str
    plausible_effect_pct: float | None = None
    is_randomised: bool = False
    # Months before completion in which behaviour may already change (the course in progress):
    # those months are neither a base nor a placebo (`did`'s anticipation).
    anticipation_months: int = 0


@dataclass(frozen=True)
class ReportContext:
    """What every report of one refresh shares."""

    panel: RepMonthPanel
    median_cycle_days: float | None
    gate_settings: GateSettings
    default_plausible_effect_pct: float
    n_boot: int
    # The months the deal data covers (the panel's window ends with them).
    coverage: DataCoverage | None = None


@dataclass
class Analysis:
    """The estimate for one subject and metric, with its sample and gates."""

    subject: Subject
    metric: str
    result: DidResult | None
    # The estimator's reason when it could not identify an effect ("no comparison units").
    blocker: str | None
    gates: list[dict[str, Any]]
    sample: dict[str, Any]
    naive: dict[str, float | None]
    status: str
    grade: str
    pre_trend: dict[str, Any] | None
    baseline: float | None
    assignment: dict[str, Any] | None = None
    # The design check (power, type S, exaggeration) and the pre-trend sensitivity (M-bar).
    power: dict[str, Any] | None = None
    sensitivity: dict[str, Any] | None = None
    # Evaluation mode: the headline is the intention-to-treat effect; completion is secondary.
    headline_design: str = "staggered"
    completion_effect: dict[str, Any] | None = None
    compliance: dict[str, Any] | None = None
    clustered_by: str = "rep"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_ok(self) -> bool:
        return self.status == ReportStatus.OK


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
    panel = context.panel
    if audience is not None:
        panel = panel.subset(np.isin(panel.rep_ids, np.fromiter(audience, dtype=np.int64)))
        context = replace(context, panel=panel)
    outcome = panel.outcome(metric)
    is_itt = subject.is_randomised and assigned is not None
    groups = first_treated_vector(panel, assigned if is_itt and assigned else first_treated)
    est_panel = estimator_panel(panel, outcome, groups)
    sample, baseline = _sample(panel, outcome, groups)
    options = _EstimateOptions(
        n_boot=context.n_boot,
        anticipation=subject.anticipation_months,
        base_window=RATIO_BASE_MONTHS if metric in RATIO_METRICS else 1,
        cluster=cluster_rows(panel, clusters),
    )
    result = _estimate(est_panel, seed=_seed(subject, metric), **options)
    blocker = None
    if not panel.active.any():
        blocker = "no covered months"
    elif result is None or not result.estimable:
        blocker = "not identified" if result is None else (result.reason or "not identified")
    se = result.simple.se if result is not None and result.simple is not None else None
    mde = minimum_detectable_effect(se, ci_level=CI_LEVEL) if se is not None else None
    mde_pct = (
        abs(mde / baseline) * 100.0 if mde is not None and math.isfinite(mde) and baseline else None
    )
    sample["mde"] = _finite_or_none(mde)
    sample["mde_pct"] = _finite_or_none(mde_pct)
    sample["median_cycle_days"] = context.median_cycle_days
    plausible = float(subject.plausible_effect_pct or context.default_plausible_effect_pct)
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
    status = ReportStatus.OK if passed else ReportStatus.COLLECTING
    pre_trend = None
    if check is not None:
        pre_trend = {
            "n_pre_periods": check.n_pre_periods,
            "p_value": _finite_or_none(check.p_value),
            "is_clean": check.is_clean,
        }
    power = _power(se=se, baseline=baseline, plausible_pct=plausible, mde_pct=mde_pct)
    completion_effect = compliance = None
    if is_itt and assigned is not None:
        completion_effect, compliance = _completion_and_compliance(
            subject, metric, panel, outcome, first_treated, assigned, options
        )
    grade = evidence_grade(
        gates_passed=status == ReportStatus.OK,
        pre_trend_clean=None if check is None else check.is_clean,
        pre_periods_checked=check is not None
        and check.n_pre_periods >= context.gate_settings.min_pre_months,
        is_randomised=is_itt and compliance is not None,
        is_powered=bool(power and power["is_powered"]),
    )
    return Analysis(
        subject=subject,
        metric=metric,
        result=result,
        blocker=blocker,
        gates=[gate.as_dict() for gate in gates],
        sample=sample,
        naive=_naive(est_panel),
        status=status,
        grade=grade,
        pre_trend=pre_trend,
        baseline=baseline,
        assignment=_itt_block(result) if is_itt and result is not None else None,
        power=power,
        sensitivity=_sensitivity(result),
        headline_design="randomised_itt" if is_itt else "staggered",
        completion_effect=completion_effect,
        compliance=compliance,
        clustered_by="rep" if clusters is None else "team",
    )


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
        # The units the interval resampled (reps, or teams): the p-value's degrees of freedom.
        "clusters": result.n_clusters,
    }


def first_year_effect(result: DidResult) -> tuple[float, FloatArray] | None:
    """The average effect per rep-month over a trained rep's first FIRST_YEAR_MONTHS months,
    following the event study (the effect ramps up as deals mature), and its bootstrap draws.

    Month e of the first year takes the event study's effect at e; months beyond those measured
    keep the last measured effect (the ramp is assumed to have levelled off), and a month
    undefined in a draw takes the draw's previous month (or its overall effect)."""
    if result.simple is None or result.dynamic is None or result.boot_dynamic is None:
        return None
    keys = sorted(result.dynamic.by)
    rows = np.vstack(
        [np.array([result.dynamic.by[e].att for e in keys])[None, :], result.boot_dynamic]
    )
    overall = np.concatenate([[result.simple.att], result.boot_simple])
    year = np.full((rows.shape[0], FIRST_YEAR_MONTHS), np.nan)
    for e in range(FIRST_YEAR_MONTHS):
        if e in keys:
            year[:, e] = rows[:, keys.index(e)]
        previous = year[:, e - 1] if e else overall
        year[:, e] = np.where(np.isfinite(year[:, e]), year[:, e], previous)
    average = year.mean(axis=1)
    return float(average[0]), average[1:]


def money_for(
    bookings: Analysis,
    *,
    trained_reps: int,
    cost: CostBreakdown,
    gross_margin_pct: float,
    currency: str,
    commission_pct: float = 0.0,
) -> Money:
    """Money from the bookings estimate; without a finding, only cost and break-even. The
    benefit counts each trained rep's first year (FIRST_YEAR_MONTHS rep-months each) along the
    event study's ramp-up, at the gross margin net of sales commission."""
    trained_rep_months = float(trained_reps * FIRST_YEAR_MONTHS)
    result = bookings.result
    found = bookings.is_ok and result is not None and result.simple is not None
    profile = first_year_effect(result) if found and result is not None else None
    return money_evaluate(
        att=profile[0] if profile else None,
        boot_att=profile[1] if profile else None,
        trained_rep_months=trained_rep_months,
        gross_margin_pct=gross_margin_pct,
        commission_pct=commission_pct,
        cost=cost,
        currency=currency,
        ci_level=CI_LEVEL,
    )


def payload_build(analysis: Analysis, *, money: Money) -> dict[str, Any]:
    """The report as snapshots store it. Below a gate no estimate, event study or benefit is
    included: the report must not present them as findings."""
    result = analysis.result
    found = analysis.is_ok and result is not None and result.simple is not None
    estimate_block = _estimate_dict(result) if found and result is not None else None
    baseline = analysis.baseline
    if estimate_block is not None and baseline:
        estimate_block["att_pct"] = _finite_or_none(estimate_block["att"] / abs(baseline) * 100)
    return {
        "subject": {
            "kind": analysis.subject.kind,
            "key": analysis.subject.key,
            "title": analysis.subject.title,
        },
        "metric": analysis.metric,
        "unit": METRIC_UNITS[Metric(analysis.metric)],
        "higher_is_better": HIGHER_IS_BETTER[Metric(analysis.metric)],
        "status": analysis.status,
        "blocker": analysis.blocker,
        "evidence_grade": analysis.grade,
        "gates": analysis.gates,
        "estimate": estimate_block,
        "event_study": _event_study(result) if found and result is not None else [],
        "cells": _cells(result) if found and result is not None else [],
        "naive": analysis.naive,
        "sample": analysis.sample,
        "pre_trend": analysis.pre_trend,
        "assignment": analysis.assignment,
        "headline_design": analysis.headline_design,
        "completion_effect": analysis.completion_effect,
        "compliance": analysis.compliance,
        "clustered_by": analysis.clustered_by,
        "power": analysis.power,
        "sensitivity": analysis.sensitivity if found else None,
        "money": money.as_dict(),
    }


def _event_study(result: DidResult) -> list[dict[str, Any]]:
    if result.dynamic is None:
        return []
    return [
        {
            "e": int(e),
            "att": _finite_or_none(est.att),
            "ci_low": _finite_or_none(est.ci_low),
            "ci_high": _finite_or_none(est.ci_high),
        }
        for e, est in sorted(result.dynamic.by.items())
    ]


def _cells(result: DidResult) -> list[dict[str, Any]]:
    return [
        {
            "cohort": month_from_number(cell.group).isoformat()[:7],
            "month": month_from_number(cell.period).isoformat()[:7],
            "e": cell.event_time,
            "att": _finite_or_none(cell.att),
            "ci_low": _finite_or_none(cell.ci_low),
            "ci_high": _finite_or_none(cell.ci_high),
            "treated_reps": cell.n_treated,
            "comparison_reps": cell.n_control,
        }
        for cell in result.cells
    ]
