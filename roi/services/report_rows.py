"""The reports of one refresh, split into items: one subject (a program or a kind of coaching)
and one metric each, so that a refresh fans out across workers (roi.tasks) as well as running in
one process (roi.services.refresh). Both paths compute every item with `report_item_compute`
and put the rows together with `report_rows_assemble`.

An item's result is plain JSON (it travels through Celery's result backend): the metric's report
without its money, and a brief of its estimate for the subject's Kirkpatrick chain. The bookings
item of a subject also carries what the whole subject shares: the money (priced from bookings,
after the money gate and the robustness check), those checks, and the program's learning,
behaviour, rollout and plan blocks. `report_rows_assemble` gives every metric's row that money
and those blocks, as one process computing the subject would.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from accounts.models import User
from accounts.roles import Role
from coaching.models import SessionKind
from core.models import Organization
from roi.data_checks import money_checks
from roi.evidence import DAYS_PER_MONTH
from roi.models import (
    EvaluationRollout,
    Metric,
    ProgramPlanFreeze,
    ReportStatus,
    RoiSettings,
    SubjectKind,
)
from roi.money import CostBreakdown, Money, coaching_cost, program_cost
from roi.reports import (
    Analysis,
    ReportContext,
    Subject,
    analyse,
    analysis_payload,
    is_team_rollout,
    money_for,
)
from roi.selectors import (
    coaching_hours,
    coaching_treatments,
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
# The chain's results, in the order the Kirkpatrick block lists them.
CHAIN_RESULTS = (Metric.BOOKINGS, Metric.WIN_RATE, Metric.CYCLE_DAYS, Metric.SLIP_RATE)


class ReportItem(TypedDict):
    """One unit of a refresh: a subject and a metric."""

    kind: str
    key: str
    metric: str


@dataclass(frozen=True)
class RefreshInputs:
    """What every item of one refresh shares: the panel and settings (built once per process
    and refresh, roi.services.refresh)."""

    context: ReportContext
    settings: RoiSettings
    currency: str
    rep_ids: set[int]
    teams: dict[int, int]


@dataclass
class ReportRow:
    kind: str
    key: str
    title: str
    metric: str
    is_headline: bool
    status: str
    grade: str
    payload: dict[str, Any]
    # A program whose plan this refresh freezes (its first report with a finding).
    program_to_freeze: int | None = None

    @property
    def is_ok(self) -> bool:
        return self.status == ReportStatus.OK


def report_items() -> list[ReportItem]:
    """Every item of a full refresh: each program (by title), then each kind of coaching with a
    completed session, times every metric. Two queries."""
    subjects = [
        (SubjectKind.PROGRAM, slug)
        for slug in Program.objects.order_by("title", "pk").values_list("slug", flat=True)
    ] + [(SubjectKind.COACHING, kind) for kind in sorted(coaching_treatments())]
    return [
        ReportItem(kind=str(kind), key=key, metric=str(metric))
        for kind, key in subjects
        for metric in Metric.values
    ]


def refresh_inputs(context: ReportContext) -> RefreshInputs:
    return RefreshInputs(
        context=context,
        settings=RoiSettings.current(),
        currency=Organization.current().home_currency,
        rep_ids=set(User.objects.filter(role=Role.REP).values_list("pk", flat=True)),
        teams=rep_teams(),
    )


def report_item_compute(*, item: ReportItem, inputs: RefreshInputs) -> dict[str, Any]:
    """One metric's report of one subject, as plain JSON (see the module's docstring). Pure
    given the inputs: the bootstrap seeds are fixed, so computing an item twice gives the same
    result."""
    if item["kind"] == SubjectKind.PROGRAM:
        return _program_item(item, inputs)
    if item["kind"] == SubjectKind.COACHING:
        return _coaching_item(item, inputs)
    raise ValueError(f"unknown subject kind {item['kind']!r}")


def report_rows_assemble(results: Iterable[dict[str, Any]]) -> list[ReportRow]:
    """The rows of a refresh from its items' results, every subject's metrics complete (a
    missing one raises: a refresh is published whole or not at all)."""
    subjects: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for result in results:
        subjects.setdefault((result["kind"], result["key"]), {})[result["metric"]] = result
    rows: list[ReportRow] = []
    for (kind, key), by_metric in subjects.items():
        missing = sorted(set(Metric.values) - set(by_metric))
        if missing:
            raise ValueError(f"{kind} {key!r}: no result for {', '.join(missing)}")
        shared = by_metric[Metric.BOOKINGS]["subject"]
        money = shared["money"]
        chain = {
            "leading": by_metric[Metric.QUALIFICATION]["brief"],
            "results": [by_metric[m]["brief"] for m in CHAIN_RESULTS],
            "roi": {
                name: money[name]
                for name in ("roi_pct", "roi_ci_low", "roi_ci_high", "p_roi_positive")
            },
        }
        extra = {
            "kirkpatrick": {**shared["kirkpatrick"], **chain},
            **shared["blocks"],
            **shared["checks"],
        }
        has_finding = any(r["status"] == ReportStatus.OK for r in by_metric.values())
        to_freeze = shared["unfrozen_program"] if has_finding else None
        for metric in Metric.values:
            result = by_metric[metric]
            rows.append(
                ReportRow(
                    kind=kind,
                    key=key,
                    title=result["title"],
                    metric=metric,
                    is_headline=result["is_headline"],
                    status=result["status"],
                    grade=result["grade"],
                    payload={**result["payload"], "money": money, **extra},
                    program_to_freeze=to_freeze,
                )
            )
    return rows


def _program_item(item: ReportItem, inputs: RefreshInputs) -> dict[str, Any]:
    program = Program.objects.select_related("roi_costing").get(slug=item["key"])
    rollout = (
        EvaluationRollout.objects.prefetch_related("assignments__team")
        .filter(program=program)
        .first()
    )
    freeze = ProgramPlanFreeze.objects.filter(program=program).first()
    plan = program_plan(program=program, freeze=freeze)
    completed = program_treatments(program=program)
    first_treated = {rep: m for rep, m in months_of(completed).items() if rep in inputs.rep_ids}
    design = _program_design(program, rollout, inputs.teams, first_treated)
    audience = program_audience(program=program)
    analysis_inputs: dict[str, Any] = {
        "context": inputs.context,
        "first_treated": first_treated,
        "assigned": design.assigned,
        "audience": audience | set(first_treated) if audience else None,
    }
    metric = item["metric"]
    analysis = analyse(
        subject=_program_subject(program, plan, rollout),
        metric=metric,
        clusters=design.clusters,
        **analysis_inputs,
    )
    is_headline = metric == plan["primary_metric"]
    if metric != Metric.BOOKINGS:
        return _item_result(analysis, inputs.context, is_headline=is_headline)
    settings = inputs.settings
    gate, bookings, checks = money_checks(
        analysis, max_share_pct=float(settings.max_unconverted_share_pct), **analysis_inputs
    )
    # Everyone assigned takes a seat and spends the hours, whether or not they completed.
    seats = len((audience & inputs.rep_ids) | set(completed)) if audience else len(completed)
    money = money_for(
        gate.basis(bookings),
        # The benefit counts the reps inside the estimate, the ones the effect is measured on.
        trained_reps=int(bookings.sample["treated_reps"]),
        cost=_program_cost(program, settings, seats=seats),
        gross_margin_pct=float(settings.gross_margin_pct),
        commission_pct=float(settings.commission_pct),
        currency=inputs.currency,
    )
    # When a few deals drive it, the bookings headline is the winsorised estimate.
    result = _item_result(bookings, inputs.context, is_headline=is_headline)
    result["subject"] = _program_subject_block(
        program, money, checks, first_treated=first_treated, rollout=rollout, freeze=freeze
    )
    return result


def _program_subject_block(
    program: Program,
    money: Money,
    checks: dict[str, Any],
    *,
    first_treated: dict[int, int],
    rollout: EvaluationRollout | None,
    freeze: ProgramPlanFreeze | None,
) -> dict[str, Any]:
    """What a program's report shows beside its estimates: money, data checks, the Kirkpatrick
    levels, the evaluation rollout and the frozen plan with its later changes."""
    plan_changes = list(
        ProgramPlanChange.objects.filter(program=program).select_related("changed_by")
    )
    return _shared_block(
        money,
        checks,
        kirkpatrick={
            **kirkpatrick_learning(program=program),
            "behaviour": kirkpatrick_behaviour(first_treated=first_treated),
        },
        blocks={
            "rollout": _rollout_block(rollout) if rollout is not None else None,
            "plan": _plan_block(program, freeze, plan_changes),
        },
        unfrozen_program=program.pk if freeze is None else None,
    )


def _coaching_item(item: ReportItem, inputs: RefreshInputs) -> dict[str, Any]:
    kind, metric = item["key"], item["metric"]
    first_treated = months_of(coaching_treatments().get(kind, {}))
    label = dict(SessionKind.choices).get(kind, kind)
    subject = Subject(
        kind=SubjectKind.COACHING, key=kind, title=str(label), headline_metric=COACHING_HEADLINE
    )
    context = inputs.context
    analysis = analyse(subject=subject, metric=metric, context=context, first_treated=first_treated)
    is_headline = metric == COACHING_HEADLINE
    if metric != Metric.BOOKINGS:
        return _item_result(analysis, context, is_headline=is_headline)
    settings = inputs.settings
    gate, bookings, checks = money_checks(
        analysis,
        context=context,
        max_share_pct=float(settings.max_unconverted_share_pct),
        first_treated=first_treated,
    )
    money = money_for(
        gate.basis(bookings),
        trained_reps=int(bookings.sample["treated_reps"]),
        commission_pct=float(settings.commission_pct),
        cost=coaching_cost(
            session_hours=coaching_hours(kind=kind, reps=first_treated),
            rep_hourly_cost=float(settings.rep_hourly_cost),
            coach_hourly_cost=float(settings.coach_hourly_cost),
        ),
        gross_margin_pct=float(settings.gross_margin_pct),
        currency=inputs.currency,
    )
    result = _item_result(bookings, context, is_headline=is_headline)
    result["subject"] = _shared_block(
        money, checks, kirkpatrick={}, blocks={"rollout": None}, unfrozen_program=None
    )
    return result


def _shared_block(
    money: Money,
    checks: dict[str, Any],
    *,
    kirkpatrick: dict[str, Any],
    blocks: dict[str, Any],
    unfrozen_program: int | None,
) -> dict[str, Any]:
    """What every metric's row of a subject shares, carried by its bookings item."""
    return {
        "money": money.as_dict(),
        "checks": checks,
        "kirkpatrick": kirkpatrick,
        "blocks": blocks,
        "unfrozen_program": unfrozen_program,
    }


def _item_result(
    analysis: Analysis, context: ReportContext, *, is_headline: bool
) -> dict[str, Any]:
    payload = analysis_payload(analysis)
    window = context.panel.window
    payload["window"] = {"first": window.first.isoformat(), "last": window.last.isoformat()}
    payload["coverage"] = context.coverage.as_dict() if context.coverage else None
    cycle = context.median_cycle_days
    payload["median_cycle_months"] = round(cycle / DAYS_PER_MONTH, 1) if cycle else None
    subject = analysis.subject
    return {
        "kind": str(subject.kind),
        "key": subject.key,
        "title": subject.title,
        "metric": str(analysis.metric),
        "is_headline": is_headline,
        "status": str(analysis.status),
        "grade": str(analysis.grade),
        "payload": payload,
        "brief": _brief(analysis),
    }


def _brief(analysis: Analysis) -> dict[str, Any]:
    """The metric's line in the Kirkpatrick chain."""
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
