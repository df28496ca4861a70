"""Demo impact: a true story with a known answer.

Runs after the accounts, training, deals and coaching seeders. It plants a known effect of the
"Sales foundations" program and lets the reports find it:

1. Who trains when, with selection like in real teams: 24 of the 40 demo reps complete the
   program in six cohorts two months apart, the better reps (higher bookings than their team
   over the whole demo history) first; 16 never do. Their completions are rewritten through
   training.demo.seed_completions (with the lessons, quizzes and ratings a real one leaves).
2. The effect: from their completion month on, each trained rep closes one extra won deal a
   month worth PLANTED_LIFT of their own average monthly bookings, ramping up over RAMP_MONTHS
   (deals take time to close). The deals go through deals.services.deals_ingest like any CRM
   row (the demo deals stay as they are: coaching sessions and commitments refer to them).
3. The plan says what to expect: bookings, a plausible effect of PLAN_EFFECT_PCT.

Because the better reps train first and bookings rise over the demo's history, the naive
figures (after vs before, trained vs untrained) overstate the planted lift several times; the
staggered comparison recovers it within its interval. `planted_truth()` gives the true average
lift the estimate should cover.

A second program, "Negotiation essentials", was taken by 12 reps in a previous LMS (imported
completions): its report is collecting evidence ("12 of 20 trained reps").

Idempotent: completions, deals and programs are found by their natural keys; the snapshots are
recomputed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from deals.models import Deal, DealStatus
from deals.services import deals_ingest
from roi.models import ProgramCosting
from roi.panel import add_months, month_number, month_start
from roi.services import report_refresh_all
from training import demo as training_demo
from training.models import Course, Program, PublishStatus
from training.services import completion_bulk_import, course_create, program_create, program_update

N_TRAINED = 24
COHORTS = 6
COHORT_SPACING = 2  # months
FIRST_COHORT = 15  # months before the current month
PLANTED_LIFT = 0.30  # of the rep's average monthly bookings, once ramped up
RAMP_MONTHS = 3
PLAN_EFFECT_PCT = Decimal("25")
SOURCE = "demo"
PLANT_PREFIX = "DEMO-PLANTED"
SECOND_PROGRAM = "negotiation-essentials"
SECOND_TRAINED = 12


def seed(org: Any, rng: random.Random) -> None:
    today = timezone.localdate()
    reps = list(
        User.objects.filter(pk__in=[r.pk for r in org.reps]).select_related("team").order_by("pk")
    )
    program = _plan_sales_foundations()
    months = training_months(reps, today=today)
    training_demo.seed_completions(
        reps, rng, {rep_id: _completion_day(month, rep_id) for rep_id, month in months.items()}
    )
    _plant_deals(reps, months, today=today, rng=rng)
    _second_program(reps, today=today, rng=rng)
    ProgramCosting.objects.get_or_create(
        program=program,
        defaults={"delivery_cost": Decimal("45000"), "coaching_hours_per_seat": Decimal("4")},
    )
    report_refresh_all(force=True)


def _plan_sales_foundations() -> Program:
    """The demo program's measurement plan: bookings, with a plausible effect of 25%."""
    program = Program.objects.get(slug=training_demo.PROGRAM_SLUG)
    if program.primary_metric != "bookings" or program.plausible_effect_pct != PLAN_EFFECT_PCT:
        program_update(
            program=program, primary_metric="bookings", plausible_effect_pct=PLAN_EFFECT_PCT
        )
    return program


def _original_deals(rep_ids: list[int]) -> Any:
    return Deal.objects.filter(owner_id__in=rep_ids, source=SOURCE).exclude(
        external_id__startswith=PLANT_PREFIX
    )


def training_months(reps: list[User], *, today: dt.date) -> dict[int, dt.date]:
    """{rep id: first day of their completion month} for the 24 reps who train.

    Reps are ranked by their bookings over the whole demo history relative to their team's
    average (the better reps of each team first), then cut into cohorts. Ranking on the whole
    history, not on the months before training, is selection on who the reps are, not on a
    lucky stretch (which would fade after training and look like a negative effect).
    """
    won = dict(
        _original_deals([r.pk for r in reps])
        .filter(status=DealStatus.WON)
        .values("owner_id")
        .annotate(total=Sum("amount"))
        .values_list("owner_id", "total")
    )
    by_team: dict[int | None, list[float]] = defaultdict(list)
    for rep in reps:
        by_team[rep.team_id].append(float(won.get(rep.pk, 0)))
    team_mean = {team: sum(v) / len(v) for team, v in by_team.items()}
    ranked = sorted(
        reps, key=lambda r: (-float(won.get(r.pk, 0)) / (team_mean[r.team_id] or 1.0), r.pk)
    )
    first = add_months(month_start(today), -FIRST_COHORT)
    months = {}
    per_cohort = N_TRAINED // COHORTS
    for index, rep in enumerate(ranked[:N_TRAINED]):
        months[rep.pk] = add_months(first, COHORT_SPACING * (index // per_cohort))
    return months


def _completion_day(month: dt.date, rep_id: int) -> dt.date:
    # Spread over the first three weeks of the month, the same day on every run.
    return month.replace(day=3 + rep_id % 18)


def ramp(months_since: int) -> float:
    return min(1.0, (months_since + 1) / RAMP_MONTHS) if months_since >= 0 else 0.0


def planted_amounts(
    reps: list[User], months: dict[int, dt.date], *, today: dt.date
) -> dict[tuple[int, dt.date], Decimal]:
    """{(rep id, month): extra bookings} for every trained rep and complete month from their
    training on: PLANTED_LIFT of their average monthly bookings before any planting, ramped."""
    last = add_months(month_start(today), -1)
    history = _original_deals(list(months)).filter(status=DealStatus.WON)
    totals = dict(
        history.values("owner_id").annotate(total=Sum("amount")).values_list("owner_id", "total")
    )
    first_close = (
        _original_deals(list(months)).order_by("closed_at").values_list("closed_at", flat=True)
    )
    start = next((c for c in first_close if c is not None), None)
    span = max(month_number(last) - month_number(start.date()) + 1, 1) if start else 1
    out = {}
    for rep_id, trained in months.items():
        monthly = float(totals.get(rep_id, 0)) / span
        month = trained
        while month <= last:
            lift = PLANTED_LIFT * monthly * ramp(month_number(month) - month_number(trained))
            amount = Decimal(round(lift / 100) * 100)
            if amount > 0:
                out[(rep_id, month)] = amount
            month = add_months(month, 1)
    return out


def planted_truth(*, today: dt.date | None = None) -> float:
    """The true average lift per trained rep-month after training (what the bookings estimate
    should cover), read back from the planted deals."""
    today = today or timezone.localdate()
    last = add_months(month_start(today), -1)
    planted = Deal.objects.filter(source=SOURCE, external_id__startswith=PLANT_PREFIX)
    amounts = [
        float(d.amount) for d in planted if d.closed_at and d.closed_at.date() < add_months(last, 1)
    ]
    return sum(amounts) / len(amounts) if amounts else 0.0


def _plant_deals(
    reps: list[User], months: dict[int, dt.date], *, today: dt.date, rng: random.Random
) -> None:
    """One extra won deal per trained rep and month, ingested like any CRM row (idempotent:
    the external id names the rep and month)."""
    by_id = {r.pk: r for r in reps}
    rows = []
    for (rep_id, month), amount in sorted(planted_amounts(reps, months, today=today).items()):
        close = month.replace(day=5 + (rep_id * 7 + month.month) % 20)
        created = close - dt.timedelta(days=35 + (rep_id + month.month) % 40)
        at = dt.datetime.combine(close, dt.time(15, 0), tzinfo=dt.UTC)
        rows.append(
            {
                "source": SOURCE,
                "external_id": f"{PLANT_PREFIX}-{rep_id}-{month:%Y%m}",
                "owner_email": by_id[rep_id].email,
                "name": "Expansion – won after Sales foundations",
                "account_name": "Returning customer",
                "amount": str(amount),
                "currency": "USD",
                "stage": "Closed Won",
                "status": "won",
                "created_at": dt.datetime.combine(
                    created, dt.time(10, 0), tzinfo=dt.UTC
                ).isoformat(),
                "expected_close_date": close.isoformat(),
                "closed_at": at.isoformat(),
                "has_compelling_deadline": True,
                "has_economic_buyer": True,
                "has_champion": True,
                "source_updated_at": at.isoformat(),
            }
        )
    result = deals_ingest(rows=rows, default_source=SOURCE)
    if result.errors:
        raise RuntimeError(f"planted demo deals refused: {result.errors[:3]}")


def _second_program(reps: list[User], *, today: dt.date, rng: random.Random) -> None:
    """A program 12 reps took in a previous LMS: too few for a finding yet."""
    course = Course.objects.filter(slug=SECOND_PROGRAM).first() or course_create(
        slug=SECOND_PROGRAM,
        title="Negotiation essentials",
        summary="Trading concessions, anchoring, and walking away: the old LMS's workshop.",
        status=PublishStatus.PUBLISHED,
        estimated_minutes=240,
    )
    if not Program.objects.filter(slug=SECOND_PROGRAM).exists():
        program_create(
            slug=SECOND_PROGRAM,
            title="Negotiation essentials",
            summary="Imported from the previous learning platform with the original dates.",
            status=PublishStatus.PUBLISHED,
            courses=[course],
            content_cost=Decimal("8000"),
            cost_per_seat=Decimal("400"),
            expected_learner_hours=Decimal("8"),
            primary_metric="win_rate",
            plausible_effect_pct=Decimal("10"),
        )
    chosen = sorted(reps, key=lambda r: (r.pk * 7919) % 101)[:SECOND_TRAINED]
    rows = [
        {
            "email": rep.email,
            "course": SECOND_PROGRAM,
            "completed_at": add_months(month_start(today), -(4 + i % 8))
            .replace(day=12)
            .isoformat(),
            "score": 80 + (rep.pk % 20),
        }
        for i, rep in enumerate(chosen)
    ]
    completion_bulk_import(rows=rows)
