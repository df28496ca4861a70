"""Monte Carlo of the ROI reports through the database: real rows, the real refresh (issue #10).

    nice -n 10 .venv/bin/python bench/roi_coverage_db.py [--seeds 100] [--only fresh ...]
        [--first-seed 0] [--draws run.jsonl]
    .venv/bin/python bench/roi_coverage_db.py --summarise run-a.jsonl run-b.jsonl

Several processes (each with its own DATABASE_URL name) can share the seeds: each appends its
seeds' draws to a file with --draws, and --summarise prints the table over all of them.

bench/roi_coverage.py runs the report code on a panel it fills itself. This one writes each
simulated sales team as rows (reps, teams, won and lost deals with their CRM times and
currencies, exchange rates, programs, completions, a CRM connection) into a throwaway database
(SQLite in memory by default; with DATABASE_URL a PostgreSQL test database
`test_<name>` created and dropped by Django's test machinery), runs
roi.services.report_refresh_all, the function the nightly task runs, and reads the stored
snapshots: the SQL panel, data coverage, currency conversion, winsorising, gates, estimator,
money gate, robustness switch and the dashboard's false discovery rate, with production's
999 bootstrap draws. Each seed's rows are rolled back before the next.

Each active rep-month's simulated bookings (roi.estimators.simulate) are split into one to four
won deals of random shares (lumpy deal sizes; the month's sum is the simulated bookings), plus
lost deals; deals are created 20 to 90 days before they close. The truth is the simulated
effect over the months the report's window covers (read back from the snapshot).

Scenarios (120 reps, 24 months, +6 a month once ramped up, about +5%, unless said):
- fresh: a CRM connection synced on the morning of "today";
- data_ends_early: 36 months simulated, but the CSV export stops 12 months before today (only
  deals closed by then exist, their newest CRM time is that month); training went on;
- unconverted_currency: in the second year 20% of won deals are in BRL, which has no rate;
- one_big_deal: one extra won deal 50 times the median deal, in a trained rep's month after
  training;
- team_rollout: 24 teams of 10 reps; whole teams train in the same month, and teams share good
  and bad months (team-month shocks);
- thin_data: 40 reps over 10 months (the gates should mostly say "collecting evidence");
- ten_null_programs: ten programs that do nothing, completed by random reps at random cohort
  months: a false highlight is an org (seed) where any of them survives the dashboard's check.

Coverage counts the seeds whose headline is shown; "shown" is their share. "false+" is, for the
null scenario, the share of orgs with any highlighted program; elsewhere the share of shown
headlines that survive the check (power). "withheld$" is the share of seeds whose money
headline is withheld for deals without a rate; "winsor" the share whose headline switched to
the winsorised estimate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Team, User  # noqa: E402
from accounts.roles import Role  # noqa: E402
from deals.models import Deal, DealStatus  # noqa: E402
from integrations.models import CrmConnection  # noqa: E402
from roi.estimators.simulate import (  # noqa: E402
    SalesScenario,
    SimulatedSales,
    _true_simple_att,
    effect_path,
    simulate_sales,
)
from roi.models import ReportSnapshot  # noqa: E402
from roi.months import calendar_month, month_index  # noqa: E402
from roi.services import report_refresh_all  # noqa: E402
from training.models import Completion, Course, Program, ProgramCourse, PublishStatus  # noqa: E402

UTC = dt.UTC
FIRST_MONTH = month_index(2023, 1)
BASE = SalesScenario(n_reps=120, n_months=24, first_month=FIRST_MONTH, noise_sd=10.0)
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass
class Draw:
    truth: float
    shown: bool
    att: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    highlighted: bool = False
    withheld_money: bool = False
    winsorised: bool = False


def _today_after(month: int) -> dt.date:
    """The 20th of the month after `month` (month numbers as roi.months)."""
    year, mon = calendar_month(month + 1)
    return dt.date(year, mon, 20)


def _program(tag: str) -> Program:
    program = Program.objects.create(
        slug=f"bench-{tag}",
        title=f"Bench {tag}",
        status=PublishStatus.PUBLISHED,
        primary_metric="bookings",
        plausible_effect_pct=Decimal("5"),
    )
    course = Course.objects.create(
        slug=f"bench-{tag}", title=f"Bench {tag}", status=PublishStatus.PUBLISHED
    )
    ProgramCourse.objects.create(program=program, course=course, position=0)
    return program


def _reps(n: int, teams: list[int] | None = None) -> list[User]:
    team_rows = []
    if teams is not None:
        team_rows = Team.objects.bulk_create(Team(name=f"Team {t}") for t in range(max(teams) + 1))
    return User.objects.bulk_create(
        User(
            email=f"rep{i}@bench.example",
            full_name=f"Rep {i}",
            role=Role.REP,
            hire_date=dt.date(2023, 1, 1),
            team=team_rows[teams[i]] if teams is not None else None,
        )
        for i in range(n)
    )


def _deals(
    sales: SimulatedSales,
    bookings: FloatArray,
    reps: list[User],
    rng: np.random.Generator,
    *,
    columns: range | None = None,
    source: str = "hubspot",
    foreign_months: set[int] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Each active rep-month's bookings as 1-4 won deals (random shares) plus lost deals. In
    `foreign_months`, each won deal is in BRL (no rate) with probability 0.2."""
    rows = []
    columns = columns if columns is not None else range(sales.months.size)
    for i, rep in enumerate(reps):
        for column in columns:
            if not sales.active[i, column]:
                continue
            month = int(sales.months[column])
            year, mon = calendar_month(month)
            total = max(float(bookings[i, column]), 0.0) * 1000.0
            n_won = int(rng.integers(1, 5))
            shares = rng.dirichlet(np.full(n_won, 2.0))
            amounts = [round(total * s, 2) for s in shares]
            amounts[-1] = round(total - sum(amounts[:-1]), 2)
            n_lost = int(rng.poisson(1.0))
            for k in range(n_won + n_lost):
                won = k < n_won
                closed = dt.datetime(year, mon, int(rng.integers(1, 29)), 12, tzinfo=UTC)
                currency = "USD"
                if won and month in foreign_months and rng.random() < 0.2:
                    currency = "BRL"
                amount = max(amounts[k], 0.0) if won else float(rng.uniform(5000, 60000))
                created = closed - dt.timedelta(days=int(rng.integers(20, 91)))
                status = DealStatus.WON if won else DealStatus.LOST
                rows.append(
                    (
                        source,
                        f"{rep.pk}-{month}-{k}",
                        rep.pk,
                        Decimal(f"{amount:.2f}"),
                        currency,
                        status,
                        created,
                        closed,
                    )
                )
    deals_insert(rows)


DEAL_COLUMNS = (
    "source",
    "external_id",
    "owner_id",
    "owner_external_id",
    "name",
    "account_name",
    "amount",
    "currency",
    "stage",
    "status",
    "created_at",
    "closed_at",
    "loss_reason",
    "source_updated_at",
    "ingested_at",
)


def deals_insert(rows: list[tuple[Any, ...]]) -> None:
    """Closed deals as rows of (source, external id, owner id, amount, currency, status,
    created, closed), the CRM's last-modified time being the close. On PostgreSQL one COPY (an
    executemany of 20 000 rows took half of a seed; COPY a tenth of that), on SQLite one
    executemany. (The ORM's bulk_create spends most of a seed preparing the values one by one.)"""
    now = timezone.now()
    values = [
        (
            source,
            external_id,
            owner,
            "",
            "Deal",
            "",
            amount,
            currency,
            "Closed Won" if status == DealStatus.WON else "Closed Lost",
            str(status),
            created,
            closed,
            "",
            closed,
            now,
        )
        for source, external_id, owner, amount, currency, status, created, closed in rows
    ]
    table = Deal._meta.db_table
    columns = ", ".join(DEAL_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            return
        ops = connection.ops
        adapted = [
            (
                *row[:6],
                ops.adapt_decimalfield_value(row[6], 18, 2),
                *row[7:10],
                ops.adapt_datetimefield_value(row[10]),
                ops.adapt_datetimefield_value(row[11]),
                row[12],
                ops.adapt_datetimefield_value(row[13]),
                ops.adapt_datetimefield_value(row[14]),
            )
            for row in values
        ]
        placeholders = ", ".join(["%s"] * len(DEAL_COLUMNS))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", adapted)


def _complete(program: Program, reps: list[User], training_month: np.ndarray[Any, Any]) -> None:
    course = program.courses.get()
    Completion.objects.bulk_create(
        Completion(
            user=rep,
            course=course,
            completed_at=dt.datetime(*calendar_month(int(month)), 10, 9, tzinfo=UTC),
        )
        for rep, month in zip(reps, training_month.tolist(), strict=True)
        if month
    )


def _synced(today: dt.date) -> None:
    CrmConnection.objects.create(
        source="hubspot", last_success_at=dt.datetime.combine(today, dt.time(6), tzinfo=UTC)
    )


def _read(
    sales: SimulatedSales,
    training: np.ndarray[Any, Any],
    effect: FloatArray,
    *,
    slug: str,
) -> Draw:
    """The program's bookings snapshot against the truth over its window's months."""
    snapshot = ReportSnapshot.objects.get(
        subject_kind="program", subject_key=slug, metric="bookings"
    )
    payload = snapshot.payload
    first, last = (
        month_index(*map(int, payload["window"][k][:7].split("-"))) for k in ("first", "last")
    )
    keep = (sales.months >= first) & (sales.months <= last)
    months = sales.months[keep]
    in_window = np.where((training > months[0]) & (training <= months[-1]), training, 0)
    truth = _true_simple_att(in_window, months, effect[:, keep], sales.active[:, keep]) * 1000.0
    robustness = payload.get("robustness") or {}
    draw = Draw(
        truth=truth,
        shown=snapshot.is_ok and payload["estimate"] is not None,
        withheld_money=bool((payload.get("money_gate") or {}).get("is_withheld")),
        winsorised=bool(robustness.get("is_headline_winsorised")),
        highlighted=bool(payload["fdr"].get("survives")),
    )
    if draw.shown:
        draw.att, draw.ci_low, draw.ci_high = (
            payload["estimate"][k] for k in ("att", "ci_low", "ci_high")
        )
    return draw


def _one_program(
    sales: SimulatedSales,
    seed: int,
    *,
    today: dt.date,
    bookings: FloatArray | None = None,
    columns: range | None = None,
    source: str = "hubspot",
    foreign_months: set[int] = frozenset(),  # type: ignore[assignment]
    teams: list[int] | None = None,
    training: np.ndarray[Any, Any] | None = None,
    effect: FloatArray | None = None,
    extra: Callable[[list[User]], None] | None = None,
) -> list[Draw]:
    rng = np.random.default_rng(seed + 101)
    training = sales.training_month if training is None else training
    reps = _reps(sales.rep_ids.size, teams)
    program = _program("p")
    _deals(
        sales,
        sales.bookings if bookings is None else bookings,
        reps,
        rng,
        columns=columns,
        source=source,
        foreign_months=foreign_months,
    )
    if extra is not None:
        extra(reps)
    _complete(program, reps, training)
    if source == "hubspot":
        _synced(today)
    report_refresh_all(force=True, today=today)
    return [_read(sales, training, sales.effect if effect is None else effect, slug=program.slug)]


def fresh(seed: int) -> list[Draw]:
    sales = simulate_sales(BASE, seed=seed)
    return _one_program(sales, seed, today=_today_after(int(sales.months[-1])))


def data_ends_early(seed: int) -> list[Draw]:
    sales = simulate_sales(replace(BASE, n_months=36), seed=seed)
    # The export's last deals closed in month 24; today is 12 months later. Training went on.
    return _one_program(
        sales,
        seed,
        today=_today_after(int(sales.months[-1])),
        columns=range(24),
        source="csv",
    )


def unconverted_currency(seed: int) -> list[Draw]:
    sales = simulate_sales(BASE, seed=seed)
    second_year = {int(m) for m in sales.months[12:]}
    return _one_program(
        sales, seed, today=_today_after(int(sales.months[-1])), foreign_months=second_year
    )


def one_big_deal(seed: int) -> list[Draw]:
    sales = simulate_sales(BASE, seed=seed)
    trained = np.nonzero(sales.training_month)[0]
    index = int(trained[seed % trained.size])
    column = min(
        int(np.nonzero(sales.months >= sales.training_month[index])[0][0]) + 1,
        sales.months.size - 1,
    )

    def big_deal(reps: list[User]) -> None:
        amounts = sorted(
            float(a)
            for a in Deal.objects.filter(status=DealStatus.WON).values_list("amount", flat=True)
        )
        median = amounts[len(amounts) // 2]
        year, mon = calendar_month(int(sales.months[column]))
        closed = dt.datetime(year, mon, 18, 12, tzinfo=UTC)
        deals_insert(
            [
                (
                    "hubspot",
                    "big",
                    reps[index].pk,
                    Decimal(f"{50 * median:.2f}"),
                    "USD",
                    DealStatus.WON,
                    closed - dt.timedelta(days=60),
                    closed,
                )
            ]
        )

    return _one_program(sales, seed, today=_today_after(int(sales.months[-1])), extra=big_deal)


def team_rollout(seed: int) -> list[Draw]:
    n_teams, size = 24, 10
    sales = simulate_sales(replace(BASE, n_reps=n_teams * size, effect=0.0), seed=seed)
    rng = np.random.default_rng(seed + 11)
    team = np.repeat(np.arange(n_teams), size)
    cohorts = sales.months[0] + 6 + 3 * np.arange(6)
    team_month = np.where(rng.random(n_teams) < 0.3, 0, rng.choice(cohorts, n_teams))
    training = team_month[team]
    since = sales.months[None, :] - training[:, None]
    effect = np.where(training[:, None] > 0, effect_path(BASE, since), 0.0)
    shocks = rng.normal(0.0, 6.0, (n_teams, sales.months.size))[team]
    return _one_program(
        sales,
        seed,
        today=_today_after(int(sales.months[-1])),
        bookings=sales.bookings + effect + shocks,
        teams=team.tolist(),
        training=training,
        effect=effect,
    )


def thin_data(seed: int) -> list[Draw]:
    scenario = replace(
        BASE, n_reps=40, n_months=10, first_cohort_month=3, cohort_spacing=2, n_cohorts=3
    )
    sales = simulate_sales(scenario, seed=seed)
    return _one_program(sales, seed, today=_today_after(int(sales.months[-1])))


def ten_null_programs(seed: int) -> list[Draw]:
    sales = simulate_sales(replace(BASE, effect=0.0), seed=seed)
    rng = np.random.default_rng(seed + 13)
    reps = _reps(sales.rep_ids.size)
    _deals(sales, sales.bookings, reps, np.random.default_rng(seed + 101))
    cohorts = sales.months[0] + 6 + 3 * np.arange(4)
    trainings = []
    for number in range(10):
        program = _program(f"null{number}")
        trained = rng.random(sales.rep_ids.size) < 0.7
        training = np.where(trained, rng.choice(cohorts, sales.rep_ids.size), 0)
        _complete(program, reps, training)
        trainings.append((program.slug, training))
    today = _today_after(int(sales.months[-1]))
    _synced(today)
    report_refresh_all(force=True, today=today)
    zero = np.zeros_like(sales.effect)
    return [_read(sales, training, zero, slug=slug) for slug, training in trainings]


SCENARIOS: dict[str, Callable[[int], list[Draw]]] = {
    "fresh": fresh,
    "data_ends_early": data_ends_early,
    "unconverted_currency": unconverted_currency,
    "one_big_deal": one_big_deal,
    "team_rollout": team_rollout,
    "thin_data": thin_data,
    "ten_null_programs": ten_null_programs,
}


def _in_a_throwaway_transaction(run: Callable[[int], list[Draw]], seed: int) -> list[Draw]:
    with transaction.atomic():
        draws = run(seed)
        transaction.set_rollback(True)
    return draws


def _row(name: str, runs: list[list[Draw]], seconds: float) -> str:
    draws = [d for run in runs for d in run]
    shown = [d for d in draws if d.shown and d.att is not None]
    err = np.array([d.att - d.truth for d in shown if d.att is not None]) if shown else None
    covered = [
        d.ci_low <= d.truth <= d.ci_high
        for d in shown
        if d.ci_low is not None and d.ci_high is not None
    ]
    if name == "ten_null_programs":
        positives = float(np.mean([any(d.highlighted for d in run) for run in runs]))
    else:
        positives = float(np.mean([d.highlighted for d in shown])) if shown else float("nan")
    bias = float(np.mean(err)) if err is not None else float("nan")
    rmse = float(np.sqrt(np.mean(err**2))) if err is not None else float("nan")
    coverage = float(np.mean(covered)) if covered else float("nan")
    # Binomial standard error over the shown headlines (for ten programs they share an org's
    # data, so the real uncertainty is larger).
    se = float(np.sqrt(coverage * (1 - coverage) / len(covered))) if covered else float("nan")
    withheld = float(np.mean([any(d.withheld_money for d in run) for run in runs]))
    winsor = float(np.mean([d.winsorised for d in shown])) if shown else float("nan")
    return (
        f"{name:22} {len(runs):5} {len(shown) / len(draws):6.2f} {bias:8.1f} {rmse:8.1f} "
        f"{coverage:9.3f} {se:6.3f} {positives:7.3f} {withheld:9.2f} {winsor:7.2f} {seconds:6.0f}"
    )


def _print_table(runs: dict[str, list[list[Draw]]], seconds: dict[str, float]) -> None:
    print(
        f"{'scenario':22} {'seeds':>5} {'shown':>6} {'bias':>8} {'rmse':>8} {'coverage':>9} "
        f"{'± se':>6} {'false+':>7} {'withheld$':>9} {'winsor':>7} {'secs':>6}"
    )
    for name, scenario_runs in runs.items():
        if scenario_runs:
            print(_row(name, scenario_runs, seconds[name]), flush=True)


def _summarise(paths: list[str]) -> None:
    """The table from the seed-by-seed lines that runs with --draws wrote (several processes'
    files together)."""
    runs: dict[str, dict[int, list[Draw]]] = {name: {} for name in SCENARIOS}
    seconds = dict.fromkeys(SCENARIOS, 0.0)
    for path in paths:
        for line in Path(path).read_text().splitlines():
            record = json.loads(line)
            runs[record["scenario"]][record["seed"]] = [Draw(**d) for d in record["draws"]]
            seconds[record["scenario"]] += record["seconds"]
    _print_table({name: list(by_seed.values()) for name, by_seed in runs.items()}, seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--draws", help="append each seed's draws to this file (JSON lines)")
    parser.add_argument("--summarise", nargs="*", help="print the table from --draws files")
    args = parser.parse_args()
    if args.summarise:
        _summarise(args.summarise)
        return
    settings.DEBUG = False  # no query log: a seed runs thousands of queries
    databases = setup_databases(verbosity=0, interactive=False)
    runs: dict[str, list[list[Draw]]] = {name: [] for name in args.only}
    seconds = dict.fromkeys(args.only, 0.0)
    try:
        print(f"seeds {args.seeds}, database {connection.vendor}, bootstrap draws 999")
        # Seed by seed through every scenario, so a run stopped early has the same seeds in all.
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for name in args.only:
                started = time.perf_counter()
                draws = _in_a_throwaway_transaction(SCENARIOS[name], seed)
                took = time.perf_counter() - started
                runs[name].append(draws)
                seconds[name] += took
                if args.draws:
                    record = {"scenario": name, "seed": seed, "seconds": took}
                    record["draws"] = [asdict(d) for d in draws]
                    with open(args.draws, "a") as out:
                        out.write(json.dumps(record) + "\n")
        _print_table(runs, seconds)
    finally:
        teardown_databases(databases, verbosity=0)
    print("load average:", os.getloadavg())


if __name__ == "__main__":
    main()
