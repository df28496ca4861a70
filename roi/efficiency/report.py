"""The efficiency vs effectiveness report: per team (or per rep of one team) and per month, tool
spend and enablement spend per rep-month beside the outcomes, stage-advance times, the slip
figure and, where the ROI engine has a graded estimate, its effect per dollar.

Every outcome is *descriptive* (what happened, with a 95% interval over reps:
roi.efficiency.stats); only the graded estimates of the ROI reports are *causal*. Spend comes
from records and is exact. docs/roi.md ("Efficiency and effectiveness") says it for leaders.

Queries: a fixed number whatever the number of reps (pinned at two sizes in the tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.access import Actor, Principal
from core.models import Organization
from deals.models import Deal
from deals.selectors import SlipFigure, deal_slip_figure
from deals.stages import StageAdvances, stage_advances
from roi.efficiency.inputs import (
    Enablement,
    Estimate,
    Scope,
    enablement_load,
    estimates_load,
    panel_load,
    scope_load,
)
from roi.efficiency.stats import Figure, FloatArray, median_figure, ratio_figure
from roi.models import ReportStatus, RoiSettings
from roi.months import month_from_number
from roi.pages import observed_bookings
from roi.panel import RepMonthPanel
from roi.selectors import report_today
from tools.selectors import ToolSpend, tool_spend_by_person_month

PERIODS: Final = {"3m": 3, "6m": 6, "12m": 12, "24m": 24}
PERIOD_VALUES: Final = list(PERIODS)  # the API's EfficiencyPeriodEnum (config.settings)
DEFAULT_PERIOD: Final = "12m"
PERCENT: Final = (0.0, 100.0)
OUTCOMES: Final = (
    "bookings_per_rep_month",
    "win_rate",
    "cycle_days",
    "slip_rate",
    "meetings_per_rep_month",
    "meeting_advance_rate",
    "stage_advance_days",
)


def period_parse(value: str | None) -> str:
    if value in (None, ""):
        return DEFAULT_PERIOD
    if value not in PERIODS:
        raise ValidationError(
            {"period": _("Use one of: %(periods)s.") % {"periods": ", ".join(PERIODS)}}
        )
    return str(value)


@dataclass
class Row:
    """One team, rep or month: spend per rep-month (exact, from records) and outcomes."""

    key: str
    label: str
    reps: int
    rep_months: int
    tool_spend: float | None
    enablement_spend: float | None
    outcomes: dict[str, Figure]
    team_id: int | None = None
    rep_id: int | None = None


@dataclass(frozen=True)
class StageRow:
    stage: str
    days: Figure


@dataclass(frozen=True)
class EstimateRow:
    """A graded causal estimate of bookings, its enablement cost per trained rep-month and the
    bookings it returns per unit of that cost (same interval, scaled)."""

    estimate: Estimate
    cost_per_trained_rep_month: float | None
    bookings_per_currency_unit: Figure

    @property
    def is_finding(self) -> bool:
        return self.estimate.status == ReportStatus.OK and self.estimate.att is not None


@dataclass
class EfficiencyReport:
    period: str
    first_month: dt.date
    last_month: dt.date
    currency: str
    scope: Scope
    total: Row
    groups: list[Row]  # teams, or the reps of the one team asked for
    months: list[Row]
    stages: list[StageRow]
    estimates: list[EstimateRow]
    slips: SlipFigure
    tool_months_unconverted: int
    uncosted_seats: int
    today: dt.date
    notes: list[str] = field(default_factory=list)
    # When read through roi.efficiency.cache: the impact refresh the figures are as of.
    as_of: dt.datetime | None = None

    @property
    def is_empty(self) -> bool:
        return self.total.rep_months == 0


class _Sums:
    """Per rep (panel rows) and month: the panel's counts, tool and enablement spend."""

    def __init__(self, panel: RepMonthPanel, tools: ToolSpend, enablement: Enablement):
        self.panel = panel
        self.active = panel.active.astype(np.float64)
        months = panel.months.tolist()
        ids = panel.rep_ids.tolist()
        self.tool = np.zeros(panel.active.shape)
        self.enable = np.zeros(panel.active.shape)
        for column, number in enumerate(months):
            first_day = month_from_number(number)
            for row, rep_id in enumerate(ids):
                self.tool[row, column] = float(tools.total(rep_id, first_day))
                self.enable[row, column] = enablement.spend.get((rep_id, number), 0.0)
        self.tool *= self.active
        self.enable *= self.active
        zero = np.zeros(panel.active.shape)
        self.bookings = observed_bookings(panel)
        self.meetings = _observed(panel.meetings, zero, self.active)
        self.on_deals = _observed(panel.meetings_on_deals, zero, self.active)
        self.advanced = _observed(panel.meetings_advanced, zero, self.active)

    def row(self, key: str, label: str, rows: Any, columns: Any, days: list[int]) -> Row:
        def s(values: FloatArray) -> FloatArray:
            return np.asarray(values[np.ix_(rows, columns)].sum(axis=1), dtype=np.float64)

        p = self.panel
        active, won = s(self.active), s(p.won_count * self.active)
        rep_months = float(active.sum())
        outcomes = {
            "bookings_per_rep_month": ratio_figure(s(self.bookings), active),
            "win_rate": ratio_figure(
                won, s((p.won_count + p.lost_count) * self.active), scale=100, bounds=PERCENT
            ),
            "cycle_days": ratio_figure(s(p.won_cycle_days * self.active), won),
            "slip_rate": ratio_figure(
                s(p.slipped * self.active), s(p.due * self.active), scale=100, bounds=PERCENT
            ),
            "meetings_per_rep_month": ratio_figure(s(self.meetings), active),
            "meeting_advance_rate": ratio_figure(
                s(self.advanced), s(self.on_deals), scale=100, bounds=PERCENT
            ),
            "stage_advance_days": median_figure(days),
        }
        return Row(
            key=key,
            label=label,
            reps=int((active > 0).sum()),
            rep_months=int(rep_months),
            tool_spend=float(s(self.tool).sum()) / rep_months if rep_months else None,
            enablement_spend=float(s(self.enable).sum()) / rep_months if rep_months else None,
            outcomes=outcomes,
        )


def _observed(values: FloatArray | None, zero: FloatArray, active: FloatArray) -> FloatArray:
    return zero if values is None else np.nan_to_num(values) * active


def _estimate_rows(estimates: list[Estimate]) -> list[EstimateRow]:
    rows = []
    for e in estimates:
        per_month = (
            e.cost / e.trained_rep_months if e.cost is not None and e.trained_rep_months else None
        )
        figure = Figure(None)
        if e.status == ReportStatus.OK and e.att is not None and per_month:
            figure = Figure(
                e.att / per_month,
                e.ci_low / per_month if e.ci_low is not None else None,
                e.ci_high / per_month if e.ci_high is not None else None,
            )
        rows.append(EstimateRow(e, per_month, figure))
    return rows


def _days(advances: Iterable[StageAdvances]) -> list[int]:
    """Every advance's days, from the counted rows."""
    counted = list(advances)
    days = np.repeat([a.days for a in counted], [a.count for a in counted])
    return [int(d) for d in days]


def _stage_rows(advances: list[StageAdvances]) -> list[StageRow]:
    by_stage: dict[str, list[StageAdvances]] = {}
    for a in advances:
        by_stage.setdefault(a.stage, []).append(a)
    rows = [StageRow(stage, median_figure(_days(counted))) for stage, counted in by_stage.items()]
    return sorted(rows, key=lambda r: (-r.days.n, r.stage))


def _groups(sums: _Sums, scope: Scope, advances: list[StageAdvances]) -> list[Row]:
    """One row per team, or per rep when the scope is one team."""
    position = {int(pk): i for i, pk in enumerate(sums.panel.rep_ids.tolist())}
    every_month = np.arange(sums.panel.months.size)
    # Advances come per rep when the scope is one team, else per team (efficiency_report_build).
    by_group: dict[int | None, list[StageAdvances]] = {}
    for a in advances:
        by_group.setdefault(a.group_id, []).append(a)
    days_of = {group: _days(counted) for group, counted in by_group.items()}
    rows = []
    if scope.team is not None:
        for rep in scope.reps:
            if rep.pk not in position:
                continue
            row = sums.row(
                f"rep-{rep.pk}",
                rep.full_name,
                [position[rep.pk]],
                every_month,
                days_of.get(rep.pk, []),
            )
            row.rep_id, row.team_id = rep.pk, rep.team_id
            rows.append(row)
        return rows
    for team in scope.teams:
        members = [r.pk for r in scope.reps if r.team_id == team.pk and r.pk in position]
        days = days_of.get(team.pk, [])
        row = sums.row(
            f"team-{team.pk}", team.name, [position[pk] for pk in members], every_month, days
        )
        row.team_id = team.pk
        rows.append(row)
    return rows


def _months(sums: _Sums) -> list[Row]:
    """Per month, every rep in scope; the newest first."""
    everyone = np.arange(sums.panel.rep_ids.size)
    rows = []
    for column, number in enumerate(sums.panel.months.tolist()):
        label = month_from_number(number).strftime("%Y-%m")
        rows.append(sums.row(label, label, everyone, [column], []))
    return [r for r in reversed(rows) if r.rep_months]


def efficiency_report_build(
    *, principal: Actor | Principal, period: str, team_id: int | None = None
) -> EfficiencyReport:
    """The report for what `principal` sees, computed now from the data (pages read it through
    roi.efficiency.cache). Queries: scope (2), then efficiency_report_for_scope's."""
    return efficiency_report_for_scope(
        scope=scope_load(principal=principal, team_id=team_id), period=period
    )


def efficiency_report_for_scope(*, scope: Scope, period: str) -> EfficiencyReport:
    """The report over `scope` (scope_load). Queries: organisation, ROI settings, panel (8; 10
    before the first refresh stores the data coverage), tool spend (6), estimates,
    enablement (3), stage advances, slip figure."""
    today = report_today()
    currency = Organization.current().home_currency
    settings = RoiSettings.current()
    rep_ids = [r.pk for r in scope.reps]
    panel = panel_load(
        rep_ids=rep_ids,
        months=PERIODS[period],
        today=today,
        currency=currency,
        advance_days=settings.meeting_advance_days,
    )
    window = panel.window
    tools = tool_spend_by_person_month(start=window.first, end=window.last)
    estimates = estimates_load()
    enablement = enablement_load(
        rep_ids=rep_ids, window=window, estimates=estimates, settings=settings
    )
    advances = stage_advances(
        owner_ids=rep_ids,
        start_at=window.start_at,
        end_at=window.end_at,
        by="owner" if scope.team is not None else "team",
    )
    sums = _Sums(panel, tools, enablement)
    everyone = np.arange(panel.rep_ids.size)
    total = sums.row(
        "total",
        _("Everyone in view"),
        everyone,
        np.arange(panel.months.size),
        _days(advances),
    )
    return EfficiencyReport(
        period=period,
        first_month=window.first,
        last_month=window.last,
        currency=currency,
        scope=scope,
        total=total,
        groups=_groups(sums, scope, advances),
        months=_months(sums),
        stages=_stage_rows(advances),
        estimates=_estimate_rows(estimates),
        slips=deal_slip_figure(
            deals=Deal.objects.filter(owner_id__in=rep_ids), today=today, since=window.first
        ),
        tool_months_unconverted=tools.unconverted,
        uncosted_seats=enablement.uncosted_seats,
        today=today,
    )
