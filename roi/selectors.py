"""Reads for the impact engine: who was treated when, what the Kirkpatrick chain needs, the
inputs' watermark, and the snapshots pages and the API show.

Each function runs a fixed number of set-based queries whatever the number of deals or people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from coaching.models import CoachingSession, CriterionScore, Scorecard, SessionStatus
from core.models import Organization
from deals.models import Deal, DealChange, DealStatus, ExchangeRate
from practice.models import PracticeReview, PracticeScore
from roi.models import (
    EvaluationAssignment,
    EvaluationRollout,
    ProgramCosting,
    ReportSnapshot,
    RoiSettings,
    SubjectKind,
)
from roi.months import UTC, add_months, month_number, month_start
from roi.panel import DataCoverage, DaysBetween, PanelWindow, data_coverage, duration_days
from training.models import (
    Assignment,
    Completion,
    CourseRating,
    Program,
    ProgramCourse,
    QuizAttempt,
)
from training.selectors import program_completions

# Behaviour (scorecards) is compared over this many months either side of training.
BEHAVIOUR_MONTHS = 6


def report_today() -> dt.date:
    return timezone.now().astimezone(UTC).date()


def report_window(*, today: dt.date, coverage: DataCoverage | None = None) -> PanelWindow:
    """The panel ends with the last month the deal data covers (roi.panel.coverage), at the
    latest the last complete month: a month under way has fewer closed deals for everyone and
    would read as a dip."""
    if coverage is not None:
        return coverage.window()
    return PanelWindow.ending(add_months(month_start(today), -1))


# --- Treatments --------------------------------------------------------------------------------


def program_treatments(*, program: Program) -> dict[int, dt.datetime]:
    """{user id: when they completed the program} (training's definition of "trained at")."""
    return program_completions(program=program)


def program_audience(*, program: Program) -> set[int]:
    """The people a program was assigned to: its trained reps are compared with the untrained
    among them, not with reps it was never meant for (another segment, another role). Empty
    when it was never assigned: then every rep is a possible comparison. One query."""
    return set(Assignment.objects.filter(program=program).values_list("assignee_id", flat=True))


def months_of(moments: dict[int, dt.datetime]) -> dict[int, int]:
    return {user: month_number(when.astimezone(UTC).date()) for user, when in moments.items()}


def coaching_treatments() -> dict[str, dict[int, dt.datetime]]:
    """{session kind: {rep id: start of their first completed session of that kind}}. One
    query."""
    rows = (
        CoachingSession.objects.filter(status=SessionStatus.COMPLETED)
        .values("kind", "rep_id")
        .annotate(first=Min("start"))
        .order_by()
    )
    out: dict[str, dict[int, dt.datetime]] = defaultdict(dict)
    for row in rows:
        out[row["kind"]][row["rep_id"]] = row["first"]
    return dict(out)


def coaching_hours(*, kind: str, reps: Iterable[int]) -> float:
    """Hours of completed sessions of `kind` in each coached rep's first year from their first
    such session (the span the benefit is counted over). One query."""
    completed = CoachingSession.objects.filter(status=SessionStatus.COMPLETED, kind=kind)
    first = completed.filter(rep_id=OuterRef("rep_id")).order_by("start").values("start")[:1]
    total = (
        completed.filter(rep_id__in=list(reps))
        .alias(first=Subquery(first))
        .filter(start__lt=F("first") + dt.timedelta(days=365))
        .aggregate(
            total=Sum(ExpressionWrapper(F("end") - F("start"), output_field=DurationField()))
        )["total"]
    )
    return duration_days(total) * 24.0


def rep_teams() -> dict[int, int]:
    """{rep id: their current team id}, reps with a team. One query."""
    return dict(User.objects.filter(role=Role.REP, team__isnull=False).values_list("pk", "team_id"))


def program_assigned_teams(*, program: Program) -> dict[int, int]:
    """{rep id: the team they were in when assigned `program` as part of a team}. One query."""
    return dict(
        Assignment.objects.filter(program=program, team__isnull=False)
        .order_by("created_at", "pk")
        .values_list("assignee_id", "team_id")
    )


def rollout_assigned(
    *, rollout: EvaluationRollout, teams: dict[int, int]
) -> tuple[dict[int, int], dict[int, int]]:
    """({rep id: month number their team's wave started}, {rep id: that team}): the assignment,
    whatever they did. `teams` holds each rep's team when assigned (program_assigned_teams over
    the current teams, for the waves not yet started): a rep who moved team after assignment
    stays in the team, and the wave, they were assigned with. No query beyond the rollout's
    prefetched assignments."""
    starts = {a.team_id: month_number(a.starts_on) for a in rollout.assignments.all()}
    assigned = {rep: starts[team] for rep, team in teams.items() if team in starts}
    return assigned, {rep: teams[rep] for rep in assigned}


def median_cycle_days(*, window: PanelWindow) -> float | None:
    """Median days from creation to close of the deals won in the window, exact: one query
    counts won deals per whole number of days, the median is read off that distribution."""
    rows = list(
        Deal.objects.filter(
            status=DealStatus.WON, closed_at__gte=window.start_at, closed_at__lt=window.end_at
        )
        .values(days=DaysBetween("closed_at", "created_at"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    if not rows:
        return None
    days = np.array([float(row["days"]) for row in rows])
    counts = np.array([row["n"] for row in rows], dtype=np.int64)
    order = np.argsort(days)
    days, counts = days[order], counts[order]
    total = int(counts.sum())
    cumulative = np.cumsum(counts)
    low = days[np.searchsorted(cumulative, (total + 1) // 2)]
    high = days[np.searchsorted(cumulative, total // 2 + 1)]
    return float((low + high) / 2.0)


# --- Kirkpatrick -------------------------------------------------------------------------------


def kirkpatrick_learning(*, program: Program) -> dict[str, Any]:
    """Reaction (course ratings) and learning (quiz scores, completion scores) for the program's
    courses. Three queries."""
    courses = ProgramCourse.objects.filter(program=program).values("course_id")
    ratings = CourseRating.objects.filter(course_id__in=courses).aggregate(
        n=Count("pk"), mean=Avg("stars", output_field=FloatField())
    )
    quiz = QuizAttempt.objects.filter(lesson__course_id__in=courses).aggregate(
        n=Count("pk"),
        mean=Avg("score", output_field=FloatField()),
        first=Count("pk", filter=Q(number=1)),
        first_passed=Count("pk", filter=Q(number=1, passed=True)),
    )
    completions = Completion.objects.filter(course_id__in=courses).aggregate(
        n=Count("pk"), mean=Avg("score", output_field=FloatField())
    )
    return {
        "reaction": {"ratings": ratings["n"], "mean_stars": ratings["mean"]},
        "learning": {
            "quiz_attempts": quiz["n"],
            "mean_quiz_score": quiz["mean"],
            "first_attempt_pass_pct": (
                100.0 * quiz["first_passed"] / quiz["first"] if quiz["first"] else None
            ),
            "course_completions": completions["n"],
            "mean_completion_score": completions["mean"],
        },
    }


def _criterion_scaled() -> ExpressionWrapper[CombinedExpression]:
    """A criterion score scaled to 0-100 by its criterion's scale."""
    return ExpressionWrapper(
        (F("score") - F("criterion__scale_min"))
        * 100.0
        / (F("criterion__scale_max") - F("criterion__scale_min")),
        output_field=FloatField(),
    )


def kirkpatrick_behaviour(*, first_treated: dict[int, int]) -> dict[str, Any]:
    """Scorecards and practice reviews of trained reps in the months before and after
    training: each overall, and per criterion scaled to 0-100 (both kinds together: they score
    the same rubrics). A scorecard counts in the month of its session, a review in the month
    the attempt was submitted. Three queries."""
    reps = list(first_treated)
    overall = (
        Scorecard.objects.filter(session__rep_id__in=reps)
        .annotate(month=TruncMonth("session__start", tzinfo=UTC))
        .values("session__rep_id", "month")
        .annotate(n=Count("pk"), total=Sum("overall", output_field=FloatField()))
        .order_by()
    )
    practice_overall = (
        PracticeReview.objects.filter(attempt__rep_id__in=reps)
        .annotate(month=TruncMonth("attempt__submitted_at", tzinfo=UTC))
        .values("attempt__rep_id", "month")
        .annotate(n=Count("pk"), total=Sum("overall", output_field=FloatField()))
        .order_by()
    )
    before_after = _split(overall, first_treated, rep="session__rep_id")
    practice = _split(practice_overall, first_treated, rep="attempt__rep_id")
    return {
        **before_after,
        "practice": {
            "reviews_before": practice["scorecards_before"],
            "mean_before": practice["mean_before"],
            "reviews_after": practice["scorecards_after"],
            "mean_after": practice["mean_after"],
        },
        "criteria": _behaviour_criteria(first_treated),
    }


def _behaviour_criteria(first_treated: dict[int, int]) -> list[dict[str, Any]]:
    """Per criterion, scaled 0-100, scorecards and practice reviews together. One query."""
    reps = list(first_treated)
    # UNION ALL of both kinds; the rep column is named by the first part.
    by_criterion = (
        CriterionScore.objects.filter(scorecard__session__rep_id__in=reps)
        .annotate(month=TruncMonth("scorecard__session__start", tzinfo=UTC))
        .values("criterion__name", "scorecard__session__rep_id", "month")
        .annotate(n=Count("pk"), total=Sum(_criterion_scaled()))
        .order_by()
    ).union(
        PracticeScore.objects.filter(review__attempt__rep_id__in=reps)
        .annotate(month=TruncMonth("review__attempt__submitted_at", tzinfo=UTC))
        .values("criterion__name", "review__attempt__rep_id", "month")
        .annotate(n=Count("pk"), total=Sum(_criterion_scaled()))
        .order_by(),
        all=True,
    )
    criteria: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"b": [0, 0], "a": [0, 0]})
    for row in by_criterion:
        side = _side(row, first_treated, rep="scorecard__session__rep_id")
        if side:
            criteria[row["criterion__name"]][side][0] += row["total"] or 0.0
            criteria[row["criterion__name"]][side][1] += row["n"]
    return [
        {
            "name": name,
            "n_before": int(sums["b"][1]),
            "mean_before": _mean(sums["b"]),
            "n_after": int(sums["a"][1]),
            "mean_after": _mean(sums["a"]),
        }
        for name, sums in sorted(criteria.items())
    ]


def _side(row: dict[str, Any], first_treated: dict[int, int], *, rep: str) -> str:
    month = row["month"]
    month = month.date() if isinstance(month, dt.datetime) else month
    since = month_number(month) - first_treated[row[rep]]
    if -BEHAVIOUR_MONTHS <= since < 0:
        return "b"
    if 0 <= since < BEHAVIOUR_MONTHS:
        return "a"
    return ""


def _split(
    rows: Iterable[dict[str, Any]], first_treated: dict[int, int], *, rep: str
) -> dict[str, Any]:
    sums = {"b": [0.0, 0.0], "a": [0.0, 0.0]}
    for row in rows:
        side = _side(row, first_treated, rep=rep)
        if side:
            sums[side][0] += row["total"] or 0.0
            sums[side][1] += row["n"]
    return {
        "scorecards_before": int(sums["b"][1]),
        "mean_before": _mean(sums["b"]),
        "scorecards_after": int(sums["a"][1]),
        "mean_after": _mean(sums["a"]),
    }


def _mean(pair: list[float]) -> float | None:
    return pair[0] / pair[1] if pair[1] else None


# --- Watermark ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Watermark:
    digest: str
    # The newest CRM time of the deal data (roi.panel.coverage), capped by today.
    data_as_of: dt.datetime | None
    coverage: DataCoverage


def refresh_watermark(*, today: dt.date) -> Watermark:
    """A digest of everything a report reads: counts and latest change times of deals, history,
    rates, completions, programs, coaching, practice reviews, people and settings, plus the report
    window and the months the data covers. When it has not moved, a refresh would compute the
    same snapshots.
    Fourteen small aggregate queries."""
    coverage = data_coverage(today=today)
    deals = Deal.objects.aggregate(n=Count("pk"), last=Max("ingested_at"))
    facts: list[Any] = [
        report_window(today=today, coverage=coverage),
        coverage.as_dict(),
        deals,
        DealChange.objects.aggregate(n=Count("pk"), last=Max("recorded_at")),
        ExchangeRate.objects.aggregate(n=Count("pk"), last=Max("valid_from"), sum=Sum("rate")),
        Completion.objects.aggregate(n=Count("pk"), last=Max("updated_at")),
        Program.objects.aggregate(
            n=Count("pk"), last=Max("updated_at"), courses=Count("program_courses")
        ),
        CoachingSession.objects.aggregate(n=Count("pk"), last=Max("updated_at")),
        Scorecard.objects.aggregate(n=Count("pk"), last=Max("updated_at")),
        PracticeReview.objects.aggregate(n=Count("pk"), last=Max("updated_at")),
        User.objects.filter(role=Role.REP).aggregate(
            n=Count("pk"), active=Count("pk", filter=Q(is_active=True)), team=Sum("team_id")
        ),
        # current(): creating the settings row here keeps the refresh from moving the mark.
        (RoiSettings.current().updated_at, _org_currency()),
        (
            ProgramCosting.objects.aggregate(last=Max("updated_at")),
            EvaluationAssignment.objects.aggregate(n=Count("pk")),
        ),
    ]
    digest = hashlib.sha256(repr(facts).encode()).hexdigest()
    return Watermark(digest=digest, data_as_of=coverage.data_as_of, coverage=coverage)


def _org_currency() -> str:
    return Organization.current().home_currency


# --- Snapshots ---------------------------------------------------------------------------------


def snapshot_list_headlines() -> QuerySet[ReportSnapshot]:
    """One row per subject for the dashboard, without the payloads. One query."""
    return (
        ReportSnapshot.objects.filter(is_headline=True)
        .defer("payload")
        .order_by("subject_kind", "title", "subject_key")
    )


def snapshot_list_for_subject(*, kind: str, key: str) -> list[ReportSnapshot]:
    """Every metric of one subject. One query."""
    return list(ReportSnapshot.objects.filter(subject_kind=kind, subject_key=key))


def snapshot_data_coverage(*, today: dt.date) -> DataCoverage | None:
    """The data coverage of the latest refresh (every snapshot of a refresh stores the same),
    None before the first refresh or when it saw no deal data. One query, whatever the number
    of deals (roi.panel.data_coverage reads them all)."""
    stored = (
        ReportSnapshot.objects.order_by("-computed_at", "-pk")
        .values_list("summary__coverage", flat=True)
        .first()
    )
    if not isinstance(stored, dict) or not stored.get("sources"):
        return None
    return DataCoverage.from_dict(stored, today=today)


def snapshot_program_keys() -> set[str]:
    return set(
        ReportSnapshot.objects.filter(subject_kind=SubjectKind.PROGRAM).values_list(
            "subject_key", flat=True
        )
    )


@dataclass(frozen=True)
class ImpactSummary:
    """What the home page says about impact: programs with a finding, the rest still
    collecting evidence, and the finding with the highest ROI."""

    findings: int
    collecting: int
    best: ReportSnapshot | None


def impact_summary() -> ImpactSummary:
    """One query: the programs' headline snapshots, without payloads."""
    rows = list(snapshot_list_headlines().filter(subject_kind=SubjectKind.PROGRAM))
    found = [s for s in rows if s.is_ok]
    # Only a result that survives the false-discovery-rate control across the dashboard may be
    # called the best: with many programs, the luckiest estimate is otherwise the "winner".
    survivors = [s for s in found if s.summary.get("survives_fdr") and s.roi_pct is not None]
    best = max(survivors, key=lambda s: s.roi_pct or 0.0, default=None)
    return ImpactSummary(findings=len(found), collecting=len(rows) - len(found), best=best)


def programs_with_costs() -> list[Program]:
    """Every program with its ROI costing joined (one query), for the Costs page."""
    return list(Program.objects.select_related("roi_costing").order_by("title", "pk"))
