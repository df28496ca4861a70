"""Demo impact: a true story with a known answer, next to honest "not yet" answers.

Runs after the accounts, training, deals and coaching seeders.

Why a team of its own. The four demo field teams (deals.demo) sell large, irregular deals: one
rep's monthly bookings swing by more than their average. With 40 such reps no estimate of a
realistic training effect on bookings can be told apart from noise (the minimum detectable
effect is well over 100%), and the reports say so. So the story is told where effects are
measurable, as they are in real companies: a high-volume inside-sales team.

1. "Inside Sales": 48 reps selling many small deals a month. Their monthly bookings come from
   roi.estimators.simulate: reps differ in skill, the market grows, quarter-ends and December
   spike, good and bad months persist then fade.
2. The "Inside sales playbook" program is assigned to the team; 36 reps complete it in six
   cohorts two months apart, the better reps first (selection, as in real teams); 12 have not.
   Completions carry their original dates (imported from the previous LMS) and ratings.
3. The planted effect: from their completion month on, a trained rep's bookings rise by
   EFFECT_K thousand a month once ramped up over three months (the simulator's effect path,
   varying between reps), and their new deals are better qualified. `planted_truth()` is the
   true average lift the estimate should cover.
4. The plan says what to expect: bookings, a plausible effect of PLAN_EFFECT_PCT.

Because the better reps train first and bookings grow over time, the naive figures (after vs
before, trained vs untrained) overstate the lift; the staggered comparison recovers it.

Honest "not yet" answers sit beside it: "Sales foundations" (training.demo; its plan expects a
5% win-rate lift, far below what 40 field reps can detect: shown with grade C and the design
check), "Negotiation essentials" (12 reps, imported from the previous LMS: "12 of 20 trained
reps") and the kinds of coaching.

Idempotent: people by email, deals by external id, programs and courses by slug; the snapshots
are recomputed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_bulk_upsert
from deals.services import deals_ingest
from roi.estimators.simulate import SalesScenario, SimulatedSales, simulate_sales
from roi.models import ProgramCosting
from roi.months import add_months, calendar_month, month_number, month_start
from roi.services import report_refresh_all
from training.models import Course, Program, PublishStatus
from training.services import (
    assignment_create,
    completion_bulk_import,
    course_create,
    course_rate,
    program_create,
)

DOMAIN = "demo.coachline.app"
TEAM = "Inside Sales"
N_REPS = 48
MONTHS = 24
SEED = 20_240_611
EFFECT_K = 12.0  # thousand a month, fully ramped
SCALE = 500.0  # simulator thousands -> dollars: about 50,000 a rep-month
PROGRAM = "inside-sales-playbook"
PLAN_EFFECT_PCT = Decimal("20")
SOURCE = "demo-inside"
SECOND_PROGRAM = "negotiation-essentials"
SECOND_TRAINED = 12
FIRST = ["Ava", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jia", "Kai", "Lina"]
LAST = ["Moreau", "Novak", "Ortiz", "Petrov"]


def scenario(today: dt.date) -> SalesScenario:
    last = add_months(month_start(today), -1)
    return SalesScenario(
        n_reps=N_REPS,
        n_months=MONTHS,
        first_month=month_number(last) - MONTHS + 1,
        effect=EFFECT_K,
        never_trained_share=0.25,
        n_cohorts=6,
        first_cohort_month=6,
        cohort_spacing=2,
    )


def simulated(today: dt.date | None = None) -> SimulatedSales:
    return simulate_sales(scenario(today or timezone.localdate()), seed=SEED)


def planted_truth(today: dt.date | None = None) -> float:
    """The true average lift per trained rep-month after training, in dollars (the simulator's
    truth in the estimator's terms)."""
    return simulated(today).true_simple_att * SCALE


def seed(org: Any, rng: random.Random) -> None:
    today = timezone.localdate()
    sales = simulated(today)
    reps = _people(org)
    _deals(reps, sales, today=today)
    program = _program(reps, sales, today=today, org=org)
    ProgramCosting.objects.get_or_create(
        program=program,
        defaults={"delivery_cost": Decimal("60000"), "coaching_hours_per_seat": Decimal("3")},
    )
    _second_program(list(org.reps), today=today)
    report_refresh_all(force=True)


def _email(i: int) -> str:
    return f"inside{i + 1}@{DOMAIN}"


def _people(org: Any) -> list[User]:
    """The team, its manager and coach, and its reps (hired before the demo's history)."""
    manager, coach = f"manager-inside@{DOMAIN}", f"coach-inside@{DOMAIN}"
    rows: list[dict[str, Any]] = [
        {"email": manager, "full_name": "Ines Inside", "role": Role.MANAGER, "team": TEAM},
        {"email": coach, "full_name": "Theo Trainer", "role": Role.COACH, "team": TEAM},
    ]
    for i in range(N_REPS):
        rows.append(
            {
                "email": _email(i),
                "full_name": f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST)]}",
                "role": Role.REP,
                "team": TEAM,
                "manager_email": manager,
                "coach_email": coach,
                "hire_date": "2021-09-01",
                "time_zone": "Europe/Dublin",
            }
        )
    result = user_bulk_upsert(rows=rows, may_grant_privileged_roles=False)
    if result.errors:
        raise RuntimeError(f"inside sales people refused: {result.errors[:3]}")
    by_email = {u.email: u for u in User.objects.filter(email__in=[r["email"] for r in rows])}
    team_manager = by_email[manager]
    team = by_email[_email(0)].team
    if team is not None and team.manager_id != team_manager.pk:
        team.manager = team_manager
        team.save(update_fields=["manager"])
    return [by_email[_email(i)] for i in range(N_REPS)]


def _deals(reps: list[User], sales: SimulatedSales, *, today: dt.date) -> None:
    """Each rep-month's simulated bookings as 6 to 10 won deals, with lost deals beside them,
    close-date slips, and qualification facts that improve after training."""
    rng = np.random.default_rng(SEED)
    # The inside team's CRM is in use: a closed deal's record is still touched for a few weeks
    # (invoicing, hand-off), so the newest CRM time is today and last month counts as covered.
    now = dt.datetime.combine(today, dt.time(7, 0), tzinfo=dt.UTC)
    rows: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    skill = (sales.skill - sales.skill.mean()) / sales.skill.std()
    for i, rep in enumerate(reps):
        for column, month in enumerate(sales.months.tolist()):
            if not sales.active[i, column]:
                continue
            year, number = calendar_month(month)
            trained = 0 < sales.training_month[i] <= month
            target = max(float(sales.bookings[i, column]), 5.0) * SCALE
            n_won = int(rng.integers(6, 11))
            shares = rng.dirichlet(np.full(n_won, 4.0))
            amounts = np.round(target * shares / 10) * 10
            n_lost = int(rng.poisson(n_won * 1.2))
            lost = np.round(rng.lognormal(np.log(target / n_won), 0.4, n_lost) / 10) * 10
            qualified = 0.45 + 0.08 * skill[i] + (0.15 if trained else 0.0)
            for k, (amount, won) in enumerate(
                [(a, True) for a in amounts] + [(a, False) for a in lost]
            ):
                day = int(rng.integers(1, 28))
                close = dt.date(year, number, day)
                created = close - dt.timedelta(days=int(rng.integers(12, 45)))
                key = f"INS-{rep.pk}-{month}-{k}"
                closed_at = dt.datetime.combine(close, dt.time(16, 0), tzinfo=dt.UTC)
                rows.append(
                    {
                        "source": SOURCE,
                        "external_id": key,
                        "owner_email": rep.email,
                        "name": gettext("Inside deal {key}").format(key=key),
                        "account_name": f"SMB account {int(rng.integers(1, 4000))}",
                        "amount": f"{max(amount, 10):.2f}",
                        "currency": "USD",
                        "stage": gettext("Closed Won") if won else gettext("Closed Lost"),
                        "status": "won" if won else "lost",
                        "created_at": dt.datetime.combine(
                            created, dt.time(9, 30), tzinfo=dt.UTC
                        ).isoformat(),
                        "expected_close_date": close.isoformat(),
                        "closed_at": closed_at.isoformat(),
                        "loss_reason": "" if won else gettext("No decision"),
                        "has_compelling_deadline": bool(rng.random() < qualified + 0.1),
                        "has_economic_buyer": bool(rng.random() < qualified),
                        "source_updated_at": min(
                            closed_at + dt.timedelta(days=30), now
                        ).isoformat(),
                    }
                )
                if rng.random() < 0.15:
                    first_date = close - dt.timedelta(days=int(rng.integers(7, 21)))
                    history.append(
                        {
                            "source": SOURCE,
                            "external_id": key,
                            "field": "expected_close_date",
                            "old_value": first_date.isoformat(),
                            "new_value": close.isoformat(),
                            "changed_at": dt.datetime.combine(
                                first_date, dt.time(11, 0), tzinfo=dt.UTC
                            ).isoformat(),
                        }
                    )
    for start in range(0, len(rows), 5000):
        result = deals_ingest(rows=rows[start : start + 5000], default_source=SOURCE)
        if result.errors:
            raise RuntimeError(f"inside sales deals refused: {result.errors[:3]}")
    deals_ingest(rows=[], default_source=SOURCE, history=history)


def _program(reps: list[User], sales: SimulatedSales, *, today: dt.date, org: Any) -> Program:
    """The playbook: assigned to the team, completed by the simulator's trained reps on their
    training month (imported with the original dates), rated by most of them."""
    course = Course.objects.filter(slug=PROGRAM).first() or course_create(
        slug=PROGRAM,
        title=gettext("Inside sales playbook"),
        summary=gettext(
            "Qualify in the first call, agree a deadline with the buyer, follow up in 48 h."
        ),
        status=PublishStatus.PUBLISHED,
        estimated_minutes=180,
    )
    program = Program.objects.filter(slug=PROGRAM).first() or program_create(
        slug=PROGRAM,
        title=gettext("Inside sales playbook"),
        summary=gettext(
            "The inside team's way of qualifying and closing many small deals a month."
        ),
        status=PublishStatus.PUBLISHED,
        courses=[course],
        content_cost=Decimal("15000"),
        cost_per_seat=Decimal("250"),
        expected_learner_hours=Decimal("6"),
        primary_metric="bookings",
        horizon_months=6,
        plausible_effect_pct=PLAN_EFFECT_PCT,
    )
    assignment_create(
        target=program,
        assignees=reps,
        due_date=today + dt.timedelta(days=30),
        assigned_by=getattr(org, "admin", None),
        team=reps[0].team,
        today=today,
    )
    completions = []
    for rep, month in zip(reps, sales.training_month.tolist(), strict=True):
        if month:
            year, number = calendar_month(int(month))
            day = dt.date(year, number, 4 + rep.pk % 20)
            completions.append(
                {
                    "email": rep.email,
                    "course": PROGRAM,
                    "completed_at": day.isoformat(),
                    "score": 70 + rep.pk % 30,
                }
            )
    completion_bulk_import(rows=completions)
    trained = {row["email"] for row in completions}
    for rep in reps:
        if rep.email in trained and rep.pk % 5:
            course_rate(user=rep, course=course, stars=3 + rep.pk % 3)
    return program


def _second_program(reps: list[User], *, today: dt.date) -> None:
    """A workshop 12 field reps took in the previous LMS: too few for a finding yet."""
    course = Course.objects.filter(slug=SECOND_PROGRAM).first() or course_create(
        slug=SECOND_PROGRAM,
        title=gettext("Negotiation essentials"),
        summary=gettext(
            "Trading concessions, anchoring, and walking away: the old LMS's workshop."
        ),
        status=PublishStatus.PUBLISHED,
        estimated_minutes=240,
    )
    if not Program.objects.filter(slug=SECOND_PROGRAM).exists():
        program_create(
            slug=SECOND_PROGRAM,
            title=gettext("Negotiation essentials"),
            summary=gettext(
                "Imported from the previous learning platform with the original dates."
            ),
            status=PublishStatus.PUBLISHED,
            courses=[course],
            content_cost=Decimal("8000"),
            cost_per_seat=Decimal("400"),
            expected_learner_hours=Decimal("8"),
            primary_metric="win_rate",
            plausible_effect_pct=Decimal("10"),
        )
    chosen = sorted(reps, key=lambda r: (r.pk * 7919) % 101)[:SECOND_TRAINED]
    completion_bulk_import(
        rows=[
            {
                "email": rep.email,
                "course": SECOND_PROGRAM,
                "completed_at": add_months(month_start(today), -(4 + i % 8))
                .replace(day=12)
                .isoformat(),
                "score": 80 + rep.pk % 20,
            }
            for i, rep in enumerate(chosen)
        ]
    )
