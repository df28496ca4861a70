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

from accounts.models import User
from accounts.roles import Role
from core.models import Organization
from roi.data_checks import WINSOR_PERCENTILE
from roi.estimators.multiple import FDR_LEVEL, benjamini_hochberg, bh_adjusted, two_sided_p
from roi.evidence import GateSettings
from roi.models import (
    EvaluationRollout,
    ProgramPlanFreeze,
    RefreshState,
    ReportSnapshot,
    RoiSettings,
)
from roi.panel import data_coverage, panel_build
from roi.reports import (
    ReportContext,
)
from roi.selectors import (
    coaching_treatments,
    median_cycle_days,
    refresh_watermark,
    rep_teams,
    report_today,
    report_window,
)
from roi.services.report_rows import ReportRow, coaching_rows, program_rows
from training.models import Program, ProgramPlanChange


@dataclass(frozen=True)
class RefreshOutcome:
    refreshed: bool
    snapshots: int = 0
    duration_ms: int = 0


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


def _plans_freeze(rows: list[ReportRow], computed_at: dt.datetime) -> None:
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
    row: ReportRow, computed_at: dt.datetime, data_as_of: dt.datetime | None, digest: str
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


def _compute(*, today: dt.date) -> list[ReportRow]:
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
    rows: list[ReportRow] = []
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
        rows += coaching_rows(kind, first, context, settings, currency)
    fdr_apply(rows)
    return rows


def fdr_apply(rows: list[ReportRow]) -> None:
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
