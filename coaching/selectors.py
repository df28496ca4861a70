"""Coaching's reads. Each selector loads what its page or endpoint needs in a fixed number of
queries (named in each docstring), whatever the number of sessions or people."""

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.access import Actor, Principal, principal_of
from accounts.models import User
from coaching.access import bookable_reps, sessions_visible
from coaching.models import (
    SCORED_KINDS,
    ActionItem,
    AvailabilityWindow,
    CoachingSession,
    Commitment,
    CriterionScore,
    Rubric,
    RubricCriterion,
    Scorecard,
    SessionParticipant,
    SessionStatus,
)
from coaching.score_sources import trend_sources

# Sessions


def session_list_visible(principal: Actor | Principal) -> QuerySet[CoachingSession]:
    """Visible sessions with what a list shows, in two queries (sessions with people, deal and
    scorecard; focus criteria)."""
    return (
        sessions_visible(principal)
        .select_related("coach", "rep", "deal", "scorecard")
        .prefetch_related("focus_criteria")
        .order_by("start", "pk")
    )


def session_detail(*, session: CoachingSession) -> CoachingSession:
    """A session with everything its page shows, in five queries (session with people, deal,
    scorecard and post-mortem; focus criteria; scores; commitments; action items)."""
    return (
        CoachingSession.objects.select_related(
            "coach",
            "rep",
            "deal",
            "booked_by",
            "cancelled_by",
            "scorecard__rubric",
            "scorecard__scored_by",
            "post_mortem__author",
            "post_mortem__story_lesson",
        )
        .prefetch_related(
            "focus_criteria",
            Prefetch(
                "scorecard__scores",
                queryset=CriterionScore.objects.select_related("criterion").order_by(
                    "criterion__position", "criterion_id"
                ),
            ),
            Prefetch("post_mortem__commitments", queryset=Commitment.objects.order_by("pk")),
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
        )
        .get(pk=session.pk)
    )


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    sessions: list[CoachingSession]


def calendar_week(*, user: User, week_start: dt.date) -> list[CalendarDay]:
    """The seven days from `week_start` (a Monday in the viewer's zone) with every session the
    user takes part in, as coach or rep (with their deal and scorecard). One query."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(week_start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(week_start + dt.timedelta(days=7), dt.time.min, tzinfo=zone)
    sessions = (
        CoachingSession.objects.filter(Q(coach=user) | Q(rep=user), start__lt=end, end__gt=start)
        .select_related("coach", "rep", "deal", "scorecard")
        .order_by("start", "pk")
    )
    by_day: dict[dt.date, list[CoachingSession]] = defaultdict(list)
    for session in sessions:
        by_day[timezone.localtime(session.start, zone).date()].append(session)
    return [
        CalendarDay(date=day, sessions=by_day.get(day, []))
        for day in (week_start + dt.timedelta(days=i) for i in range(7))
    ]


# The coach's dashboard


@dataclass
class Dashboard:
    coachees: list[User]
    upcoming: list[CoachingSession]
    to_close: list[CoachingSession]
    unscored: list[CoachingSession]
    overdue_actions: list[ActionItem]
    due_commitments: list[Commitment] = field(default_factory=list)
    coachees_page: int = 1
    coachees_has_next: bool = False
    # Which of the lists has more than it shows.
    more: set[str] = field(default_factory=set)


UPCOMING_DAYS = 14
LIST_LIMIT = 50
COACHEES_PER_PAGE = 25
# The dashboard is a to-do summary: each of its lists shows the first few, and says when there
# are more, so its cost stays the same however busy the coach is (decision 0019). The calendar
# shows every session of a week; the rest come up here as the first ones are done.
DASHBOARD_LIST = 10


def coachees_with_summary(*, coach: User, now: dt.datetime) -> QuerySet[User]:
    """The coach's coachees (or a manager's team) with their next session, last session, last
    overall score and open action items, as annotations: one query."""
    as_rep = CoachingSession.objects.filter(rep=OuterRef("pk"))
    last_scorecard = Scorecard.objects.filter(session__rep=OuterRef("pk")).order_by(
        "-session__start"
    )
    return (
        bookable_reps(coach)
        .select_related("team")
        .annotate(
            next_session=Subquery(
                as_rep.filter(status=SessionStatus.SCHEDULED, start__gte=now)
                .order_by("start")
                .values("start")[:1]
            ),
            last_session=Subquery(
                as_rep.filter(status=SessionStatus.COMPLETED).order_by("-start").values("start")[:1]
            ),
            last_overall=Subquery(last_scorecard.values("overall")[:1]),
            open_actions=Subquery(
                ActionItem.objects.filter(owner=OuterRef("pk"), completed_at__isnull=True)
                .values("owner")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
        )
        .order_by("full_name", "pk")
    )


def coach_dashboard(*, coach: User, now: dt.datetime, coachees_page: int = 1) -> Dashboard:
    """Five queries: one page of coachees with their summary (LIMIT/OFFSET in SQL: the page
    costs the same however many coachees there are); upcoming sessions; sessions past their
    end still to complete; completed sessions without a scorecard; overdue action items."""
    today = timezone.localdate(now)
    mine = CoachingSession.objects.filter(coach=coach).select_related(
        "rep", "coach", "deal", "scorecard"
    )
    offset = (coachees_page - 1) * COACHEES_PER_PAGE
    # One row more than the page says whether there is a next page (no count query).
    coachees = list(
        coachees_with_summary(coach=coach, now=now)[offset : offset + COACHEES_PER_PAGE + 1]
    )
    # One row more than each list shows says whether there are more (no count query).
    lists = {
        "upcoming": list(
            mine.filter(
                status=SessionStatus.SCHEDULED,
                end__gt=now,
                start__lt=now + dt.timedelta(days=UPCOMING_DAYS),
            ).order_by("start")[: DASHBOARD_LIST + 1]
        ),
        "to_close": list(
            mine.filter(status=SessionStatus.SCHEDULED, end__lte=now).order_by("-start")[
                : DASHBOARD_LIST + 1
            ]
        ),
        "unscored": list(
            mine.filter(
                status=SessionStatus.COMPLETED,
                kind__in=SCORED_KINDS,
                scorecard__isnull=True,
                start__gte=now - dt.timedelta(days=30),
            ).order_by("-start")[: DASHBOARD_LIST + 1]
        ),
    }
    overdue_actions = list(
        ActionItem.objects.filter(
            session__coach=coach, completed_at__isnull=True, due_date__lt=today
        )
        .select_related("owner", "session__rep")
        .order_by("due_date", "pk")[: DASHBOARD_LIST + 1]
    )
    more = {name for name, rows in lists.items() if len(rows) > DASHBOARD_LIST}
    if len(overdue_actions) > DASHBOARD_LIST:
        more.add("overdue_actions")
    return Dashboard(
        coachees=coachees[:COACHEES_PER_PAGE],
        coachees_page=coachees_page,
        coachees_has_next=len(coachees) > COACHEES_PER_PAGE,
        upcoming=lists["upcoming"][:DASHBOARD_LIST],
        to_close=lists["to_close"][:DASHBOARD_LIST],
        unscored=lists["unscored"][:DASHBOARD_LIST],
        overdue_actions=overdue_actions[:DASHBOARD_LIST],
        more=more,
    )


# A rep's history


@dataclass
class RepHistory:
    rep: User
    upcoming: list[CoachingSession]
    past: list[CoachingSession]
    commitments: list[Commitment]
    actions: list[ActionItem]


HISTORY_LIMIT = 200


def rep_history(*, principal: Actor | Principal, rep: User, now: dt.datetime) -> RepHistory:
    """Four queries: upcoming sessions; past sessions with scorecard; commitments; open and
    recent action items. Only sessions `principal` may see (the caller checked the rep)."""
    sessions = (
        sessions_visible(principal)
        .filter(rep=rep)
        .select_related("coach", "rep", "scorecard", "deal", "post_mortem")
    )
    return RepHistory(
        rep=rep,
        upcoming=list(
            sessions.filter(status=SessionStatus.SCHEDULED, end__gt=now).order_by("start")[
                :LIST_LIMIT
            ]
        ),
        past=list(
            sessions.filter(Q(end__lte=now) | ~Q(status=SessionStatus.SCHEDULED)).order_by(
                "-start", "-pk"
            )[:HISTORY_LIMIT]
        ),
        commitments=list(
            Commitment.objects.filter(rep=rep, post_mortem__session__in=sessions)
            .select_related("post_mortem__session")
            .order_by("-check_date", "-pk")[:LIST_LIMIT]
        ),
        actions=list(
            ActionItem.objects.filter(session__in=sessions)
            .select_related("owner", "session")
            .order_by("completed_at", "due_date", "pk")[:LIST_LIMIT]
        ),
    )


def next_session_for(*, user: User, now: dt.datetime) -> CoachingSession | None:
    """One query: the user's next scheduled session, as coach or rep."""
    return (
        CoachingSession.objects.filter(
            Q(coach=user) | Q(rep=user), status=SessionStatus.SCHEDULED, end__gt=now
        )
        .select_related("coach", "rep")
        .order_by("start")
        .first()
    )


def overdue_followups_count(*, coach: User, now: dt.datetime) -> int:
    """One query: overdue action items of the coach's sessions plus past sessions still open."""
    today = timezone.localdate(now)
    return (
        CoachingSession.objects.filter(coach=coach).aggregate(
            # distinct: the action-item join repeats a session once per item.
            n=Count(
                "pk",
                distinct=True,
                filter=Q(status=SessionStatus.SCHEDULED, end__lte=now),
            )
            + Count(
                "action_items",
                distinct=True,
                filter=Q(action_items__completed_at__isnull=True, action_items__due_date__lt=today),
            )
        )["n"]
        or 0
    )


# Finding a slot


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime


def _merged(intervals: list[tuple[dt.datetime, dt.datetime]]) -> list[list[dt.datetime]]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _weekly_windows(coach: User) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """The coach's weekly hours: (start, end) wall-clock times per weekday. One query."""
    windows: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for weekday, start_time, end_time in AvailabilityWindow.objects.filter(coach=coach).values_list(
        "weekday", "start_time", "end_time"
    ):
        windows[weekday].append((start_time, end_time))
    return windows


def _free_outside(
    busy: list[list[dt.datetime]],
) -> Callable[[dt.datetime, dt.datetime], bool]:
    """Whether [start, end) misses every busy interval (disjoint and sorted, as _merged gives)."""
    busy_starts = [interval[0] for interval in busy]
    busy_ends = [interval[1] for interval in busy]

    def is_free(start: dt.datetime, end: dt.datetime) -> bool:
        # Busy intervals are disjoint and sorted, so their ends are sorted too: the first one
        # ending after `start` is the only one that can overlap.
        i = bisect_right(busy_ends, start)
        return i == len(busy_starts) or busy_starts[i] >= end

    return is_free


def slot_list_free(
    *,
    coach: User,
    rep: User,
    duration: dt.timedelta,
    days: int,
    now: dt.datetime,
    step: dt.timedelta = dt.timedelta(minutes=30),
    limit: int = 40,
) -> list[Slot]:
    """Free times for coach AND rep from now through `days` more days, inside the coach's weekly
    hours, earliest first.

    Two queries whatever the number of sessions: the coach's availability windows, and the
    active participant rows of both people in the horizon. Windows are wall-clock times in the
    coach's zone; each day's window is turned into UTC instants for that date, so daylight
    saving changes move the slot in UTC, not in the coach's day.
    """
    zone = ZoneInfo(coach.time_zone)
    first_day = now.astimezone(zone).date()
    # Through the end of the last day, in the coach's zone (days=0: the rest of today).
    horizon = dt.datetime.combine(
        first_day + dt.timedelta(days=days + 1), dt.time.min, tzinfo=zone
    ).astimezone(dt.UTC)
    windows = _weekly_windows(coach)
    if not windows:
        return []
    busy = _merged(
        list(
            SessionParticipant.objects.filter(
                user_id__in=[coach.pk, rep.pk], is_active=True, start__lt=horizon, end__gt=now
            ).values_list("start", "end")
        )
    )
    is_free = _free_outside(busy)

    slots: list[Slot] = []
    for offset in range(days + 1):
        day = first_day + dt.timedelta(days=offset)
        for start_time, end_time in sorted(windows.get(day.weekday(), [])):
            cursor = dt.datetime.combine(day, start_time, tzinfo=zone).astimezone(dt.UTC)
            window_end = dt.datetime.combine(day, end_time, tzinfo=zone).astimezone(dt.UTC)
            while cursor + duration <= window_end:
                if (
                    cursor > now
                    and cursor + duration <= horizon
                    and is_free(cursor, cursor + duration)
                ):
                    slots.append(Slot(start=cursor, end=cursor + duration))
                    if len(slots) >= limit:
                        return slots
                cursor += step
    return slots


# Scorecards and trends


def rubric_list_active() -> QuerySet[Rubric]:
    return Rubric.objects.filter(is_active=True).prefetch_related(
        Prefetch("criteria", queryset=RubricCriterion.objects.order_by("position", "pk"))
    )


def rubric_default() -> Rubric | None:
    """The active rubric used most, else the first active one. One query."""
    return (
        Rubric.objects.filter(is_active=True)
        .annotate(uses=Count("scorecards"))
        .order_by("-uses", "name")
        .first()
    )


@dataclass
class TrendSeries:
    criterion: RubricCriterion
    points: dict[str, Decimal | None]  # month label -> mean score


@dataclass
class Trend:
    rubric: Rubric
    months: list[str]
    series: list[TrendSeries]
    scorecards: int

    @property
    def is_empty(self) -> bool:
        return self.scorecards == 0

    def chart_data(self) -> dict[str, object]:
        """What the chart script draws: months on x, one line per criterion."""
        return {
            "labels": self.months,
            "scale": [
                min((s.criterion.scale_min for s in self.series), default=1),
                max((s.criterion.scale_max for s in self.series), default=5),
            ],
            "datasets": [
                {
                    "label": s.criterion.name,
                    "data": [
                        float(v) if (v := s.points[m]) is not None else None for m in self.months
                    ],
                }
                for s in self.series
            ],
        }


def scorecard_trend_scores(
    *, viewer: Principal, rubric_id: int, rep_id: int | None
) -> QuerySet[Any, dict[str, Any]]:
    """Call scorecards' share of the trend (coaching.score_sources): the sessions `viewer` may
    see, by the month the session started."""
    sessions = sessions_visible(viewer)
    if rep_id is not None:
        sessions = sessions.filter(rep_id=rep_id)
    return (
        CriterionScore.objects.filter(
            scorecard__rubric_id=rubric_id, scorecard__session__in=sessions.values("pk")
        )
        .annotate(month=TruncMonth("scorecard__session__start"))
        .values("criterion_id", "month")
        .annotate(total=Sum("score"), n=Count("pk"), items=Count("scorecard", distinct=True))
        .order_by()
    )


def criterion_trend(
    *, viewer: Actor | Principal, rubric: Rubric, rep_id: int | None = None
) -> Trend:
    """Mean score per criterion per month (in the viewer's zone) of everything scored on the
    rubric that `viewer` may see (of one rep when `rep_id` is given): call scorecards and the
    registered sources (practice reviews).

    Two queries: the rubric's criteria; the monthly sums of every source (UNION ALL). Behaviour
    change shows as a rising line per criterion (the third level of evaluation).
    """
    principal = principal_of(viewer)
    criteria = list(rubric.criteria.order_by("position", "pk"))
    parts = [
        source(viewer=principal, rubric_id=rubric.pk, rep_id=rep_id)
        for source in (scorecard_trend_scores, *trend_sources())
    ]
    rows = list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])
    # criterion, month -> [sum of scores, scores, scored things]
    sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        cell = sums[(row["criterion_id"], row["month"].strftime("%Y-%m"))]
        cell[0] += row["total"]
        cell[1] += row["n"]
        cell[2] += row["items"]
    months = sorted({month for _criterion, month in sums})
    means = {
        key: (Decimal(total) / Decimal(n)).quantize(Decimal("0.01"))
        for key, (total, n, _items) in sums.items()
    }
    # Every scored thing scores every criterion of its rubric: the most per month is the count.
    items_per_month: dict[str, int] = {}
    for (_criterion, month), (_total, _n, items) in sums.items():
        items_per_month[month] = max(items_per_month.get(month, 0), items)
    return Trend(
        rubric=rubric,
        months=months,
        series=[
            TrendSeries(criterion=c, points={m: means.get((c.pk, m)) for m in months})
            for c in criteria
        ],
        scorecards=sum(items_per_month.values()),
    )
