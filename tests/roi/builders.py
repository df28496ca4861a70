"""A simulated sales team written into the database: reps, one won deal per active rep-month
carrying that month's simulated bookings, and program completions at the simulated training
months. Lets the tests check the whole pipeline against a known planted effect."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import User
from accounts.roles import Role
from deals.models import Deal, DealStatus
from roi.estimators.simulate import SalesScenario, SimulatedSales, simulate_sales
from roi.models import ReportSnapshot
from roi.months import calendar_month
from tests.roi.factories import program_with_courses
from training.models import Completion, Program

UTC = dt.UTC
# The scenario's 24 months end in December 2024: a refresh "today" in January 2025 sees them all.
FIRST_MONTH = 2023 * 12
TODAY = dt.date(2025, 1, 20)


@dataclass
class Team:
    sales: SimulatedSales
    reps: list[User]
    program: Program


def build_team(
    *,
    n_reps: int = 60,
    seed: int = 3,
    never_trained_share: float = 0.3,
    effect: float = 6.0,
    n_cohorts: int = 4,
    program: Program | None = None,
    n_months: int = 24,
    hire_date: dt.date = dt.date(2023, 1, 1),
    dip_before_training: float = 0.0,
    cycle_days: int = 40,
) -> Team:
    scenario = SalesScenario(
        n_reps=n_reps,
        n_months=n_months,
        first_month=FIRST_MONTH,
        effect=effect,
        never_trained_share=never_trained_share,
        n_cohorts=n_cohorts,
        first_cohort_month=6,
        cohort_spacing=3,
        noise_sd=10.0,
        dip_before_training=dip_before_training,
    )
    sales = simulate_sales(scenario, seed=seed)
    program = program or program_with_courses(1, plausible_effect_pct=Decimal("20"))
    reps = User.objects.bulk_create(
        User(
            email=f"sim{seed}-{i}@example.com",
            full_name=f"Sim Rep {i}",
            role=Role.REP,
            hire_date=hire_date,
        )
        for i in range(n_reps)
    )
    deals = []
    for i, rep in enumerate(reps):
        for column, month in enumerate(sales.months.tolist()):
            if not sales.active[i, column]:
                continue
            year, mon = calendar_month(month)
            closed = dt.datetime(year, mon, 15, 12, tzinfo=UTC)
            amount = max(float(sales.bookings[i, column]), 0.0) * 1000
            deals.append(
                Deal(
                    source="sim",
                    external_id=f"{seed}-{i}-{month}",
                    owner=rep,
                    name="Deal",
                    amount=Decimal(f"{amount:.2f}"),
                    currency="USD",
                    stage="Closed Won",
                    status=DealStatus.WON,
                    created_at=closed - dt.timedelta(days=cycle_days),
                    closed_at=closed,
                    source_updated_at=closed,
                )
            )
    Deal.objects.bulk_create(deals, batch_size=2000)
    course = program.courses.get()
    Completion.objects.bulk_create(
        Completion(
            user=rep,
            course=course,
            completed_at=dt.datetime(*calendar_month(int(month)), 10, 9, tzinfo=UTC),
        )
        for rep, month in zip(reps, sales.training_month.tolist(), strict=True)
        if month
    )
    return Team(sales=sales, reps=reps, program=program)


def snapshot_payloads() -> dict[tuple[str, str, str], dict]:
    """Every report snapshot's payload by (kind, key, metric), without the time it was
    computed: what two refreshes of the same data must agree on."""
    found = {}
    for s in ReportSnapshot.objects.all():
        payload = dict(s.payload)
        payload.pop("computed_at")
        found[(s.subject_kind, s.subject_key, s.metric)] = payload
    return found
