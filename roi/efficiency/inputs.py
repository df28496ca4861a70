"""What the efficiency page reads, each in a fixed number of queries: the people in scope, the
panel over the period, tool spend, enablement spend, stage advances and the graded estimates.

Enablement spend is what the ROI reports already count (roi.money), spread the same way:
- a program costs, per seat, its fully loaded cost (content, delivery, seats, reps' and coaches'
  time) divided by its seats, read from its latest bookings report; each rep who completed the
  program in the period carries one seat in the month they completed it;
- coaching costs an hour of the coach and an hour of the rep per hour of completed session.
Programs without a report yet have no known cost and are counted as such, never as zero.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from accounts.access import Actor, Principal, team_get_visible, visible_reps, visible_teams
from accounts.models import Team, User
from coaching.models import CoachingSession, SessionStatus
from roi.models import Metric, ReportSnapshot, RoiSettings, SubjectKind
from roi.months import month_number, utc_month
from roi.pages import rep_completions
from roi.panel import RepMonthPanel, data_coverage, panel_build
from roi.panel.window import PanelWindow
from roi.selectors import report_window, snapshot_data_coverage


@dataclass(frozen=True)
class Scope:
    teams: list[Team]
    team: Team | None  # the one team asked for, None: every visible team
    reps: list[User]  # ordered by name


def scope_load(*, principal: Actor | Principal, team_id: int | None) -> Scope:
    """The teams and reps `principal` sees (accounts.access); one team's when asked (404 when
    it is not visible). Two queries."""
    if team_id is not None:
        team = team_get_visible(principal, team_id=team_id)
        teams = [team]
    else:
        team, teams = None, list(visible_teams(principal))
    reps = visible_reps(principal).filter(team__in=[t.pk for t in teams])
    return Scope(teams=teams, team=team, reps=list(reps.order_by("full_name", "pk")))


def panel_load(
    *, rep_ids: list[int], months: int, today: dt.date, currency: str, advance_days: int
) -> RepMonthPanel:
    """The reps' panel over the last `months` months the deal data covers (stored coverage of
    the latest refresh; the data's own before the first one), with their meetings."""
    coverage = snapshot_data_coverage(today=today) or data_coverage(today=today)
    last = report_window(today=today, coverage=coverage).last
    return panel_build(
        window=PanelWindow.ending(last, months=months),
        home_currency=currency,
        today=today,
        rep_ids=rep_ids,
        coverage=coverage,
        meeting_advance_days=advance_days,
    )


@dataclass(frozen=True)
class Estimate:
    """A subject's latest bookings report (programs and coaching): graded, with its money."""

    kind: str
    key: str
    title: str
    status: str
    grade: str
    att: float | None
    ci_low: float | None
    ci_high: float | None
    cost: float | None
    seats: float | None
    trained_rep_months: float | None


def _seats(money: dict[str, Any]) -> float | None:
    for line in money.get("cost_lines") or []:
        if isinstance(line, dict) and line.get("name") == "seats":
            return float(line.get("quantity") or 0) or None
    return None


def estimates_load() -> list[Estimate]:
    """One query: the bookings reports with their money block (not the whole payload)."""
    rows = (
        ReportSnapshot.objects.filter(metric=Metric.BOOKINGS)
        .order_by("subject_kind", "title", "subject_key")
        .values_list(
            "subject_kind",
            "subject_key",
            "title",
            "status",
            "evidence_grade",
            "att",
            "ci_low",
            "ci_high",
            "payload__money",
        )
    )
    out = []
    for kind, key, title, status, grade, att, low, high, money in rows:
        money = money if isinstance(money, dict) else {}
        cost = money.get("cost")
        months = money.get("trained_rep_months")
        out.append(
            Estimate(
                kind=kind,
                key=key,
                title=title,
                status=status,
                grade=grade,
                att=att,
                ci_low=low,
                ci_high=high,
                cost=float(cost) if cost is not None else None,
                seats=_seats(money) if kind == SubjectKind.PROGRAM else None,
                trained_rep_months=float(months) if months else None,
            )
        )
    return out


@dataclass
class Enablement:
    # {(rep id, month number): home-currency spend}
    spend: dict[tuple[int, int], float] = field(default_factory=dict)
    uncosted_seats: int = 0  # completions of programs without a costed report


def enablement_load(
    *, rep_ids: list[int], window: PanelWindow, estimates: list[Estimate], settings: RoiSettings
) -> Enablement:
    """Training seats completed and coaching hours held in the window. Three queries:
    completions (2), the completed coaching sessions."""
    per_seat = {
        e.key: e.cost / e.seats
        for e in estimates
        if e.kind == SubjectKind.PROGRAM and e.cost is not None and e.seats
    }
    first, last = month_number(window.first), month_number(window.last)
    result = Enablement()
    spend: dict[tuple[int, int], float] = defaultdict(float)
    for rep_id, done in rep_completions(rep_ids=rep_ids).items():
        for program, when in done:
            month = utc_month(when)
            if not first <= month <= last:
                continue
            if program.slug in per_seat:
                spend[(rep_id, month)] += per_seat[program.slug]
            else:
                result.uncosted_seats += 1
    hourly = float(settings.rep_hourly_cost) + float(settings.coach_hourly_cost)
    for rep_id, month, hours in _coaching_hours(rep_ids, window):
        spend[(rep_id, month)] += hours * hourly
    result.spend = dict(spend)
    return result


def _coaching_hours(rep_ids: list[int], window: PanelWindow) -> list[tuple[int, int, float]]:
    sessions: QuerySet[CoachingSession] = CoachingSession.objects.filter(
        status=SessionStatus.COMPLETED,
        rep_id__in=rep_ids,
        start__gte=window.start_at,
        start__lt=window.end_at,
    )
    rows = sessions.values_list("rep_id", "start", "end")
    totals: dict[tuple[int, int], float] = defaultdict(float)
    for rep_id, start, end in rows:
        totals[(rep_id, utc_month(start))] += (end - start).total_seconds() / 3600
    return [(rep, month, hours) for (rep, month), hours in totals.items()]


__all__ = [
    "Enablement",
    "Estimate",
    "Scope",
    "enablement_load",
    "estimates_load",
    "panel_load",
    "scope_load",
]
