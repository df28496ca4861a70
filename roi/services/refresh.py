"""Computing every report and storing it as a snapshot.

A refresh is planned (`report_refresh_plan`: the inputs' watermark and the items, one per subject
and metric), every item is computed (`report_refresh_item`: the rep-month panel, built once per
process and refresh, then the staggered DiD estimator, the evidence gates and, for bookings, the
money), and the results are published together (`report_publish`: the rows assembled, the false
discovery rate across them, every snapshot written in one transaction). Pages and the API only
read snapshots.

Two ways to run it, one code path for each item:
- roi.tasks fans the items out across Celery workers as a chord (one task per item, the publish
  as its callback; decision 0023), so more workers make a refresh faster;
- `report_refresh_all` computes the items one after another in this process
  (`manage.py roi_refresh`, tests, the benches).

Publishing is all or nothing: a refresh whose item failed publishes nothing, and the previous
snapshots stay. It is idempotent: a publish delivered twice, or one older than the last
published refresh, writes nothing (the refresh's id and start are kept in RefreshState).

When it runs (debounced by watermark, so a burst of ingestions costs one refresh):
- roi.tasks.refresh_reports_if_changed every 10 minutes: recomputes only when the watermark of the
  inputs (roi.selectors.refresh_watermark) moved since the last refresh;
- roi.tasks.refresh_all_reports nightly, and `manage.py roi_refresh`: always recompute.
Ingestion and training never call the ROI app (the dependency points the other way).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.models import Organization
from roi.data_checks import WINSOR_PERCENTILE
from roi.estimators.multiple import FDR_LEVEL, benjamini_hochberg, bh_adjusted, two_sided_p
from roi.evidence import GateSettings
from roi.models import (
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
    median_cycle_days,
    refresh_watermark,
    report_today,
    report_window,
)
from roi.services.report_rows import (
    RefreshInputs,
    ReportItem,
    ReportRow,
    program_plan,
    refresh_inputs,
    report_item_compute,
    report_items,
    report_rows_assemble,
)
from training.models import Program


@dataclass(frozen=True)
class RefreshOutcome:
    refreshed: bool
    snapshots: int = 0
    duration_ms: int = 0


@dataclass(frozen=True)
class RefreshRun:
    """One planned refresh: what every item and the publish of it share."""

    run_id: str
    today: dt.date
    # The inputs' watermark when the refresh was planned (stored with the snapshots).
    digest: str
    data_as_of: dt.datetime | None
    started_at: dt.datetime
    items: tuple[ReportItem, ...] = ()

    def as_message(self) -> dict[str, Any]:
        """Plain JSON, for task arguments (without the items: each task takes its own)."""
        return {
            "run_id": self.run_id,
            "today": self.today.isoformat(),
            "digest": self.digest,
            "data_as_of": self.data_as_of.isoformat() if self.data_as_of else None,
            "started_at": self.started_at.isoformat(),
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> RefreshRun:
        data_as_of = message["data_as_of"]
        return cls(
            run_id=message["run_id"],
            today=dt.date.fromisoformat(message["today"]),
            digest=message["digest"],
            data_as_of=dt.datetime.fromisoformat(data_as_of) if data_as_of else None,
            started_at=dt.datetime.fromisoformat(message["started_at"]),
        )


def report_refresh_all(*, force: bool = False, today: dt.date | None = None) -> RefreshOutcome:
    """Recompute every snapshot in this process, or (force=False) only when the inputs'
    watermark moved.

    Idempotent: the same inputs give the same snapshots (fixed bootstrap seeds). Callers that may
    overlap (tasks) hold roi.tasks' lock; of two overlapping runs the later-planned one wins.
    """
    run = report_refresh_plan(force=force, today=today)
    if run is None:
        return RefreshOutcome(refreshed=False)
    results = [report_refresh_item(run=run, item=item) for item in run.items]
    return report_publish(run=run, results=results)


def report_refresh_plan(*, force: bool, today: dt.date | None = None) -> RefreshRun | None:
    """A new refresh and its items, or None when (force=False) the watermark has not moved."""
    today = today or report_today()
    watermark = refresh_watermark(today=today)
    state, _created = RefreshState.objects.get_or_create(pk=1)
    if not force and state.watermark == watermark.digest:
        return None
    return RefreshRun(
        run_id=uuid.uuid4().hex,
        today=today,
        digest=watermark.digest,
        data_as_of=watermark.data_as_of,
        started_at=timezone.now(),
        items=tuple(report_items()),
    )


# The inputs of the refresh this process last computed an item of: {run id: inputs}. A worker
# process builds the panel once per refresh, however many of its items it computes.
_inputs_of_run: dict[str, RefreshInputs] = {}


def report_refresh_item(*, run: RefreshRun, item: ReportItem) -> dict[str, Any]:
    """One item's result (plain JSON), computed from the panel of this refresh. Each process
    builds that panel from the data as it finds it: if deals change during a refresh, processes
    may see different data, and the watermark (taken when the refresh was planned) makes the
    next frequent refresh compute again."""
    inputs = _inputs_of_run.get(run.run_id)
    if inputs is None:
        inputs = refresh_inputs(report_context(today=run.today))
        _inputs_of_run.clear()
        _inputs_of_run[run.run_id] = inputs
    return report_item_compute(item=item, inputs=inputs)


def report_publish(*, run: RefreshRun, results: list[dict[str, Any]]) -> RefreshOutcome:
    """Write every snapshot of the refresh from its items' results in one transaction (readers
    see the previous refresh or this one, never a mix). Idempotent: nothing is written when this
    refresh, or one planned after it, was published already."""
    rows = report_rows_assemble(results)
    fdr_apply(rows)
    computed_at = timezone.now()
    duration_ms = max(0, int((computed_at - run.started_at).total_seconds() * 1000))
    with transaction.atomic():
        # Locked: two publishes (a re-delivered message, two refreshes) decide one after the other.
        RefreshState.objects.get_or_create(pk=1)
        state = RefreshState.objects.select_for_update().get(pk=1)
        if state.run_id == run.run_id or (
            state.run_started_at is not None and state.run_started_at > run.started_at
        ):
            return RefreshOutcome(refreshed=False)
        _plans_freeze(rows, computed_at)
        keep = []
        for row in rows:
            row.payload["computed_at"] = computed_at.isoformat()
            row.payload["data_as_of"] = run.data_as_of.isoformat() if run.data_as_of else None
            snapshot, _ = ReportSnapshot.objects.update_or_create(
                subject_kind=row.kind,
                subject_key=row.key,
                metric=row.metric,
                defaults=_snapshot_fields(row, computed_at, run.data_as_of, run.digest),
            )
            keep.append(snapshot.pk)
        # Subjects that disappeared (a program deleted or renamed) lose their snapshots.
        ReportSnapshot.objects.exclude(pk__in=keep).delete()
        RefreshState.objects.filter(pk=1).update(
            watermark=run.digest,
            refreshed_at=computed_at,
            duration_ms=duration_ms,
            snapshots=len(rows),
            run_id=run.run_id,
            run_started_at=run.started_at,
        )
    return RefreshOutcome(refreshed=True, snapshots=len(rows), duration_ms=duration_ms)


def _plans_freeze(rows: list[ReportRow], computed_at: dt.datetime) -> None:
    """Freeze each program's plan at its first report with a finding (once: get_or_create on a
    one-to-one, so a concurrent refresh cannot freeze it twice)."""
    frozen: dict[int, dt.datetime] = {}
    for row in rows:
        program_id = row.program_to_freeze
        if program_id is None:
            continue
        if program_id not in frozen:
            program = Program.objects.get(pk=program_id)
            freeze, _created = ProgramPlanFreeze.objects.get_or_create(
                program_id=program_id,
                defaults={**program_plan(program=program, freeze=None), "frozen_at": computed_at},
            )
            frozen[program_id] = freeze.frozen_at
        row.payload["plan"]["frozen_at"] = frozen[program_id].isoformat()


def _snapshot_fields(
    row: ReportRow, computed_at: dt.datetime, data_as_of: dt.datetime | None, digest: str
) -> dict[str, Any]:
    estimate = row.payload["estimate"] or {}
    money = row.payload["money"]
    return {
        "title": row.title[:200],
        "is_headline": row.is_headline,
        "status": row.status,
        "evidence_grade": row.grade,
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


def fdr_apply(rows: list[ReportRow]) -> None:
    """The false discovery rate across the dashboard's results: every subject's headline metric
    with a finding (programs and coaching), Benjamini-Hochberg with the Benjamini-Yekutieli
    correction (the results share reps and months, so their dependence is unknown), p-values
    against Student's t with the effective clusters (roi.estimators.multiple). Each of those
    payloads says how many were tested and whether it survives; only survivors are highlighted
    (and the home page's best ROI picks among them). Other metrics are not in the family: they
    are shown, never highlighted."""
    tested = [r for r in rows if r.is_headline and r.is_ok and r.payload["estimate"]]
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
    """The p-value of "no effect" a stored estimate block gives (1 when it has no SE), with its
    effective clusters (its resampled ones when stored before those were kept)."""
    if estimate.get("se") is None:
        return 1.0
    clusters = estimate.get("effective_clusters") or estimate.get("clusters")
    return two_sided_p(estimate=estimate["att"] or 0.0, se=estimate["se"], clusters=clusters)
