"""Computing every report and storing it as a snapshot.

One refresh builds the rep-month panel once (roi.panel: set-based queries), then for each
subject (every program, every kind of coaching with a completed session) and each metric runs the
staggered DiD estimator, applies the evidence gates, prices the bookings effect, and writes all
snapshots in one transaction. Pages and the API only read snapshots.

When it runs (debounced by watermark, so a burst of ingestions costs one refresh):
- roi.tasks.refresh_reports_if_changed every 10 minutes: recomputes only when the watermark of the
  inputs (roi.selectors.refresh_watermark) moved since the last refresh;
- roi.tasks.refresh_all_reports nightly, and `manage.py roi_refresh`: always recompute.
Ingestion and training never call the ROI app (the dependency points the other way).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from coaching.models import SessionKind
from core.models import Organization
from roi.data_checks import WINSOR_PERCENTILE, money_checks
from roi.estimators.multiple import FDR_LEVEL, benjamini_hochberg, bh_adjusted, two_sided_p
from roi.evidence import DAYS_PER_MONTH, GateSettings
from roi.models import (
    EvaluationRollout,
    Metric,
    ProgramPlanFreeze,
    RefreshState,
    ReportSnapshot,
    RoiSettings,
    SubjectKind,
)
from roi.money import Money, coaching_cost, program_cost
from roi.panel import data_coverage, panel_build
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
    coaching_treatments,
    kirkpatrick_behaviour,
    kirkpatrick_learning,
    median_cycle_days,
    months_of,
    program_assigned_teams,
    program_audience,
    program_treatments,
    refresh_watermark,
    rep_teams,
    report_today,
    report_window,
    rollout_assigned,
)
from training.models import PLAN_FIELDS, Program, ProgramPlanChange

COACHING_HEADLINE = Metric.BOOKINGS


@dataclass(frozen=True)
class RefreshOutcome:
    refreshed: bool
    snapshots: int = 0
    duration_ms: int = 0


@dataclass
class _Row:
    kind: str
    key: str
    title: str
    metric: str
    is_headline: bool
    analysis: Analysis
    payload: dict[str, Any]
    # A program's plan to freeze with this refresh (its first report with a finding).
    plan_to_freeze: dict[str, Any] | None = None


def report_refresh_all(*, force: bool = False, today: dt.date | None = None) -> RefreshOutcome:
    """Recompute every snapshot, or (force=False) only when the inputs' watermark moved.

    Idempotent: the same inputs give the same snapshots (fixed bootstrap seeds). Callers that may
    overlap (tasks) hold roi.tasks' lock; two overlapping runs would still each write a
    consistent set, the later one winning.
    """
    today = today or report_today()
    watermark = refresh_watermark(today=today)
    state, _created = RefreshState.objects.get_or_create(pk=1)
    if not force and state.watermark == watermark.digest:
        return RefreshOutcome(refreshed=False)
    started = time.perf_counter()
    rows = _compute(today=today)
    computed_at = timezone.now()
    duration_ms = int((time.perf_counter() - started) * 1000)
    with transaction.atomic():
        _plans_freeze(rows, computed_at)
        keep = []
        for row in rows:
            row.payload["computed_at"] = computed_at.isoformat()
            row.payload["data_as_of"] = (
                watermark.data_as_of.isoformat() if watermark.data_as_of else None
            )
            snapshot, _ = ReportSnapshot.objects.update_or_create(
                subject_kind=row.kind,
                subject_key=row.key,
                metric=row.metric,
                defaults=_snapshot_fields(row, computed_at, watermark.data_as_of, watermark.digest),
            )
            keep.append(snapshot.pk)
        # Subjects that disappeared (a program deleted or renamed) lose their snapshots.
        ReportSnapshot.objects.exclude(pk__in=keep).delete()
        RefreshState.objects.filter(pk=1).update(
            watermark=watermark.digest,
            refreshed_at=computed_at,
            duration_ms=duration_ms,
            snapshots=len(rows),
        )
    return RefreshOutcome(refreshed=True, snapshots=len(rows), duration_ms=duration_ms)


def _plans_freeze(rows: list[_Row], computed_at: dt.datetime) -> None:
    """Freeze each program's plan at its first report with a finding (once: get_or_create on a
    one-to-one, so a concurrent refresh cannot freeze it twice)."""
    frozen: dict[int, dt.datetime] = {}
    for row in rows:
        plan = row.plan_to_freeze
        if plan is None:
            continue
        if plan["program_id"] not in frozen:
            freeze, _created = ProgramPlanFreeze.objects.get_or_create(
                program_id=plan["program_id"], defaults={**plan["plan"], "frozen_at": computed_at}
            )
            frozen[plan["program_id"]] = freeze.frozen_at
        row.payload["plan"]["frozen_at"] = frozen[plan["program_id"]].isoformat()


def _snapshot_fields(
    row: _Row, computed_at: dt.datetime, data_as_of: dt.datetime | None, digest: str
) -> dict[str, Any]:
    estimate = row.payload["estimate"] or {}
    money = row.payload["money"]
    return {
        "title": row.title[:200],
        "is_headline": row.is_headline,
        "status": row.analysis.status,
        "evidence_grade": row.analysis.grade,
        "att": estimate.get("att"),
        "ci_low": estimate.get("ci_low"),
        "ci_high": estimate.get("ci_high"),
        "roi_pct": money.get("roi_pct"),
        "summary": {
            "unit": row.payload["unit"],
            "higher_is_better": row.payload["higher_is_better"],
            "att_pct": estimate.get("att_pct"),
            "blocker": row.payload["blocker"],
            "failed_gates": [g for g in row.payload["gates"] if not g["passed"]],
            "naive": row.payload["naive"],
            "roi_ci_low": money.get("roi_ci_low"),
            "roi_ci_high": money.get("roi_ci_high"),
            "p_roi_positive": money.get("p_roi_positive"),
            "currency": money.get("currency"),
            "treated_reps": row.payload["sample"]["treated_reps"],
            "money_withheld": bool((row.payload.get("money_gate") or {}).get("is_withheld")),
            "driven_by_few_deals": bool(
                (row.payload.get("robustness") or {}).get("is_driven_by_few_deals")
            ),
            "coverage": row.payload.get("coverage"),
            "survives_fdr": row.payload["fdr"]["survives"],
            "fdr_tested": row.payload["fdr"]["tested"],
            "plan_changed": bool((row.payload.get("plan") or {}).get("changed_after_results")),
        },
        "payload": row.payload,
        "computed_at": computed_at,
        "data_as_of": data_as_of,
        "inputs_hash": digest,
    }


def report_context(*, today: dt.date, rep_ids: list[int] | None = None) -> ReportContext:
    """The panel and settings every report of one refresh shares."""
    settings = RoiSettings.current()
    coverage = data_coverage(today=today)
    window = report_window(today=today, coverage=coverage)
    panel = panel_build(
        window=window,
        home_currency=Organization.current().home_currency,
        today=today,
        rep_ids=rep_ids,
        coverage=coverage,
        winsorise_percentile=WINSOR_PERCENTILE,
        meeting_advance_days=settings.meeting_advance_days,
    )
    return ReportContext(
        panel=panel,
        median_cycle_days=median_cycle_days(window=window),
        gate_settings=GateSettings(
            min_treated_reps=settings.min_treated_reps,
            min_comparison_reps=settings.min_comparison_reps,
            min_pre_months=settings.min_pre_months,
            post_months_beyond_cycle=settings.post_months_beyond_cycle,
        ),
        default_plausible_effect_pct=float(settings.default_plausible_effect_pct),
        n_boot=settings.bootstrap_draws,
        coverage=coverage,
    )


def _compute(*, today: dt.date) -> list[_Row]:
    context = report_context(today=today)
    settings = RoiSettings.current()
    currency = Organization.current().home_currency
    programs = Program.objects.select_related("roi_costing").order_by("title", "pk")
    rollouts = {
        r.program_id: r
        for r in EvaluationRollout.objects.prefetch_related("assignments__team").filter(
            program__in=programs
        )
    }
    rep_ids = set(User.objects.filter(role=Role.REP).values_list("pk", flat=True))
    teams = rep_teams()
    freezes = {f.program_id: f for f in ProgramPlanFreeze.objects.filter(program__in=programs)}
    changes: dict[int, list[ProgramPlanChange]] = {}
    for change in ProgramPlanChange.objects.filter(program__in=programs).select_related(
        "changed_by"
    ):
        changes.setdefault(change.program_id, []).append(change)
    rows: list[_Row] = []
    for program in programs:
        rows += program_rows(
            program=program,
            rollout=rollouts.get(program.pk),
            context=context,
            settings=settings,
            currency=currency,
            rep_ids=rep_ids,
            teams=teams,
            freeze=freezes.get(program.pk),
            plan_changes=changes.get(program.pk, []),
        )
    for kind, first in sorted(coaching_treatments().items()):
        rows += _coaching_rows(kind, first, context, settings, currency)
    fdr_apply(rows)
    return rows


def fdr_apply(rows: list[_Row]) -> None:
    """The false discovery rate across the dashboard's results: every subject's headline metric
    with a finding (programs and coaching), Benjamini-Hochberg with the Benjamini-Yekutieli
    correction (the results share reps and months, so their dependence is unknown), p-values
    against Student's t with the resampled clusters (roi.estimators.multiple). Each of those
    payloads says how many were tested and whether it survives; only survivors are highlighted
    (and the home page's best ROI picks among them). Other metrics are not in the family: they
    are shown, never highlighted."""
    tested = [r for r in rows if r.is_headline and r.analysis.is_ok and r.payload["estimate"]]
    p_values = [fdr_p_value(r.payload["estimate"]) for r in tested]
    survives = benjamini_hochberg(p_values, q=FDR_LEVEL, any_dependence=True)
    q_values = bh_adjusted(p_values, any_dependence=True)
    for row in rows:
        row.payload["fdr"] = {
            "tested": len(tested),
            "level": FDR_LEVEL,
            "method": "benjamini_yekutieli",
            "survives": None,
        }
    for row, p, q, ok in zip(tested, p_values, q_values, survives, strict=True):
        row.payload["fdr"].update({"p_value": p, "q_value": q, "survives": ok})


def fdr_p_value(estimate: dict[str, Any]) -> float:
    """The p-value of "no effect" a stored estimate block gives (1 when it has no SE)."""
    if estimate.get("se") is None:
        return 1.0
    return two_sided_p(
        estimate=estimate["att"] or 0.0, se=estimate["se"], clusters=estimate.get("clusters")
    )


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
) -> list[_Row]:
    """Every metric's report of one program, graded against its frozen plan."""
    plan = program_plan(program=program, freeze=freeze)
    completed = program_treatments(program=program)
    first_treated = {rep: m for rep, m in months_of(completed).items() if rep in rep_ids}
    subject = Subject(
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
    # Each rep in the team they were in when assigned (a move later does not change their arm).
    team_of = {**(teams if teams is not None else rep_teams())}
    team_of.update(program_assigned_teams(program=program))
    assigned = None
    if rollout is not None:
        assigned, team_of = rollout_assigned(rollout=rollout, teams=team_of)
    # Inference resamples teams when teams were the unit of rollout (randomised or not).
    clustered = rollout is not None or is_team_rollout(first_treated, team_of)
    audience = program_audience(program=program)
    analyses = {
        metric: analyse(
            subject=subject,
            metric=metric,
            context=context,
            first_treated=first_treated,
            assigned=assigned,
            audience=audience | set(first_treated) if audience else None,
            clusters=team_of if clustered else None,
        )
        for metric in Metric.values
    }
    costing = getattr(program, "roi_costing", None)
    # Everyone assigned takes a seat and spends the hours, whether or not they completed.
    seats = len((audience & rep_ids) | set(completed)) if audience else len(completed)
    cost = program_cost(
        seats=seats,
        content_cost=float(program.content_cost),
        delivery_cost=float(costing.delivery_cost) if costing else 0.0,
        cost_per_seat=float(program.cost_per_seat),
        learner_hours_per_seat=float(program.expected_learner_hours),
        rep_hourly_cost=float(settings.rep_hourly_cost),
        coaching_hours_per_seat=float(costing.coaching_hours_per_seat) if costing else 0.0,
        coach_hourly_cost=float(settings.coach_hourly_cost),
    )
    gate, bookings, checks = money_checks(
        analyses[Metric.BOOKINGS],
        context=context,
        max_share_pct=float(settings.max_unconverted_share_pct),
        first_treated=first_treated,
        assigned=assigned,
        audience=audience | set(first_treated) if audience else None,
    )
    # When a few deals drive it, the bookings headline is the winsorised estimate.
    analyses[Metric.BOOKINGS] = bookings
    money = money_for(
        gate.basis(bookings),
        # The benefit counts the reps inside the estimate, the ones the effect is measured on.
        trained_reps=int(bookings.sample["treated_reps"]),
        cost=cost,
        gross_margin_pct=float(settings.gross_margin_pct),
        commission_pct=float(settings.commission_pct),
        currency=currency,
    )
    kirkpatrick = {
        **kirkpatrick_learning(program=program),
        "behaviour": kirkpatrick_behaviour(first_treated=first_treated),
        **_chain_results(analyses, money),
    }
    rollout_block = _rollout_block(rollout) if rollout is not None else None
    plan_block = _plan_block(program, freeze, plan_changes or [])
    has_finding = any(a.is_ok for a in analyses.values())
    to_freeze = {"program_id": program.pk, "plan": plan} if freeze is None and has_finding else None
    rows = [
        _row(
            analysis,
            money,
            context,
            is_headline=metric == plan["primary_metric"],
            extra={
                "kirkpatrick": kirkpatrick,
                "rollout": rollout_block,
                "plan": plan_block,
                **checks,
            },
        )
        for metric, analysis in analyses.items()
    ]
    for row in rows:
        row.plan_to_freeze = to_freeze
    return rows


def _coaching_rows(
    kind: str,
    first: dict[int, dt.datetime],
    context: ReportContext,
    settings: RoiSettings,
    currency: str,
) -> list[_Row]:
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
) -> _Row:
    payload = payload_build(analysis, money=money)
    window = context.panel.window
    payload["window"] = {"first": window.first.isoformat(), "last": window.last.isoformat()}
    payload["coverage"] = context.coverage.as_dict() if context.coverage else None
    cycle = context.median_cycle_days
    payload["median_cycle_months"] = round(cycle / DAYS_PER_MONTH, 1) if cycle else None
    payload.update(extra)
    return _Row(
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
