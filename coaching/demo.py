"""Demo coaching: weekly hours for the demo coaches, a "Discovery call" rubric, about 18 months of
sessions per rep (scores that improve over time, post-mortems whose commitments were met or
missed against the demo deals), and sessions this week and next.

Each coach sees each of their reps every third week at the rep's own weekly slot (weekday and
hour in the coach's zone), so nobody is ever double-booked. Written with bulk inserts: a second
or two for 40 reps. Idempotent: when the demo coaches already have sessions only the weekly hours
and the rubric are checked.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.demo import DemoOrg
from accounts.models import User
from coaching.models import (
    LOWER_IS_BETTER,
    POST_MORTEM_KINDS,
    SCORED_KINDS,
    ActionItem,
    AvailabilityWindow,
    CoachingSession,
    Commitment,
    CommitmentMetric,
    CommitmentStatus,
    CriterionScore,
    Methodology,
    PostMortem,
    Rubric,
    RubricCriterion,
    Scorecard,
    SessionKind,
    SessionParticipant,
    SessionStatus,
)
from coaching.services.agenda import agenda_prefill
from coaching.services.metrics import metric_measure
from coaching.services.scorecards import scorecard_overall
from deals.models import Deal, DealStatus

WEEKS_BACK = 78  # about 18 months
EVERY_N_WEEKS = 3
AGENDAS_FROM_PIPELINE = 4
KINDS = [
    SessionKind.LIVE_CALL,
    SessionKind.POST_CALL_REVIEW,
    SessionKind.ONE_ON_ONE,
    SessionKind.ROLE_PLAY,
    SessionKind.DEAL_POST_MORTEM,
]
CRITERIA = [
    # name, methodology, weight, description
    (
        gettext_noop("Pain identified"),
        Methodology.SPIN,
        2,
        gettext_noop("Problem questions uncover a pain the customer states in their own words."),
    ),
    (
        gettext_noop("Implications explored"),
        Methodology.SPIN,
        1,
        gettext_noop("Implication questions make the cost of doing nothing concrete."),
    ),
    (
        gettext_noop("Economic buyer identified"),
        Methodology.MEDDIC,
        2,
        gettext_noop("The rep learns who signs and how to reach them."),
    ),
    (
        gettext_noop("Decision process mapped"),
        Methodology.MEDDIC,
        1,
        gettext_noop("Steps, people and dates from here to a signature are known."),
    ),
    (
        gettext_noop("Metrics quantified"),
        Methodology.MEDDIC,
        1,
        gettext_noop("The value is put in the customer's numbers."),
    ),
    (
        gettext_noop("Next step agreed"),
        Methodology.GENERAL,
        1,
        gettext_noop("The call ends with a dated next step both sides accepted."),
    ),
]
WENT_WELL = [
    gettext_noop("Opened with the customer's agenda and kept to time."),
    gettext_noop("Asked open problem questions before showing anything."),
    gettext_noop("Summarised the pain back and got a clear yes."),
    gettext_noop("Brought in a champion who explained the internal politics."),
    gettext_noop("Handled the price objection by going back to the value."),
]
TO_IMPROVE = [
    gettext_noop("Ask who signs, and when, in the first call."),
    gettext_noop("Agree a compelling event before the proposal."),
    gettext_noop("Quantify the cost of doing nothing in their numbers."),
    gettext_noop("Confirm the decision process step by step, with dates."),
    gettext_noop("Close every call on a dated next step."),
]
ACTIONS = [
    gettext_noop("Send the mutual action plan"),
    gettext_noop("Book a call with the economic buyer"),
    gettext_noop("Write up the business case in the customer's numbers"),
    gettext_noop("Role-play the pricing conversation"),
]
TARGETS = {
    CommitmentMetric.ECONOMIC_BUYER_SHARE: (55, 75),
    CommitmentMetric.COMPELLING_DEADLINE_SHARE: (50, 70),
    CommitmentMetric.SLIP_RATE: (20, 35),
    CommitmentMetric.WIN_RATE: (30, 45),
}


@dataclass
class _Planned:
    session: CoachingSession
    index: int  # the rep's n-th session, for the improvement curve
    count: int


def _rubric() -> tuple[Rubric, list[RubricCriterion]]:
    rubric, _created = Rubric.objects.get_or_create(
        name=gettext("Discovery call"),
        defaults={"description": gettext("What a strong discovery call does (MEDDIC and SPIN).")},
    )
    criteria = []
    for position, (name, methodology, weight, description) in enumerate(CRITERIA):
        criterion, _created = RubricCriterion.objects.get_or_create(
            rubric=rubric,
            name=gettext(name),
            defaults={
                "methodology": methodology,
                "weight": weight,
                "description": gettext(description),
                "position": position,
                "scale_min": 1,
                "scale_max": 5,
            },
        )
        criteria.append(criterion)
    return rubric, criteria


def _availability(coaches: list[User]) -> None:
    have = set(
        AvailabilityWindow.objects.filter(coach__in=coaches).values_list("coach_id", flat=True)
    )
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(coach=coach, weekday=day, start_time=start, end_time=end)
        for coach in coaches
        if coach.pk not in have
        for day in range(5)
        for start, end in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17, 30)))
    )


def _slot(week_monday: dt.date, rep_index: int, zone: ZoneInfo) -> dt.datetime:
    """The rep's weekly slot: one of ten (weekday, hour) pairs, unique within a coach."""
    day = week_monday + dt.timedelta(days=rep_index % 5)
    hour = 10 if rep_index < 5 else 14
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)


def _coach_of(org: DemoOrg) -> dict[int, User]:
    by_team = {coach.team_id: coach for coach in org.coaches}
    return {rep.pk: by_team[rep.team_id] for rep in org.reps if rep.team_id in by_team}


def seed(org: DemoOrg, rng: random.Random) -> None:
    if not org.coaches or not org.reps:
        return
    rubric, criteria = _rubric()
    _availability(org.coaches)
    if CoachingSession.objects.filter(coach__in=org.coaches).exists():
        return
    now = timezone.now()
    today = timezone.localdate(now)
    coach_of = _coach_of(org)
    closed_deals: dict[int, list[Deal]] = {}
    for closed in Deal.objects.filter(
        owner__in=org.reps, status__in=[DealStatus.WON, DealStatus.LOST]
    ).order_by("closed_at"):
        closed_deals.setdefault(closed.owner_id or 0, []).append(closed)

    planned: list[_Planned] = []
    rep_positions: dict[int, int] = {}
    for rep in org.reps:
        coach = coach_of.get(rep.pk)
        if coach is None:
            continue
        zone = ZoneInfo(coach.time_zone)
        members = [r for r in org.reps if coach_of.get(r.pk) == coach]
        index = members.index(rep)
        rep_positions[rep.pk] = index
        this_monday = now.astimezone(zone).date() - dt.timedelta(
            days=now.astimezone(zone).weekday()
        )
        # Every third week in the past, then this week and next.
        weeks = [w for w in range(-WEEKS_BACK, 0) if (w + index) % EVERY_N_WEEKS == 0] + [0, 1]
        for n, week in enumerate(weeks):
            start = _slot(this_monday + dt.timedelta(weeks=week), index, zone)
            end = start + dt.timedelta(minutes=rng.choice([45, 60, 60, 60]))
            kind = KINDS[(n + index) % len(KINDS)]
            status = SessionStatus.SCHEDULED
            if end <= now:
                roll = rng.random()
                status = (
                    SessionStatus.CANCELLED
                    if roll < 0.05
                    else SessionStatus.NO_SHOW
                    if roll < 0.08
                    else SessionStatus.COMPLETED
                )
                # The coach has a couple of past sessions still to close out.
                if week == weeks[-3] and index in (1, 4) and coach == org.coaches[0]:
                    status = SessionStatus.SCHEDULED
            session_deal: Deal | None = None
            if kind == SessionKind.DEAL_POST_MORTEM:
                earlier = [
                    d for d in closed_deals.get(rep.pk, []) if d.closed_at and d.closed_at < start
                ]
                session_deal = earlier[-1] if earlier else None
            planned.append(
                _Planned(
                    session=CoachingSession(
                        coach=coach,
                        rep=rep,
                        booked_by=coach,
                        kind=kind,
                        status=status,
                        start=start,
                        end=end,
                        location=rng.choice(
                            ["https://meet.example.com/coaching", "Zoom", gettext("Office, room 3")]
                        ),
                        deal=session_deal,
                        cancelled_at=start - dt.timedelta(days=1)
                        if status == SessionStatus.CANCELLED
                        else None,
                        cancel_reason=gettext("Customer meeting moved into this slot")
                        if status == SessionStatus.CANCELLED
                        else "",
                        completed_at=end
                        if status in (SessionStatus.COMPLETED, SessionStatus.NO_SHOW)
                        else None,
                        sequence=1 if status == SessionStatus.CANCELLED else 0,
                        reminder_sent_at=start - dt.timedelta(days=1) if end <= now else None,
                    ),
                    index=n,
                    count=len(weeks),
                )
            )

    # Agendas from the pipeline for what is still ahead, for the demo coach's first reps (the
    # at-risk assessment costs about half a second per rep on SQLite; the rest get a short one).
    prefilled = {rep.pk for rep in org.reps if coach_of.get(rep.pk) == org.coaches[0]}
    prefilled = set(sorted(prefilled)[:AGENDAS_FROM_PIPELINE])
    agendas: dict[int, str] = {}
    for plan in planned:
        s = plan.session
        if s.status != SessionStatus.SCHEDULED or s.end <= now:
            continue
        if s.rep_id not in agendas:
            agendas[s.rep_id] = (
                agenda_prefill(rep=s.rep, today=today) if s.rep_id in prefilled else ""
            ) or gettext(rng.choice(TO_IMPROVE))
        s.agenda = agendas[s.rep_id]

    sessions = CoachingSession.objects.bulk_create([p.session for p in planned])
    SessionParticipant.objects.bulk_create(
        SessionParticipant(
            session=s,
            user_id=user_id,
            start=s.start,
            end=s.end,
            is_active=s.status != SessionStatus.CANCELLED,
        )
        for s in sessions
        for user_id in sorted([s.coach_id, s.rep_id])
    )
    _scorecards(planned, rubric, criteria, rng, org)
    _post_mortems(planned, rng, today, now)


def _scorecards(
    planned: list[_Planned],
    rubric: Rubric,
    criteria: list[RubricCriterion],
    rng: random.Random,
    org: DemoOrg,
) -> None:
    """Scores that improve: each rep starts at their own level and gains about two points over
    the 18 months, faster on what they were coached on; a few recent sessions left unscored."""
    level = {rep.pk: rng.uniform(1.4, 2.6) for rep in org.reps}
    knack = {(rep.pk, c.pk): rng.uniform(-0.5, 0.5) for rep in org.reps for c in criteria}
    cards: list[Scorecard] = []
    values: list[dict[int, int]] = []
    for plan in planned:
        s = plan.session
        if s.status != SessionStatus.COMPLETED or s.kind not in SCORED_KINDS:
            continue
        if plan.index >= plan.count - 4 and rng.random() < 0.3:
            continue  # not scored yet: shows up as a follow-up
        progress = plan.index / max(plan.count - 1, 1)
        scores = {
            c.pk: max(
                1,
                min(
                    5,
                    round(
                        level[s.rep_id]
                        + knack[(s.rep_id, c.pk)]
                        + 2.1 * progress
                        + rng.gauss(0, 0.45)
                    ),
                ),
            )
            for c in criteria
        }
        cards.append(
            Scorecard(
                session=s,
                rubric=rubric,
                scored_by_id=s.coach_id,
                overall=scorecard_overall(criteria, scores),
                notes="",
            )
        )
        values.append(scores)
    saved = Scorecard.objects.bulk_create(cards)
    CriterionScore.objects.bulk_create(
        CriterionScore(scorecard=card, criterion_id=criterion_id, score=score)
        for card, scores in zip(saved, values, strict=True)
        for criterion_id, score in scores.items()
    )


def _post_mortems(
    planned: list[_Planned], rng: random.Random, today: dt.date, now: dt.datetime
) -> None:
    """Post-mortems for reviews and deal post-mortems; half carry a commitment, measured against
    the demo deals when its check date has passed (so some are met and some missed)."""
    chosen = [
        p.session
        for p in planned
        if p.session.status == SessionStatus.COMPLETED and p.session.kind in POST_MORTEM_KINDS
    ]
    post_mortems = PostMortem.objects.bulk_create(
        PostMortem(
            session=s,
            author_id=s.coach_id,
            went_well=gettext(rng.choice(WENT_WELL)),
            to_improve=gettext(rng.choice(TO_IMPROVE)),
        )
        for s in chosen
    )
    commitments: list[Commitment] = []
    actions: list[ActionItem] = []
    metrics = list(TARGETS)
    for post_mortem in post_mortems:
        session = post_mortem.session
        session_day = timezone.localtime(session.start).date()
        if rng.random() < 0.5:
            metric = rng.choice(metrics)
            low, high = TARGETS[metric]
            check = session_day + dt.timedelta(days=rng.choice([60, 90]))
            commitment = Commitment(
                post_mortem=post_mortem,
                rep_id=session.rep_id,
                description=post_mortem.to_improve,
                metric=metric,
                target=Decimal(rng.randrange(low, high + 1, 5)),
                window_start=session_day,
                check_date=check,
            )
            if check <= today:
                measured = metric_measure(
                    rep=session.rep, metric=metric, start=session_day, end=check
                )
                commitment.measured_value = measured.value
                commitment.deals_measured = measured.count
                commitment.checked_at = dt.datetime.combine(check, dt.time(5, 30), tzinfo=dt.UTC)
                if measured.value is None:
                    commitment.status = CommitmentStatus.NO_DATA
                elif metric in LOWER_IS_BETTER:
                    commitment.status = (
                        CommitmentStatus.MET
                        if measured.value <= commitment.target
                        else CommitmentStatus.MISSED
                    )
                else:
                    commitment.status = (
                        CommitmentStatus.MET
                        if measured.value >= commitment.target
                        else CommitmentStatus.MISSED
                    )
            commitments.append(commitment)
        if (now - session.start).days < 75:
            due = session_day + dt.timedelta(days=rng.choice([7, 14, 21]))
            actions.append(
                ActionItem(
                    session=session,
                    owner_id=session.rep_id if rng.random() < 0.8 else session.coach_id,
                    description=gettext(rng.choice(ACTIONS)),
                    due_date=due,
                    completed_at=dt.datetime.combine(due, dt.time(16), tzinfo=dt.UTC)
                    if due < today and rng.random() < 0.6
                    else None,
                )
            )
    Commitment.objects.bulk_create(commitments)
    ActionItem.objects.bulk_create(actions)
