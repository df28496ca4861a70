"""The rows of one refresh: every metric's report of a program (graded against its frozen plan)
or of a kind of coaching, with their money, checks and Kirkpatrick chain. Called by
roi.services.refresh, which writes them as snapshots in one transaction.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from coaching.models import SessionKind
from roi.data_checks import money_checks
from roi.evidence import DAYS_PER_MONTH
from roi.models import (
    EvaluationRollout,
    Metric,
    ProgramPlanFreeze,
    RoiSettings,
    SubjectKind,
)
from roi.money import CostBreakdown, Money, coaching_cost, program_cost
from roi.reports import (
    Analysis,
    ReportContext,
    Subject,
    analyse,
    is_team_rollout,
    money_for,
    payload_build,
)
from roi.selectors import (
    coaching_hours,
    kirkpatrick_behaviour,
    kirkpatrick_learning,
    months_of,
    program_assigned_teams,
    program_audience,
    program_treatments,
    rep_teams,
    rollout_assigned,
)
from training.models import PLAN_FIELDS, Program, ProgramPlanChange

COACHING_HEADLINE = Metric.BOOKINGS


@dataclass
class ReportRow:
    kind: str
    key: str
    title: str
    metric: str
    is_headline: bool
    analysis: Analysis
    payload: dict[str, Any]
    # A program's plan to freeze with this refresh (its first report with a finding).
    plan_to_freeze: dict[str, Any] | None = None


def program_plan(*, program: Program, freeze: ProgramPlanFreeze | None) -> dict[str, Any]:
    """The plan a program's reports are graded against: frozen at the first finding, else the
    program's current plan."""
    source: Any = freeze if freeze is not None else program
    return {name: getattr(source, name) for name in PLAN_FIELDS}


def _plan_block(
    program: Program, freeze: ProgramPlanFreeze | None, plan_changes: list[ProgramPlanChange]
) -> dict[str, Any]:
    plan = program_plan(program=program, freeze=freeze)
    after = [c for c in plan_changes if freeze is not None and c.changed_at > freeze.frozen_at]
    return {
        "primary_metric": plan["primary_metric"],
        "horizon_months": plan["horizon_months"],
        "plausible_effect_pct": (
            float(plan["plausible_effect_pct"]) if plan["plausible_effect_pct"] else None
        ),
        "anticipation_months": plan["anticipation_months"],
        "frozen_at": freeze.frozen_at.isoformat() if freeze is not None else None,
        "changed_after_results": bool(after),
        "changes_after_results": [
            {
                "field": c.field,
                "old": c.old_value,
                "new": c.new_value,
                "by": c.changed_by.full_name if c.changed_by else None,
                "at": c.changed_at.isoformat(),
            }
            for c in after
        ],
    }


def program_rows(
    *,
    program: Program,
    rollout: EvaluationRollout | None,
    context: ReportContext,
    settings: RoiSettings,
    currency: str,
    rep_ids: set[int],
    teams: dict[int, int] | None = None,
    freeze: ProgramPlanFreeze | None = None,
    plan_changes: list[ProgramPlanChange] | None = None,
) -> list[ReportRow]:
    """Every metric's report of one program, graded against its frozen plan."""
    plan = program_plan(program=program, freeze=freeze)
    completed = program_treatments(program=program)
    first_treated = {rep: m for rep, m in months_of(completed).items() if rep in rep_ids}
    design = _program_design(program, rollout, teams, first_treated)
    audience = program_audience(program=program)
    inputs: dict[str, Any] = {
        "context": context,
        "first_treated": first_treated,
        "assigned": design.assigned,
        "audience": audience | set(first_treated) if audience else None,
    }
    subject = _program_subject(program, plan, rollout)
    analyses = {
        metric: analyse(subject=subject, metric=metric, clusters=design.clusters, **inputs)
        for metric in Metric.values
    }
    gate, bookings, checks = money_checks(
        analyses[Metric.BOOKINGS], max_share_pct=float(settings.max_unconverted_share_pct), **inputs
    )
    # When a few deals drive it, the bookings headline is the winsorised estimate.
    analyses[Metric.BOOKINGS] = bookings
    # Everyone assigned takes a seat and spends the hours, whether or not they completed.
    seats = len((audience & rep_ids) | set(completed)) if audience else len(completed)
    money = money_for(
        gate.basis(bookings),
        # The benefit counts the reps inside the estimate, the ones the effect is measured on.
        trained_reps=int(bookings.sample["treated_reps"]),
        cost=_program_cost(program, settings, seats=seats),
        gross_margin_pct=float(settings.gross_margin_pct),
        commission_pct=float(settings.commission_pct),
        currency=currency,
    )
    extra = {
        "kirkpatrick": {
            **kirkpatrick_learning(program=program),
            "behaviour": kirkpatrick_behaviour(first_treated=first_treated),
            **_chain_results(analyses, money),
        },
        "rollout": _rollout_block(rollout) if rollout is not None else None,
        "plan": _plan_block(program, freeze, plan_changes or []),
        **checks,
    }
    return _program_report_rows(
        analyses, money, context, program=program, plan=plan, freeze=freeze, extra=extra
    )


def _program_report_rows(
    analyses: dict[str, Analysis],
    money: Money,
    context: ReportContext,
    *,
    program: Program,
    plan: dict[str, Any],
    freeze: ProgramPlanFreeze | None,
    extra: dict[str, Any],
) -> list[ReportRow]:
    """One row per metric, the plan's primary metric the headline; the first finding freezes
    the plan."""
    has_finding = any(a.is_ok for a in analyses.values())
    to_freeze = {"program_id": program.pk, "plan": plan} if freeze is None and has_finding else None
    rows = [
        _row(analysis, money, context, is_headline=metric == plan["primary_metric"], extra=extra)
        for metric, analysis in analyses.items()
    ]
    for row in rows:
        row.plan_to_freeze = to_freeze
    return rows


def _program_subject(
    program: Program, plan: dict[str, Any], rollout: EvaluationRollout | None
) -> Subject:
    return Subject(
        kind=SubjectKind.PROGRAM,
        key=program.slug,
        title=program.title,
        headline_metric=plan["primary_metric"],
        plausible_effect_pct=(
            float(plan["plausible_effect_pct"]) if plan["plausible_effect_pct"] else None
        ),
        is_randomised=program.is_evaluation and rollout is not None,
        anticipation_months=int(plan["anticipation_months"]),
    )


@dataclass(frozen=True)
class _Design:
    # {rep: month their wave started} for an evaluation rollout, else None.
    assigned: dict[int, int] | None
    # {rep: team} when inference resamples teams, else None (reps).
    clusters: dict[int, int] | None


def _program_design(
    program: Program,
    rollout: EvaluationRollout | None,
    teams: dict[int, int] | None,
    first_treated: dict[int, int],
) -> _Design:
    """Who was assigned when (evaluation mode), and whether inference resamples teams."""
    # Each rep in the team they were in when assigned (a move later does not change their arm).
    team_of = {**(teams if teams is not None else rep_teams())}
    team_of.update(program_assigned_teams(program=program))
    assigned = None
    if rollout is not None:
        assigned, team_of = rollout_assigned(rollout=rollout, teams=team_of)
    # Inference resamples teams when teams were the unit of rollout (randomised or not).
    clustered = rollout is not None or is_team_rollout(first_treated, team_of)
    return _Design(assigned=assigned, clusters=team_of if clustered else None)


def _program_cost(program: Program, settings: RoiSettings, *, seats: int) -> CostBreakdown:
    costing = getattr(program, "roi_costing", None)
    return program_cost(
        seats=seats,
        content_cost=float(program.content_cost),
        delivery_cost=float(costing.delivery_cost) if costing else 0.0,
        cost_per_seat=float(program.cost_per_seat),
        learner_hours_per_seat=float(program.expected_learner_hours),
        rep_hourly_cost=float(settings.rep_hourly_cost),
        coaching_hours_per_seat=float(costing.coaching_hours_per_seat) if costing else 0.0,
        coach_hourly_cost=float(settings.coach_hourly_cost),
    )


def coaching_rows(
    kind: str,
    first: dict[int, dt.datetime],
    context: ReportContext,
    settings: RoiSettings,
    currency: str,
) -> list[ReportRow]:
    first_treated = months_of(first)
    label = dict(SessionKind.choices).get(kind, kind)
    subject = Subject(
        kind=SubjectKind.COACHING, key=kind, title=str(label), headline_metric=COACHING_HEADLINE
    )
    analyses = {
        metric: analyse(
            subject=subject, metric=metric, context=context, first_treated=first_treated
        )
        for metric in Metric.values
    }
    hours = coaching_hours(kind=kind, reps=first_treated)
    gate, bookings, checks = money_checks(
        analyses[Metric.BOOKINGS],
        context=context,
        max_share_pct=float(settings.max_unconverted_share_pct),
        first_treated=first_treated,
    )
    analyses[Metric.BOOKINGS] = bookings
    money = money_for(
        gate.basis(bookings),
        trained_reps=int(bookings.sample["treated_reps"]),
        commission_pct=float(settings.commission_pct),
        cost=coaching_cost(
            session_hours=hours,
            rep_hourly_cost=float(settings.rep_hourly_cost),
            coach_hourly_cost=float(settings.coach_hourly_cost),
        ),
        gross_margin_pct=float(settings.gross_margin_pct),
        currency=currency,
    )
    return [
        _row(
            analysis,
            money,
            context,
            is_headline=metric == COACHING_HEADLINE,
            extra={"kirkpatrick": _chain_results(analyses, money), "rollout": None, **checks},
        )
        for metric, analysis in analyses.items()
    ]


def _row(
    analysis: Analysis,
    money: Money,
    context: ReportContext,
    *,
    is_headline: bool,
    extra: dict[str, Any],
) -> ReportRow:
    payload = payload_build(analysis, money=money)
    window = context.panel.window
    payload["window"] = {"first": window.first.isoformat(), "last": window.last.isoformat()}
    payload["coverage"] = context.coverage.as_dict() if context.coverage else None
    cycle = context.median_cycle_days
    payload["median_cycle_months"] = round(cycle / DAYS_PER_MONTH, 1) if cycle else None
    payload.update(extra)
    return ReportRow(
        kind=analysis.subject.kind,
        key=analysis.subject.key,
        title=analysis.subject.title,
        metric=analysis.metric,
        is_headline=is_headline,
        analysis=analysis,
        payload=payload,
    )


def _chain_results(analyses: dict[str, Analysis], money: Money) -> dict[str, Any]:
    """Results and ROI levels of the Kirkpatrick chain, and the leading indicator of behaviour."""

    def brief(analysis: Analysis) -> dict[str, Any]:
        result = analysis.result
        found = analysis.is_ok and result is not None and result.simple is not None
        simple = result.simple if found and result is not None else None
        return {
            "metric": analysis.metric,
            "status": analysis.status,
            "grade": analysis.grade,
            "att": simple.att if simple else None,
            "ci_low": simple.ci_low if simple else None,
            "ci_high": simple.ci_high if simple else None,
        }

    return {
        "leading": brief(analyses[Metric.QUALIFICATION]),
        "results": [
            brief(analyses[m])
            for m in (Metric.BOOKINGS, Metric.WIN_RATE, Metric.CYCLE_DAYS, Metric.SLIP_RATE)
        ],
        "roi": {
            "roi_pct": money.roi_pct,
            "roi_ci_low": money.roi_ci_low,
            "roi_ci_high": money.roi_ci_high,
            "p_roi_positive": money.p_roi_positive,
        },
    }


def _rollout_block(rollout: EvaluationRollout) -> dict[str, Any]:
    return {
        "seed": rollout.seed,
        "first_wave_starts_on": rollout.first_wave_starts_on.isoformat(),
        "wave_spacing_months": rollout.wave_spacing_months,
        "n_waves": rollout.n_waves,
        "teams": [
            {
                "team": a.team.name,
                "wave": a.wave,
                "stratum": a.stratum,
                "starts_on": a.starts_on.isoformat(),
            }
            for a in rollout.assignments.all()
        ],
    }
