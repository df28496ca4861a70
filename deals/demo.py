"""Demo deals: 24 months of pipeline for the demo reps, with their history.

What makes it believable:
- segments by team: Enterprise (large, slow), Mid-Market, Commercial (small, quick); cycles of
  30 to 180 days; amounts log-normal around the segment's typical size;
- seasonality: fewer new deals in January and August, closes pulled into quarter ends, and the
  biggest close month in December;
- qualification facts that matter: deals with a compelling deadline and economic-buyer access win
  more often and slip less; better reps qualify better;
- slips: expected close dates pushed later, recorded as DealChange rows dated when they happened,
  and open deals whose date has passed; stage moves and occasional amount changes recorded too;
- loss reasons weighted ("No decision" is likelier without a deadline);
- a few deals in EUR and GBP, with monthly exchange rates.

Idempotent: nothing happens when demo deals (source "demo") exist, unless `replace=True`.

The ROI demo can plant a known training effect by re-using this generator:

    deals.demo.seed(org, rng, effect=lambda rep_id, month: 1.15 if trained(rep_id, month) else 1.0,
                    replace=True)

`effect(rep_id, month)` multiplies the win probability, and `amount_effect(rep_id, month)` the
amount of won deals, of the deals that rep closes in that month (`month` is the first day of the
close month). Both default to no effect; probabilities are capped at 0.95.
"""

import datetime as dt
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from accounts.roles import Role
from deals.models import Deal, DealChange, DealStatus, ExchangeRate
from deals.signals import deals_written

Effect = Callable[[int, dt.date], float]

SOURCE = "demo"
MONTHS = 24
# Marked for translation: a German demo (seed_demo --language de) writes them in German, as a
# German CRM would send them.
STAGES = [
    gettext_noop("Discovery"),
    gettext_noop("Qualification"),
    gettext_noop("Proposal"),
    gettext_noop("Negotiation"),
]
WON_STAGE, LOST_STAGE = gettext_noop("Closed Won"), gettext_noop("Closed Lost")
LOSS_REASONS = [
    (gettext_noop("No decision"), 30),
    (gettext_noop("Lost to competitor"), 25),
    (gettext_noop("Budget"), 15),
    (gettext_noop("Timing"), 12),
    (gettext_noop("Price"), 10),
    (gettext_noop("Went silent"), 8),
]
RATES = {"EUR": 1.08, "GBP": 1.27}  # home-currency units, drifting a little month to month


@dataclass(frozen=True)
class Segment:
    deals_per_month: float
    median_amount: float
    cycle_days: tuple[int, int]
    base_win: float
    currency: str  # the occasional foreign currency of the team's region


SEGMENTS = {
    "enterprise": Segment(2.2, 85_000, (75, 180), 0.20, "USD"),
    "mid-market": Segment(3.5, 28_000, (45, 120), 0.26, "EUR"),
    "commercial": Segment(5.0, 9_000, (30, 75), 0.30, "GBP"),
}


def _segment(rep: User) -> Segment:
    name = (rep.team.name if rep.team_id and rep.team else "").lower()
    if "enterprise" in name:
        return SEGMENTS["enterprise"]
    if "commercial" in name:
        return SEGMENTS["commercial"]
    return SEGMENTS["mid-market"]


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small means used here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def _quarter_end(day: dt.date) -> dt.date:
    end_month = ((day.month - 1) // 3 + 1) * 3
    return _add_months(dt.date(day.year, end_month, 1), 1) - dt.timedelta(days=1)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(8, 18), rng.randrange(60)), tzinfo=dt.UTC)


def _money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


@dataclass
class _Plan:
    deal: Deal
    changes: list[tuple[str, str, str, dt.datetime]]  # field, old, new, when


def _plan_deal(
    *,
    rep: User,
    seg: Segment,
    skill: float,
    created: dt.date,
    today: dt.date,
    number: int,
    rng: random.Random,
    effect: Effect | None,
    amount_effect: Effect | None,
) -> _Plan:
    has_deadline = rng.random() < 0.55 + 0.12 * skill
    has_buyer = rng.random() < 0.5 + 0.12 * skill
    has_champion = rng.random() < 0.5 + 0.1 * skill
    has_process = rng.random() < 0.4
    has_metrics = rng.random() < 0.35 + 0.05 * skill

    cycle = rng.randint(*seg.cycle_days)
    planned_close = created + dt.timedelta(days=int(cycle * rng.uniform(0.55, 0.85)))
    actual_close = created + dt.timedelta(days=cycle)
    # Quarter-end pull: many deals are pushed over the line in the quarter's last days.
    to_quarter_end = (_quarter_end(actual_close) - actual_close).days
    if actual_close.month % 3 == 2 and cycle + to_quarter_end <= 180 and rng.random() < 0.5:
        actual_close = _quarter_end(actual_close) - dt.timedelta(days=rng.randrange(0, 6))
    slip_odds = 0.12 + (0.28 if not has_deadline else 0) + (0.15 if not has_buyer else 0)
    slips = rng.random() < slip_odds
    if not slips:
        # On time: closed deals close on the planned date; open ones are planned ahead.
        planned_close = actual_close
        if actual_close <= today:
            pass
        elif planned_close < today:
            planned_close = today + dt.timedelta(days=rng.randrange(7, 60))

    amount = seg.median_amount * math.exp(rng.gauss(0, 0.55))
    currency = seg.currency if seg.currency != "USD" and rng.random() < 0.1 else "USD"
    is_closed = actual_close <= today
    month = _month_start(actual_close)

    win = seg.base_win + 0.05 * skill
    win += 0.16 if has_deadline else 0
    win += 0.14 if has_buyer else 0
    win += 0.05 if has_champion else 0
    win += 0.04 if actual_close.month == 12 else 0
    if effect is not None and is_closed:
        win *= effect(rep.pk, month)
    is_won = is_closed and rng.random() < min(max(win, 0.03), 0.95)
    if is_won and amount_effect is not None:
        amount *= amount_effect(rep.pk, month)
    amount_now = Decimal(str(round(amount / 100) * 100))

    created_at = _at(created, rng)
    changes: list[tuple[str, str, str, dt.datetime]] = [
        ("stage", "", gettext(STAGES[0]), created_at),
        ("status", "", DealStatus.OPEN, created_at),
    ]
    # The first amount is often revised once mid-cycle.
    first_amount = amount_now
    if rng.random() < 0.2:
        first_amount = Decimal(str(round(float(amount_now) * rng.uniform(0.7, 1.3) / 100) * 100))
    changes.append(("amount", "", _money(first_amount), created_at))
    changes.append(("expected_close_date", "", planned_close.isoformat(), created_at))

    end = actual_close if is_closed else today
    span = max((end - created).days, 1)
    if is_closed:
        # Won deals pass every stage; lost ones stop somewhere along the way.
        reached = len(STAGES) if is_won else rng.randint(1, len(STAGES))
        stage_days = sorted(rng.sample(range(1, span + 1), k=min(reached - 1, span)))
    else:
        # Open deals have moved as far as their elapsed share of the cycle; some stall early
        # (the "stuck" deals of the hygiene page).
        share = min(span / cycle, 1.0)
        moves = int(share * (len(STAGES) - 1) * rng.uniform(0.8, 1.2))
        stalled = rng.random() < 0.15
        reach_days = span // 3 if stalled else span
        stage_days = sorted(rng.sample(range(1, reach_days + 1), k=min(moves, reach_days)))
    stage = gettext(STAGES[0])
    for i, day in enumerate(stage_days, start=1):
        when = _at(created + dt.timedelta(days=day), rng)
        changes.append(("stage", stage, gettext(STAGES[i]), when))
        stage = gettext(STAGES[i])
    if first_amount != amount_now:
        when = _at(created + dt.timedelta(days=span // 2), rng)
        changes.append(("amount", _money(first_amount), _money(amount_now), when))

    # Slips: the date is pushed around the time it comes due, one to three times; a closed
    # deal's last push lands on its real close date, an open deal may still be overdue.
    expected = planned_close
    if slips:
        pushes = rng.randint(1, 3)
        for n in range(pushes):
            if is_closed and expected >= actual_close:
                break
            push_day = max(min(expected + dt.timedelta(days=rng.randrange(-6, 3)), end), created)
            if not is_closed and push_day >= today:
                break
            new = expected + dt.timedelta(days=rng.randrange(14, 45))
            if is_closed and (n == pushes - 1 or new > actual_close):
                new = actual_close
            changes.append(
                ("expected_close_date", expected.isoformat(), new.isoformat(), _at(push_day, rng))
            )
            expected = new

    closed_at = None
    status = DealStatus.OPEN
    loss_reason = ""
    if is_closed:
        closed_at = _at(actual_close, rng)
        status = DealStatus.WON if is_won else DealStatus.LOST
        final_stage = gettext(WON_STAGE if is_won else LOST_STAGE)
        changes.append(("stage", stage, final_stage, closed_at))
        changes.append(("status", DealStatus.OPEN, status, closed_at))
        stage = final_stage
        if not is_won:
            reasons = [r for r, _w in LOSS_REASONS]
            weights = [
                w * (2 if r == "No decision" and not has_deadline else 1) for r, w in LOSS_REASONS
            ]
            loss_reason = gettext(rng.choices(reasons, weights)[0])
    changes.sort(key=lambda c: c[3])
    last = max(c[3] for c in changes)
    if closed_at is not None:
        closed_at = max(closed_at, created_at)
    deal = Deal(
        source=SOURCE,
        external_id=f"DEMO-{rep.pk}-{number:05d}",
        owner=rep,
        owner_external_id=rep.email,
        name=f"{_company(rng)} – {gettext(rng.choice(_PRODUCTS))}",
        account_name="",
        amount=amount_now,
        currency=currency,
        stage=stage,
        status=status,
        created_at=created_at,
        expected_close_date=expected,
        closed_at=closed_at,
        loss_reason=loss_reason,
        has_compelling_deadline=has_deadline,
        has_economic_buyer=has_buyer,
        has_champion=has_champion,
        has_decision_process=has_process,
        has_metrics=has_metrics,
        source_updated_at=last,
        ingested_at=timezone.now(),
    )
    deal.account_name = deal.name.split(" – ")[0]
    return _Plan(deal=deal, changes=changes)


_PREFIX = [
    "North",
    "Blue",
    "Bright",
    "Summit",
    "Iron",
    "Silver",
    "Green",
    "Harbor",
    "Nova",
    "Alto",
    "Cedar",
    "Vertex",
    "Lumen",
    "Orbit",
    "Atlas",
    "Pioneer",
    "Crest",
    "Delta",
    "Apex",
    "Maple",
]
_SUFFIX = [
    "Logistics",
    "Health",
    "Foods",
    "Robotics",
    "Energy",
    "Bank",
    "Retail",
    "Media",
    "Labs",
    "Insurance",
    "Telecom",
    "Pharma",
    "Motors",
    "Analytics",
    "Travel",
    "Systems",
]
_PRODUCTS = [
    gettext_noop("Platform"),
    gettext_noop("Expansion"),
    gettext_noop("Renewal"),
    gettext_noop("Pilot"),
    gettext_noop("Enterprise licence"),
    gettext_noop("Add-on seats"),
    gettext_noop("Analytics module"),
    gettext_noop("Onboarding package"),
]


def _company(rng: random.Random) -> str:
    return f"{rng.choice(_PREFIX)} {rng.choice(_SUFFIX)}"


def _reps(org: Any) -> list[User]:
    reps = list(getattr(org, "reps", []) or [])
    if not reps:
        reps = list(User.objects.filter(role=Role.REP, is_active=True).order_by("pk"))
    return list(
        User.objects.filter(pk__in=[r.pk for r in reps]).select_related("team").order_by("pk")
    )


def seed(
    org: Any,
    rng: random.Random,
    *,
    effect: Effect | None = None,
    amount_effect: Effect | None = None,
    replace: bool = False,
    today: dt.date | None = None,
) -> int:
    """Generate the demo pipeline; returns how many deals were created (0 when skipped)."""
    today = today or timezone.localdate()
    owners: set[int] = set()
    with transaction.atomic():
        if Deal.objects.filter(source=SOURCE).exists():
            if not replace:
                return 0
            gone = Deal.objects.filter(source=SOURCE, owner__isnull=False)
            owners = set(gone.values_list("owner_id", flat=True).distinct())
            Deal.objects.filter(source=SOURCE).delete()
        start = _add_months(_month_start(today), -MONTHS)
        plans: list[_Plan] = []
        for rep in _reps(org):
            seg = _segment(rep)
            skill = max(-1.5, min(1.5, rng.gauss(0, 0.6)))
            number = 0
            for m in range(MONTHS):
                month = _add_months(start, m)
                lam = seg.deals_per_month * (1 + 0.15 * skill)
                if month.month in (1, 8):
                    lam *= 0.75
                for _ in range(_poisson(rng, lam)):
                    last_day = (_add_months(month, 1) - dt.timedelta(days=1)).day
                    created = month.replace(day=rng.randint(1, last_day))
                    if created >= today:
                        continue
                    number += 1
                    # Each deal draws from a generator of its own: whether it has closed by
                    # today changes how many draws it takes, and must not change every deal
                    # after it (the demo's story would change from day to day).
                    deal_rng = random.Random(rng.getrandbits(64))
                    plans.append(
                        _plan_deal(
                            rep=rep,
                            seg=seg,
                            skill=skill,
                            created=created,
                            today=today,
                            number=number,
                            rng=deal_rng,
                            effect=effect,
                            amount_effect=amount_effect,
                        )
                    )
        deals = Deal.objects.bulk_create([p.deal for p in plans], batch_size=500)
        _insert_changes(
            (deal.pk, field, old, new, when)
            for deal, plan in zip(deals, plans, strict=True)
            for field, old, new, when in plan.changes
        )
        _seed_rates(start, today, rng)
        owners |= {deal.owner_id for deal in deals if deal.owner_id is not None}
        deals_written.send(sender=Deal, before=[], after=[], deal_ids=set(), owners=owners)
    return len(deals)


def _insert_changes(rows: Iterable[tuple[int, str, str, str, dt.datetime]]) -> None:
    """Plain executemany: the ORM's bulk_create costs seconds for tens of thousands of rows."""
    now = timezone.now()
    if connection.vendor == "sqlite":
        # SQLite stores Django datetimes as naive UTC text.
        def at(value: dt.datetime) -> Any:
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    else:

        def at(value: dt.datetime) -> Any:
            return value

    table = DealChange._meta.db_table
    sql = (
        f"INSERT INTO {table} (deal_id, field, old_value, new_value, changed_at, recorded_at) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    recorded = at(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(pk, field, old, new, at(when), recorded) for pk, field, old, new, when in rows]
        )


def _seed_rates(start: dt.date, today: dt.date, rng: random.Random) -> None:
    rates = []
    for currency, level in RATES.items():
        month = start
        while month <= today:
            level *= 1 + rng.gauss(0, 0.01)
            rates.append(
                ExchangeRate(currency=currency, rate=Decimal(f"{level:.6f}"), valid_from=month)
            )
            month = _add_months(month, 1)
    ExchangeRate.objects.bulk_create(rates, ignore_conflicts=True)
