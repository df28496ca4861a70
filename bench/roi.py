"""The ROI engine on a large organisation, on PostgreSQL.

In one run, on a database of its own (coachline_bench_roi, created and dropped here), with
5,000 reps, 36 months, 1,500,000 deals (with close-date history and three currencies) and
200,000 course completions (10 programs of 5 courses):

  (a) panel build through the ORM (roi.panel.panel_build: five set-based queries and the
      placement into rep x month arrays) against the same aggregation written by hand in SQL
      (the same five aggregations, with a LATERAL rate lookup), placed by the same code;
      goal: ORM within 1.2x of the hand-written SQL;
  (a2) the panel read from the maintained rep x month summary (roi.panel.summary; rebuilt
      first, `summary_rebuild`, timed) against an independent reference: one pass over the
      deals by hand in SQL (each deal counted under its months created, closed and of its close
      date, the rate looked up per deal) plus one pass over the close-date history, placed into
      arrays with numpy here, not by our code; goal (issue #13): at most 2x the reference;
  (b) the estimator for one program on each metric with 999 bootstrap draws, against a floor:
      one matrix product of the draws' weights with per-unit influence columns; goal: under 5 s;
  (c) the dashboard and a program page read from snapshots (query counts printed, constant)
      against computing that program's report on the fly (panel + five estimates + gates +
      money + Kirkpatrick); goal: under 0.2x.

It also prints the time of one full refresh (every program, every metric) for reference, and
  (d) the full refresh fanned out as a Celery chord (roi.tasks: one task per program and metric,
      the publish as its callback) on a real worker with 1 and then 2 processes (prefork, Redis
      broker and result backend), against the same refresh in this one process; goal (issue
      #13): under 15 s with two workers at 5,000 reps. BENCH_WORKERS lists the process counts
      (default "1,2"); BENCH_REFRESH_ONLY=1 runs (d) alone.

Run: .venv/bin/python bench/roi.py   (PostgreSQL on 127.0.0.1:5432, or set BENCH_PG_URL)
BENCH_ROI_DB names the database; BENCH_REPS the number of reps (default 5,000); BENCH_KEEP=1
keeps it and reuses it next time; BENCH_PANEL_ONLY=1
stops after the panel timings (a) and (a2); BENCH_ESTIMATOR_ONLY=1 runs (b) alone.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import SERVER, admin_sql, site_env  # noqa: E402

DB_NAME = os.environ.get("BENCH_ROI_DB", "coachline_bench_roi")
# BENCH_REPS scales the organisation (deals and completions in proportion): the 5,000-rep
# dataset takes minutes to build.
N_REPS = int(os.environ.get("BENCH_REPS", "5000"))
N_MONTHS = 36
N_DEALS = 300 * N_REPS  # 1,500,000 at 5,000 reps
N_PROGRAMS = 10
COURSES_PER_PROGRAM = 5
TRAINED_PER_PROGRAM = N_REPS * 4 // 5  # x 5 courses x 10 programs = 200,000 at 5,000 reps
PUSHED_SHARE = 0.15  # deals with a close date pushed once (history rows)
HOME = "USD"
GOALS = {"panel": 1.2, "summary_panel": 2.0, "estimator_s": 5.0, "snapshot": 0.2}
# "Today" for the run: the report window is the 36 whole months before it.
TODAY = dt.date(2026, 1, 15)
FIRST_MONTH = dt.date(2023, 1, 1)


def _setup_django() -> None:
    os.environ.update(site_env(f"{SERVER}/{DB_NAME}", ALLOWED_HOSTS="testserver"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Pages render without collectstatic: plain static storage, the rest as in production.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    call_command("migrate", verbosity=0)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def _timed(run: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    """Fastest wall time over `repeats` runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def _copy(table: str, columns: list[str], lines: list[str]) -> None:
    """COPY into `table` with its indexes and constraints dropped and rebuilt after: building an
    index once is much faster than updating it (and checking foreign keys) row by row."""
    from django.db import connection

    buffer = io.StringIO("".join(lines))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype <> 'p'",
            [table],
        )
        constraints = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT LIKE '%%pkey'",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        raw = cursor.cursor  # psycopg cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _ts(values: np.ndarray) -> list[str]:
    """Seconds since FIRST_MONTH (UTC) as timestamptz text."""
    base = np.datetime64(FIRST_MONTH.isoformat() + "T00:00:00")
    stamps = base + values.astype("timedelta64[s]")
    return [f"{s}+00" for s in np.datetime_as_string(stamps, unit="s")]


def _generate() -> dict[str, Any]:
    """People, programs, deals, history, rates and completions. Returns what the timings need."""
    from accounts.models import Team, User
    from accounts.roles import Role
    from deals.models import ExchangeRate
    from training.models import Course, Program, ProgramCourse, PublishStatus

    rng = np.random.default_rng(7)
    teams = Team.objects.bulk_create(Team(name=f"Team {i:03d}") for i in range(100))
    users = User.objects.bulk_create(
        User(
            email=f"rep{i}@bench.example",
            full_name=f"Rep {i}",
            role=Role.REP,
            team=teams[i % len(teams)],
            hire_date=dt.date(2022, 1, 1),
            password="!",
        )
        for i in range(N_REPS)
    )
    User.objects.create(email="leader@bench.example", full_name="Lee", role=Role.LEADER)
    rep_ids = np.array([u.pk for u in users])
    skill = rng.normal(0.0, 1.0, N_REPS)

    # Exchange rates: monthly EUR and GBP rates over the window.
    rates = []
    for m in range(N_MONTHS + 1):
        day = dt.date(2023 + m // 12, m % 12 + 1, 1)
        rates += [
            ExchangeRate(
                currency="EUR", rate=Decimal(f"{1.05 + 0.05 * np.sin(m / 5):.6f}"), valid_from=day
            ),
            ExchangeRate(
                currency="GBP", rate=Decimal(f"{1.25 + 0.04 * np.cos(m / 7):.6f}"), valid_from=day
            ),
        ]
    ExchangeRate.objects.bulk_create(rates)

    # Programs and completions: staggered months, better reps earlier.
    programs, completion_lines, n = [], [], 0
    start_seconds = (TODAY - FIRST_MONTH).days * 86400
    for p in range(N_PROGRAMS):
        courses = Course.objects.bulk_create(
            Course(slug=f"c{p}-{c}", title=f"Course {p}.{c}", status=PublishStatus.PUBLISHED)
            for c in range(COURSES_PER_PROGRAM)
        )
        program = Program.objects.create(
            slug=f"program-{p}",
            title=f"Program {p}",
            status=PublishStatus.PUBLISHED,
            primary_metric="bookings",
            plausible_effect_pct=10,
            content_cost=50_000,
            cost_per_seat=200,
            expected_learner_hours=6,
        )
        ProgramCourse.objects.bulk_create(
            ProgramCourse(program=program, course=c, position=i) for i, c in enumerate(courses)
        )
        programs.append(program)
        order = np.argsort(-(skill + rng.normal(0, 1, N_REPS)))[:TRAINED_PER_PROGRAM]
        month = rng.integers(6, 30, TRAINED_PER_PROGRAM)
        month.sort()  # the best reps (first in `order`) train first
        seconds = (month * 30.4 + rng.uniform(0, 25, TRAINED_PER_PROGRAM)) * 86400
        for c, course in enumerate(courses):
            # The last course completes the program; the earlier ones a few days before.
            stamps = _ts(seconds - (COURSES_PER_PROGRAM - 1 - c) * 2 * 86400)
            for rep_index, at in zip(order.tolist(), stamps, strict=True):
                n += 1
                completion_lines.append(
                    f"{rep_ids[rep_index]}\t{course.pk}\t{at}\t\\N\timport\tbench{n}\t{at}\t{at}\n"
                )
    _copy(
        "training_completion",
        [
            "user_id",
            "course_id",
            "completed_at",
            "score",
            "source",
            "certificate_code",
            "created_at",
            "updated_at",
        ],
        completion_lines,
    )

    # Deals: created uniformly over the window, cycle ~ lognormal, better reps win more.
    owner_index = rng.integers(0, N_REPS, N_DEALS)
    created = rng.uniform(0, N_MONTHS * 30.4 * 86400, N_DEALS)
    cycle = np.exp(rng.normal(np.log(45), 0.5, N_DEALS)) * 86400
    closed = created + cycle
    is_closed = closed < start_seconds
    p_win = 1 / (1 + np.exp(-(-0.9 + 0.4 * skill[owner_index])))
    won = rng.random(N_DEALS) < p_win
    status = np.where(is_closed, np.where(won, "won", "lost"), "open")
    currency = rng.choice(["USD", "EUR", "GBP"], N_DEALS, p=[0.8, 0.12, 0.08])
    amount = np.round(np.exp(rng.normal(np.log(20_000), 0.8, N_DEALS)), 2)
    expected = created + cycle + rng.normal(0, 10, N_DEALS) * 86400
    flag = rng.random((5, N_DEALS))
    created_text, closed_text = _ts(created), _ts(closed)
    expected_days = np.datetime64(FIRST_MONTH.isoformat()) + (expected // 86400).astype(
        "timedelta64[D]"
    )
    expected_text = np.datetime_as_string(expected_days, unit="D")

    def boolean(column: np.ndarray) -> np.ndarray:
        return np.where(column < 0.1, "\\N", np.where(column < 0.55, "t", "f"))

    deadline, buyer = boolean(flag[0]), boolean(flag[1])
    lines = []
    for i in range(N_DEALS):
        closed_at = closed_text[i] if is_closed[i] else "\\N"
        lines.append(
            f"bench\tD{i}\t{rep_ids[owner_index[i]]}\t\tDeal {i}\tAcme\t{amount[i]:.2f}\t"
            f"{currency[i]}\tStage\t{status[i]}\t{created_text[i]}\t{expected_text[i]}\t"
            f"{closed_at}\t\t{deadline[i]}\t{buyer[i]}\t\\N\t\\N\t\\N\t{created_text[i]}\t"
            f"{created_text[i]}\n"
        )
    _copy(
        "deals_deal",
        [
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
            "expected_close_date",
            "closed_at",
            "loss_reason",
            "has_compelling_deadline",
            "has_economic_buyer",
            "has_champion",
            "has_decision_process",
            "has_metrics",
            "source_updated_at",
            "ingested_at",
        ],
        lines,
    )
    del lines
    # Close-date history: a share of deals had their date pushed once by 20 days.
    from deals.models import Deal

    first_id = Deal.objects.order_by("pk").values_list("pk", flat=True).first() or 1
    pushed = np.nonzero(rng.random(N_DEALS) < PUSHED_SHARE)[0]
    old_days = expected_days[pushed] - np.timedelta64(20, "D")
    old_text = np.datetime_as_string(old_days, unit="D")
    change_at = _ts(created[pushed] + 86400)
    history = [
        f"{first_id + i}\texpected_close_date\t{old}\t{expected_text[i]}\t{when}\t{when}\n"
        for i, old, when in zip(pushed.tolist(), old_text, change_at, strict=True)
    ]
    _copy(
        "deals_dealchange",
        ["deal_id", "field", "old_value", "new_value", "changed_at", "recorded_at"],
        history,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"programs": programs, "history_rows": len(history)}


# --- The panel in hand-written SQL -------------------------------------------------------------

SQL_TENURE = """
SELECT u.id, u.hire_date, u.is_active, d.source, min(d.created_at), max(d.created_at),
       max(d.closed_at)
FROM accounts_user u LEFT JOIN deals_deal d ON d.owner_id = u.id
WHERE u.role = 'rep' GROUP BY u.id, d.source ORDER BY u.id, d.source
"""
MONTH = "(date_part('year', {0})::int * 12 + date_part('month', {0})::int - 1)"
SQL_CLOSED = f"""
SELECT d.owner_id, {MONTH.format("(d.closed_at AT TIME ZONE 'UTC')")},
  count(*) FILTER (WHERE d.status = 'won'),
  count(*) FILTER (WHERE d.status = 'lost'),
  coalesce(sum(h.amount) FILTER (WHERE d.status = 'won'), 0),
  coalesce(sum(h.amount) FILTER (WHERE d.status = 'lost'), 0),
  coalesce(sum((d.closed_at AT TIME ZONE 'UTC')::date - (d.created_at AT TIME ZONE 'UTC')::date)
           FILTER (WHERE d.status = 'won'), 0),
  count(*) FILTER (WHERE d.status = 'won' AND d.currency <> %(home)s AND h.amount IS NULL),
  count(*) FILTER (WHERE d.status = 'lost' AND d.currency <> %(home)s AND h.amount IS NULL)
FROM deals_deal d
LEFT JOIN LATERAL (
  SELECT r.rate FROM deals_exchangerate r
  WHERE r.currency = d.currency AND r.valid_from <= (d.closed_at AT TIME ZONE 'UTC')::date
  ORDER BY r.valid_from DESC LIMIT 1
) rate ON d.currency <> %(home)s
CROSS JOIN LATERAL (
  SELECT CASE WHEN d.currency = %(home)s THEN d.amount ELSE d.amount * rate.rate END AS amount
) h
WHERE d.owner_id IS NOT NULL AND d.status IN ('won', 'lost')
  AND d.closed_at >= %(start)s AND d.closed_at < %(end)s
GROUP BY 1, 2
"""
SQL_NEW = f"""
SELECT owner_id, {MONTH.format("(created_at AT TIME ZONE 'UTC')")},
  count(*),
  count(*) FILTER (WHERE has_compelling_deadline),
  count(has_compelling_deadline),
  count(*) FILTER (WHERE has_economic_buyer),
  count(has_economic_buyer),
  count(*) FILTER (WHERE has_compelling_deadline AND has_economic_buyer),
  count(*) FILTER (WHERE has_compelling_deadline IS NOT NULL AND has_economic_buyer IS NOT NULL)
FROM deals_deal
WHERE owner_id IS NOT NULL AND created_at >= %(start)s AND created_at < %(end)s
GROUP BY 1, 2
"""
SQL_PUSHED = f"""
SELECT d.owner_id, {MONTH.format("c.old_date")}, count(*)
FROM (SELECT deal_id, NULLIF(old_value, '')::date AS old_date,
             NULLIF(new_value, '')::date AS new_date
      FROM deals_dealchange WHERE field = 'expected_close_date') c
JOIN deals_deal d ON d.id = c.deal_id
WHERE d.owner_id IS NOT NULL AND c.old_date >= %(first)s AND c.old_date < %(end_day)s
  AND c.new_date > c.old_date
  AND (d.closed_at IS NULL OR (d.closed_at AT TIME ZONE 'UTC')::date > c.old_date)
GROUP BY 1, 2
"""
SQL_CURRENT = f"""
SELECT owner_id, {MONTH.format("expected_close_date")},
  count(*) FILTER (WHERE closed_at IS NOT NULL
                      OR (status = 'open' AND expected_close_date < %(today)s)),
  count(*) FILTER (WHERE (closed_at IS NOT NULL
                          AND (closed_at AT TIME ZONE 'UTC')::date > expected_close_date)
                      OR (status = 'open' AND expected_close_date < %(today)s))
FROM deals_deal
WHERE owner_id IS NOT NULL AND expected_close_date >= %(first)s
  AND expected_close_date < %(end_day)s
GROUP BY 1, 2
"""


# The independent reference: one pass over the deals, each deal under its (up to) three months.
SQL_ONE_PASS = f"""
SELECT d.owner_id, k.month,
  count(*) FILTER (WHERE k.kind = 'c' AND d.status = 'won'),
  coalesce(sum(CASE WHEN d.currency = %(home)s THEN d.amount ELSE d.amount * r.rate END)
           FILTER (WHERE k.kind = 'c' AND d.status = 'won'), 0),
  coalesce(sum((d.closed_at AT TIME ZONE 'UTC')::date - (d.created_at AT TIME ZONE 'UTC')::date)
           FILTER (WHERE k.kind = 'c' AND d.status = 'won'), 0),
  count(*) FILTER (WHERE k.kind = 'n'),
  count(*) FILTER (WHERE k.kind = 'e'),
  count(*) FILTER (WHERE k.kind = 'e' AND NOT (d.status <> 'open' AND d.closed_at IS NOT NULL
                   AND (d.closed_at AT TIME ZONE 'UTC')::date <= d.expected_close_date))
FROM deals_deal d
LEFT JOIN LATERAL (
  SELECT x.rate FROM deals_exchangerate x
  WHERE x.currency = d.currency AND x.valid_from <= (d.closed_at AT TIME ZONE 'UTC')::date
  ORDER BY x.valid_from DESC LIMIT 1
) r ON d.status = 'won' AND d.currency <> %(home)s
CROSS JOIN LATERAL (VALUES
  ('n', {MONTH.format("(d.created_at AT TIME ZONE 'UTC')")}),
  ('c', CASE WHEN d.status IN ('won', 'lost') THEN
        {MONTH.format("(d.closed_at AT TIME ZONE 'UTC')")} END),
  ('e', {MONTH.format("d.expected_close_date")})
) AS k(kind, month)
WHERE d.owner_id IS NOT NULL AND k.month BETWEEN %(first_month)s AND %(last_month)s
GROUP BY 1, 2
"""
# Close dates pushed later without the deal closing by them (a reopened deal is open).
SQL_PUSHED_REFERENCE = f"""
SELECT d.owner_id, {MONTH.format("c.old_date")}, count(*)
FROM (SELECT deal_id, NULLIF(old_value, '')::date AS old_date,
             NULLIF(new_value, '')::date AS new_date
      FROM deals_dealchange WHERE field = 'expected_close_date') c
JOIN deals_deal d ON d.id = c.deal_id
WHERE d.owner_id IS NOT NULL AND c.old_date >= %(first)s AND c.old_date < %(end_day)s
  AND c.new_date > c.old_date
  AND (d.status = 'open' OR d.closed_at IS NULL
       OR (d.closed_at AT TIME ZONE 'UTC')::date > c.old_date)
GROUP BY 1, 2
"""


def panel_reference(window: Any) -> dict[str, np.ndarray]:
    """Won deals and value, cycle days, new deals, due and slipped close dates per rep (rows,
    reps by id) and month: the deals in one pass, the history in one, placed here with numpy."""
    from roi.months import month_number

    first, last = month_number(window.first), month_number(window.last)
    params = {
        "home": HOME,
        "first_month": first,
        "last_month": last,
        "first": window.first,
        "end_day": window.end_day,
    }
    rows = np.asarray(_sql_rows(SQL_ONE_PASS, params), dtype=np.float64).reshape(-1, 8)
    pushed = np.asarray(_sql_rows(SQL_PUSHED_REFERENCE, params), dtype=np.float64).reshape(-1, 3)
    reps = np.asarray(
        _sql_rows("SELECT id FROM accounts_user WHERE role = 'rep' ORDER BY id", {}),
        dtype=np.int64,
    ).ravel()
    shape = (reps.size, last - first + 1)
    out = {name: np.zeros(shape) for name in ("won", "value", "cycle", "new", "due", "slipped")}

    def add(name: str, matrix: np.ndarray, column: int) -> None:
        owners = matrix[:, 0].astype(np.int64)
        at = np.minimum(np.searchsorted(reps, owners), reps.size - 1)
        keep = reps[at] == owners  # deals of people who are not reps are not in the panel
        months = matrix[keep, 1].astype(np.int64) - first
        np.add.at(out[name], (at[keep], months), matrix[keep, column])

    for column, name in enumerate(out, start=2):
        add(name, rows, column)
    add("due", pushed, 2)
    add("slipped", pushed, 2)
    return out


def _sql_rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def panel_build_sql(window: Any, today: dt.date, coverage: Any) -> Any:
    """The panel from the five aggregations written by hand (the rate lookup as a LATERAL join,
    once per deal), placed by the same code as the ORM's rows."""
    from roi.panel import panel_assemble

    params = {
        "home": HOME,
        "start": window.start_at,
        "end": window.end_at,
        "first": window.first,
        "end_day": window.end_day,
        "today": today,
    }
    return panel_assemble(
        window=window,
        tenure=_sql_rows(SQL_TENURE, params),
        closed=_sql_rows(SQL_CLOSED, params),
        new=_sql_rows(SQL_NEW, params),
        pushed=_sql_rows(SQL_PUSHED, params),
        current=_sql_rows(SQL_CURRENT, params),
        coverage=coverage,
    )


def main() -> None:
    # BENCH_KEEP=1 keeps the database afterwards and reuses it on the next run (for profiling).
    keep = os.environ.get("BENCH_KEEP") == "1"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
    reuse = keep and exists is not None
    if not reuse:
        admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
        admin_sql(f"CREATE DATABASE {DB_NAME}")
    try:
        run(reuse=reuse)
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def run(*, reuse: bool) -> None:
    started = time.perf_counter()
    _setup_django()
    if reuse:
        from deals.models import DealChange
        from training.models import Program

        data = {
            "programs": list(Program.objects.order_by("pk")),
            "history_rows": DealChange.objects.count(),
        }
    else:
        data = _generate()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from deals.models import Deal
    from roi.models import Metric
    from roi.panel import data_coverage, panel_build
    from roi.selectors import report_window
    from roi.services import report_refresh_all
    from roi.services.refresh import report_context
    from roi.services.report_rows import (
        ReportItem,
        refresh_inputs,
        report_item_compute,
        report_rows_assemble,
    )
    from training.models import Completion

    print(
        f"data: {User.objects.count() - 1:,} reps, {Deal.objects.count():,} deals, "
        f"{data['history_rows']:,} close-date changes, {Completion.objects.count():,} "
        f"completions; ready in {time.perf_counter() - started:.0f} s"
    )
    if os.environ.get("BENCH_REFRESH_ONLY") == "1":
        from roi.services.summary import summary_rebuild

        rebuild_s, rows = _timed(summary_rebuild, repeats=1)
        print(f"    summary rebuild: {rows:,} rep-months in {rebuild_s:.1f} s ({_load()})")
        refresh_fanout()
        return
    coverage = data_coverage(today=TODAY)
    window = report_window(today=TODAY, coverage=coverage)
    if os.environ.get("BENCH_ESTIMATOR_ONLY") == "1":
        panel = panel_build(window=window, home_currency=HOME, today=TODAY, coverage=coverage)
        estimator_timings(panel, data["programs"][0])
        return

    # (a) panel: ORM against hand-written SQL, alternated so caches treat them alike. From the
    # deals: a summary kept from an earlier run (BENCH_KEEP) is set aside until (a2).
    from roi.models import SummaryState

    SummaryState.objects.all().delete()
    orm_times, sql_times = [], []
    for _ in range(3):
        t, orm_panel = _timed(
            lambda: panel_build(window=window, home_currency=HOME, today=TODAY, coverage=coverage),
            repeats=1,
        )
        orm_times.append(t)
        t, sql_panel = _timed(lambda: panel_build_sql(window, TODAY, coverage), repeats=1)
        sql_times.append(t)
    for name in ("won_count", "won_value", "won_cycle_days", "new_deals", "due", "slipped"):
        assert np.allclose(getattr(orm_panel, name), getattr(sql_panel, name)), name
    assert np.array_equal(orm_panel.active, sql_panel.active)
    orm_s, sql_s = min(orm_times), min(sql_times)
    print(
        f"(a) panel build {orm_panel.rep_ids.size:,} reps x {window.n_months} months: "
        f"ORM {orm_s:.2f} s, hand-written SQL {sql_s:.2f} s, ratio {orm_s / sql_s:.2f}x "
        f"(goal <= {GOALS['panel']}x; same arrays from both; {_load()})"
    )

    # (a2) the panel from the summary against the one-pass reference, alternated likewise.
    from roi.services.summary import summary_rebuild

    rebuild_s, summary_rows = _timed(summary_rebuild, repeats=1)
    print(f"    summary rebuild: {summary_rows:,} rep-months in {rebuild_s:.1f} s ({_load()})")
    summary_times, reference_times = [], []
    for _ in range(3):
        t, summary_panel = _timed(
            lambda: panel_build(window=window, home_currency=HOME, today=TODAY, coverage=coverage),
            repeats=1,
        )
        summary_times.append(t)
        t, reference = _timed(lambda: panel_reference(window), repeats=1)
        reference_times.append(t)
    pairs = {
        "won": summary_panel.won_count,
        "value": summary_panel.won_value,
        "cycle": summary_panel.won_cycle_days,
        "new": summary_panel.new_deals,
        "due": summary_panel.due,
        "slipped": summary_panel.slipped,
    }
    for name, values in pairs.items():
        assert np.allclose(values, reference[name]), name
    for name in ("won_count", "won_value", "new_deals", "due", "slipped"):
        assert np.allclose(getattr(summary_panel, name), getattr(orm_panel, name)), name
    summary_s, reference_s = min(summary_times), min(reference_times)
    print(
        f"(a2) panel from the summary {summary_s:.2f} s, one-pass hand-written reference "
        f"{reference_s:.2f} s, ratio {summary_s / reference_s:.2f}x (goal <= "
        f"{GOALS['summary_panel']}x; same arrays); panel from the deals {orm_s:.2f} s = "
        f"{orm_s / reference_s:.2f}x the reference ({_load()})"
    )

    if os.environ.get("BENCH_PANEL_ONLY") == "1":
        return

    # (b) the estimator, one program, every metric, 999 draws.
    program = data["programs"][0]
    estimator_timings(orm_panel, program)

    # Snapshots for every program (the nightly job), timed for reference. BENCH_QUICK=1 on a
    # kept database reuses the last run's snapshots.
    if not (reuse and os.environ.get("BENCH_QUICK") == "1"):
        refresh_s, outcome = _timed(lambda: report_refresh_all(force=True, today=TODAY), repeats=1)
        print(
            f"    full refresh: {outcome.snapshots} snapshots ({N_PROGRAMS} programs x 5 "
            f"metrics) in {refresh_s:.1f} s"
        )
        refresh_fanout()

    # (c) pages from snapshots against the program's report computed on the fly.
    client = Client()
    client.force_login(User.objects.get(email="leader@bench.example"))
    pages = ["/impact/", f"/impact/programs/{program.slug}/"]
    for url in pages:  # warm up templates and the session
        assert client.get(url).status_code == 200

    def read_pages() -> list[int]:
        counts = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts

    read_s, counts = _timed(read_pages, repeats=5)

    def on_the_fly() -> Any:
        inputs = refresh_inputs(report_context(today=TODAY))
        return report_rows_assemble(
            report_item_compute(
                item=ReportItem(kind="program", key=program.slug, metric=metric), inputs=inputs
            )
            for metric in Metric.values
        )

    fly_s, _rows = _timed(on_the_fly, repeats=1)
    print(
        f"(c) dashboard + program page from snapshots: {read_s * 1000:.0f} ms "
        f"({counts[0]} and {counts[1]} queries); on the fly: {fly_s:.1f} s; "
        f"ratio {read_s / fly_s:.4f}x (goal < {GOALS['snapshot']}x)"
    )
    print(f"total bench time {time.perf_counter() - started:.0f} s")


def estimator_timings(rep_panel: Any, program: Any) -> None:
    """(b) The estimator for one program on each metric as the report runs it (999 draws; the
    ratio metrics against a base of up to 12 months before training), fastest of three, against
    an independent floor: one product of a (draws + 1) x reps weight matrix with a reps x cells
    matrix, the multiplier bootstrap's single product over per-unit influence functions (as R
    `did` computes its draws), here with the cells of that estimate."""
    from roi.estimators.did import estimate
    from roi.reports import RATIO_BASE_MONTHS, RATIO_METRICS, estimator_panel, first_treated_vector
    from roi.selectors import months_of, program_treatments

    first = months_of(program_treatments(program=program))
    groups = first_treated_vector(rep_panel, first)
    rng = np.random.default_rng(0)
    for metric in ("bookings", "win_rate", "cycle_days", "slip_rate", "qualification"):
        panel = estimator_panel(rep_panel, rep_panel.outcome(metric), groups)
        window = RATIO_BASE_MONTHS if metric in RATIO_METRICS else 1
        est_s, result = _timed(partial(estimate, panel, n_boot=999, seed=1, base_window=window))
        weights = rng.random((1000, result.n_units))
        influence = rng.random((result.n_units, len(result.cells)))
        floor_s, _product = _timed(partial(np.matmul, weights, influence))
        print(
            f"(b) estimator, {len(first):,} trained reps, {metric}, 999 draws, "
            f"{len(result.cells)} cells: {est_s:.2f} s (goal < {GOALS['estimator_s']:.0f} s); "
            f"floor (1,000 x {result.n_units:,} @ {result.n_units:,} x {len(result.cells)}) "
            f"{floor_s:.2f} s, ratio {est_s / floor_s:.1f}x; ATT {result.simple.att:,.3g} "
            f"[{result.simple.ci_low:,.3g}, {result.simple.ci_high:,.3g}] ({_load()})"
        )


REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def refresh_fanout() -> None:
    """(d) The full refresh in this process, then as the chord roi.tasks sends, on a real worker
    of 1 and 2 processes. Each worker is started and answers a ping before the clock starts; the
    time runs from sending the chord until its callback has committed the snapshots."""
    import subprocess
    import uuid

    from celery import Celery, chord

    from roi.models import RefreshState
    from roi.services import report_refresh_all
    from roi.services.refresh import report_refresh_plan

    serial_s, outcome = _timed(lambda: report_refresh_all(force=True, today=TODAY), repeats=1)
    print(
        f"(d) full refresh in one process: {outcome.snapshots} snapshots in {serial_s:.1f} s "
        f"({_load()})"
    )
    counts = [int(n) for n in os.environ.get("BENCH_WORKERS", "1,2").split(",")]
    for processes in counts:
        queue = f"bench-roi-{uuid.uuid4().hex[:8]}"
        env = site_env(
            f"{SERVER}/{DB_NAME}",
            redis_url=REDIS_URL,
            CELERY_RESULT_BACKEND=REDIS_URL,
            CELERY_TASK_DEFAULT_QUEUE=queue,
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
             "--concurrency", str(processes), "--queues", queue, "--loglevel", "WARNING",
             "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        client = Celery("bench-roi", broker=REDIS_URL, backend=REDIS_URL)
        try:
            assert client.send_task("core.tasks.ping", ["x"], queue=queue).get(120) == "pong:x"
            run = report_refresh_plan(force=True, today=TODAY)
            assert run is not None
            message = run.as_message()
            header = [
                client.signature("roi.tasks.compute_report_item", (message, dict(i)), queue=queue)
                for i in run.items
            ]
            publish = client.signature("roi.tasks.publish_reports", (message,), queue=queue)
            load_before = _load()
            started = time.perf_counter()
            chord(header, app=client)(publish)
            while not RefreshState.objects.filter(run_id=run.run_id).exists():
                if time.perf_counter() - started > 3600:
                    raise TimeoutError("the chord did not publish within an hour")
                time.sleep(0.2)
            chord_s = time.perf_counter() - started
        finally:
            client.close()
            worker.terminate()  # also ends the efficiency warm the callback starts after publishing
            worker.wait(timeout=60)
        print(
            f"    as a chord of {len(run.items)} tasks on 1 worker, {processes} process(es): "
            f"{chord_s:.1f} s = {serial_s / chord_s:.2f}x the one-process refresh "
            f"(goal at 5,000 reps with two workers: < 15 s; {load_before} before, {_load()} after)"
        )


if __name__ == "__main__":
    main()
