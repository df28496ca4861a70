"""What each impact page shows, built in a fixed number of queries.

The dashboard and the report pages read snapshots only. Team and rep pages build the panel of
their few reps on the fly (seven set-based queries, bounded by the team's size), over the months
the latest reports cover (their stored data coverage, one query).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Max, Min
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.roles import Role
from coaching.models import CoachingSession, SessionKind, SessionStatus
from core.models import Organization
from roi.access import teams_for_reports
from roi.data_checks import freshness_notes, money_notes
from roi.evidence import Gate
from roi.models import Metric, RefreshState, ReportSnapshot, ReportStatus, SubjectKind
from roi.months import month_from_number
from roi.panel import RepMonthPanel, data_coverage, panel_build
from roi.reports import blocker_text, report_reasons
from roi.selectors import (
    report_today,
    report_window,
    snapshot_data_coverage,
    snapshot_list_for_subject,
    snapshot_list_headlines,
)
from roi.tables import REPORT_TABLES, Column, Table, dashboard_table, metric_label
from training.models import Completion, Program, ProgramCourse

UNIT_OF = {
    Metric.BOOKINGS: "currency",
    Metric.WIN_RATE: "points",
    Metric.CYCLE_DAYS: "days",
    Metric.SLIP_RATE: "points",
    Metric.QUALIFICATION: "points",
}


@dataclass
class Freshness:
    computed_at: dt.datetime | None
    data_as_of: dt.datetime | None


@dataclass
class HeadlineRow:
    snapshot: ReportSnapshot
    reasons: list[str]
    url_kind: str

    @property
    def summary(self) -> dict[str, Any]:
        return self.snapshot.summary

    @property
    def is_ok(self) -> bool:
        return self.snapshot.status == ReportStatus.OK

    @property
    def is_highlighted(self) -> bool:
        """A finding that survives the false-discovery-rate control across the dashboard."""
        return self.is_ok and bool(self.snapshot.summary.get("survives_fdr"))

    @property
    def title(self) -> str:
        """A coaching kind's name in the reader's language (the snapshot keeps English)."""
        if self.snapshot.subject_kind == SubjectKind.COACHING:
            return str(SessionKind(self.snapshot.subject_key).label)
        return self.snapshot.title


@dataclass
class Dashboard:
    programs: list[HeadlineRow]
    waiting_programs: list[Program]
    coaching: list[HeadlineRow]
    teams: list[Team]
    refreshed_at: dt.datetime | None
    data_as_of: dt.datetime | None
    currency: str
    tables: dict[str, Table] = field(default_factory=dict)
    # Where the deal data ends, when it stops before the last complete month.
    freshness_notes: list[str] = field(default_factory=list)
    # Benjamini-Hochberg across the dashboard's findings: how many were tested, how many survive.
    fdr_tested: int = 0
    fdr_survivors: int = 0


def _reasons(summary: dict[str, Any]) -> list[str]:
    reasons = [blocker_text(summary["blocker"])] if summary.get("blocker") else []
    return reasons + [
        Gate(g["name"], g["required"], g["actual"], g["passed"]).missing()
        for g in summary.get("failed_gates", [])
    ]


def dashboard_build(*, viewer: User) -> Dashboard:
    """Queries: headline snapshots, programs, refresh state, organisation, teams."""
    headlines = list(snapshot_list_headlines())
    programs = list(Program.objects.only("pk", "slug", "title").order_by("title", "pk"))
    state = RefreshState.objects.filter(pk=1).first()
    reported = {s.subject_key for s in headlines if s.subject_kind == SubjectKind.PROGRAM}
    rows = [HeadlineRow(s, _reasons(s.summary), s.subject_kind) for s in headlines]
    data_as_of = max((s.data_as_of for s in headlines if s.data_as_of), default=None)
    coverage = next((s.summary.get("coverage") for s in headlines), None)
    return Dashboard(
        fdr_tested=max((int(s.summary.get("fdr_tested") or 0) for s in headlines), default=0),
        fdr_survivors=sum(1 for r in rows if r.is_highlighted),
        programs=[r for r in rows if r.snapshot.subject_kind == SubjectKind.PROGRAM],
        waiting_programs=[p for p in programs if p.slug not in reported],
        coaching=[r for r in rows if r.snapshot.subject_kind == SubjectKind.COACHING],
        teams=list(teams_for_reports(viewer=viewer)),
        refreshed_at=state.refreshed_at if state else None,
        data_as_of=data_as_of,
        currency=Organization.current().home_currency,
        tables={
            "programs": dashboard_table(headlines, kind=SubjectKind.PROGRAM),
            "coaching": dashboard_table(headlines, kind=SubjectKind.COACHING),
        },
        freshness_notes=freshness_notes(coverage),
    )


@dataclass
class ReportPage:
    kind: str
    key: str
    title: str
    metric: str
    metrics: list[tuple[str, str, bool]]  # (value, label, current)
    snapshot: ReportSnapshot | None
    payload: dict[str, Any]
    reasons: list[str]
    tables: dict[str, Table]
    event_chart: dict[str, Any]
    roi_chart: dict[str, Any]

    @property
    def is_ok(self) -> bool:
        return self.snapshot is not None and self.snapshot.status == ReportStatus.OK

    @property
    def unit(self) -> str:
        return str(self.payload.get("unit") or UNIT_OF[Metric(self.metric)])

    @property
    def currency(self) -> str:
        return str((self.payload.get("money") or {}).get("currency") or "USD")

    @property
    def freshness_notes(self) -> list[str]:
        return freshness_notes(self.payload.get("coverage"))

    @property
    def money_notes(self) -> list[str]:
        return money_notes(self.payload)


def report_page_build(*, kind: str, key: str, title: str, metric: str | None) -> ReportPage:
    """One query: every metric's snapshot of the subject."""
    snapshots = {s.metric: s for s in snapshot_list_for_subject(kind=kind, key=key)}
    headline = next((m for m, s in snapshots.items() if s.is_headline), Metric.BOOKINGS)
    current = metric if metric in Metric.values else headline
    snapshot = snapshots.get(current)
    payload = snapshot.payload if snapshot else {}
    return ReportPage(
        kind=kind,
        key=key,
        title=title,
        metric=current,
        metrics=[(m, metric_label(m), m == current) for m in Metric.values if m in snapshots],
        snapshot=snapshot,
        payload=payload,
        reasons=report_reasons(payload) if payload else [],
        tables={slug: build(payload) for slug, build in REPORT_TABLES.items()},
        event_chart=_event_chart(payload),
        roi_chart=_roi_chart(payload),
    )


def _event_chart(payload: dict[str, Any]) -> dict[str, Any]:
    points = payload.get("event_study") or []
    return {
        "labels": [p["e"] for p in points],
        "att": [p["att"] for p in points],
        "low": [p["ci_low"] for p in points],
        "high": [p["ci_high"] for p in points],
        "cycle": payload.get("median_cycle_months"),
        "unit": payload.get("unit"),
        "text": {
            "effect": _("Effect"),
            "band": _("95% interval"),
            "x": _("Months since training (negative: before)"),
            "training": _("Training"),
            "cycle": _("One median sales cycle"),
        },
    }


def _roi_chart(payload: dict[str, Any]) -> dict[str, Any]:
    bins = (payload.get("money") or {}).get("histogram") or []
    return {
        "bins": [[b["low"], b["high"]] for b in bins],
        "counts": [b["count"] for b in bins],
        "text": {
            "draws": _("Bootstrap draws"),
            "x": _("ROI (%)"),
            "break_even": _("Break-even (ROI 0%)"),
        },
    }


# --- Team and rep pages (the panel of a few reps, on the fly) ----------------------------------


def _month_columns() -> list[Column]:
    return [
        Column("month", _("Month")),
        Column("reps", _("Reps"), "int"),
        Column("won", _("Won"), "int"),
        Column("lost", _("Lost"), "int"),
        Column("bookings", _("Bookings"), "money"),
        Column("win_rate", _("Win rate (%)"), "rate"),
        Column("cycle_days", _("Cycle (days)"), "rate"),
        Column("slip_rate", _("Slip rate (%)"), "rate"),
        Column("qualified", _("Qualified new deals (%)"), "rate"),
    ]


def _known(value: float) -> float | None:
    """None (shown as unknown) for a value that cannot be known, such as bookings when no deal
    converts."""
    return value if math.isfinite(value) else None


def _share(numerator: float, denominator: float) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def observed_bookings(panel: RepMonthPanel) -> np.ndarray[Any, Any]:
    """Bookings in the observed rep-months for display: a deal without a rate counts at an
    average converted win (of the rep that month, else over the window), never as 0. NaN only
    when no deal in the panel converts (shown as unknown, not 0)."""
    return np.where(panel.active, panel.bookings(fill_unknown=True), 0.0)


def months_table(panel: RepMonthPanel, rows: np.ndarray[Any, Any], *, slug: str) -> Table:
    """Per month, the reps' totals: rates are ratios of sums (a month with 9 deals weighs more
    than one with 1), not averages of each rep's rate."""
    table_rows = []
    bookings = observed_bookings(panel)
    for column, number in enumerate(panel.months.tolist()):
        active = panel.active[rows, column]
        if not active.any():
            continue
        pick = rows[active]

        def total(values: np.ndarray[Any, Any], c: int = column, p: Any = pick) -> float:
            return float(values[p, c].sum())

        won, lost = total(panel.won_count), total(panel.lost_count)
        table_rows.append(
            {
                "month": month_from_number(number).strftime("%Y-%m"),
                "reps": int(active.sum()),
                "won": int(won),
                "lost": int(lost),
                "bookings": _known(total(bookings)),
                "win_rate": _share(won, won + lost),
                "cycle_days": total(panel.won_cycle_days) / won if won else None,
                "slip_rate": _share(total(panel.slipped), total(panel.due)),
                "qualified": _share(total(panel.qualified_yes), total(panel.qualified_known)),
            }
        )
    return Table(slug, _("Month by month"), _month_columns(), list(reversed(table_rows)))


def rep_completions(*, rep_ids: list[int]) -> dict[int, list[tuple[Program, dt.datetime]]]:
    """{rep: [(program, completed at)]} for every program each rep completed (all its courses).
    Two queries: course counts per program; completions per rep and program."""
    sizes = dict(
        ProgramCourse.objects.values("program_id")
        .annotate(n=Count("course_id"))
        .values_list("program_id", "n")
    )
    rows = (
        Completion.objects.filter(user_id__in=rep_ids, course__program_links__isnull=False)
        .values(
            "user_id",
            "course__program_links__program_id",
            "course__program_links__program__slug",
            "course__program_links__program__title",
        )
        .annotate(n=Count("course_id", distinct=True), last=Max("completed_at"))
        .order_by("last")
    )
    out: dict[int, list[tuple[Program, dt.datetime]]] = {rep: [] for rep in rep_ids}
    for row in rows:
        program_id = row["course__program_links__program_id"]
        if row["n"] == sizes.get(program_id):
            program = Program(
                pk=program_id,
                slug=row["course__program_links__program__slug"],
                title=row["course__program_links__program__title"],
            )
            out[row["user_id"]].append((program, row["last"]))
    return out


def _panel_of(rep_ids: list[int], *, currency: str) -> RepMonthPanel:
    """The panel of a few reps, over the months the latest reports cover (their stored data
    coverage: one query instead of a pass over every deal), or the data's own before the first
    refresh."""
    today = report_today()
    coverage = snapshot_data_coverage(today=today) or data_coverage(today=today)
    return panel_build(
        window=report_window(today=today, coverage=coverage),
        home_currency=currency,
        today=today,
        rep_ids=rep_ids,
        coverage=coverage,
    )


def _bookings_chart(table: Table, markers: list[str]) -> dict[str, Any]:
    rows = list(reversed(table.rows))
    return {
        "labels": [r["month"] for r in rows],
        "values": [r["bookings"] for r in rows],
        "markers": markers,
        "text": {"bookings": _("Bookings"), "training": _("Training completed")},
    }


@dataclass
class TeamPage:
    team: Team
    reps: list[User]
    completions: dict[int, list[tuple[Program, dt.datetime]]]
    tables: dict[str, Table]
    chart: dict[str, Any]
    currency: str


def team_page_build(*, team: Team) -> TeamPage:
    """Queries: reps, organisation, stored data coverage, panel (8 from the deals, 5 or 6 from
    the summary), completions (2)."""
    reps = list(User.objects.filter(team=team, role=Role.REP).order_by("full_name", "pk"))
    rep_ids = [r.pk for r in reps]
    currency = Organization.current().home_currency
    panel = _panel_of(rep_ids, currency=currency)
    completions = rep_completions(rep_ids=rep_ids)
    months = months_table(panel, np.arange(panel.rep_ids.size), slug="team_months")
    position = {int(pk): i for i, pk in enumerate(panel.rep_ids.tolist())}
    recent = slice(max(panel.months.size - 12, 0), panel.months.size)
    bookings_by_month = observed_bookings(panel)
    rep_rows = []
    for rep in reps:
        i = position.get(rep.pk)
        active_months = int(panel.active[i, recent].sum()) if i is not None else 0
        bookings = float(bookings_by_month[i, recent].sum()) if i is not None else 0.0
        won = float(panel.won_count[i, recent].sum()) if i is not None else 0.0
        closed = won + (float(panel.lost_count[i, recent].sum()) if i is not None else 0.0)
        rep_rows.append(
            {
                "rep": rep.full_name,
                "rep_id": rep.pk,
                "programs": ", ".join(
                    f"{p.title} ({when:%Y-%m})" for p, when in completions.get(rep.pk, [])
                ),
                "bookings_per_month": _known(bookings / active_months) if active_months else None,
                "win_rate": _share(won, closed),
            }
        )
    reps_table = Table(
        "team_reps",
        _("Reps, last 12 months"),
        [
            Column("rep", _("Rep")),
            Column("programs", _("Programs completed")),
            Column("bookings_per_month", _("Bookings per month"), "money"),
            Column("win_rate", _("Win rate (%)"), "rate"),
        ],
        rep_rows,
    )
    return TeamPage(
        team=team,
        reps=reps,
        completions=completions,
        tables={"team_months": months, "team_reps": reps_table},
        chart=_bookings_chart(months, []),
        currency=currency,
    )


@dataclass
class RepPage:
    rep: User
    completions: list[tuple[Program, dt.datetime]]
    coaching: list[tuple[str, dt.datetime, int]]
    program_reports: list[ReportSnapshot]
    tables: dict[str, Table]
    chart: dict[str, Any]
    currency: str


def rep_page_build(*, rep: User) -> RepPage:
    """Queries: organisation, stored data coverage, panel (8 from the deals, 5 or 6 from the
    summary), completions (2), coaching firsts, program snapshots."""
    currency = Organization.current().home_currency
    panel = _panel_of([rep.pk], currency=currency)
    completions = rep_completions(rep_ids=[rep.pk])[rep.pk]
    coaching = [
        (str(SessionKind(row["kind"]).label), row["first"], row["n"])
        for row in CoachingSession.objects.filter(rep=rep, status=SessionStatus.COMPLETED)
        .values("kind")
        .annotate(first=Min("start"), n=Count("pk"))
        .order_by("first")
    ]
    reports = list(
        snapshot_list_headlines().filter(
            subject_kind=SubjectKind.PROGRAM, subject_key__in=[p.slug for p, _w in completions]
        )
    )
    months = months_table(panel, np.arange(panel.rep_ids.size), slug="rep_months")
    trainings = Table(
        "rep_trainings",
        _("Training and coaching"),
        [Column("what", _("What")), Column("when", _("When"))],
        [{"what": p.title, "when": f"{when:%Y-%m-%d}"} for p, when in completions]
        + [
            {
                "what": _("First %(kind)s (%(n)s in all)") % {"kind": kind, "n": n},
                "when": f"{w:%Y-%m-%d}",
            }
            for kind, w, n in coaching
        ],
    )
    return RepPage(
        rep=rep,
        completions=completions,
        coaching=coaching,
        program_reports=reports,
        tables={"rep_months": months, "rep_trainings": trainings},
        chart=_bookings_chart(months, [f"{when:%Y-%m}" for _p, when in completions]),
        currency=currency,
    )
