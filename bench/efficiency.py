"""The efficiency vs effectiveness report (roi.efficiency) at 1x and N x the demo organisation,
against an independent reference in hand-written SQL (bench/efficiency_reference.py).

In one run (PostgreSQL; databases {BENCH_DB_PREFIX}_{n}x, created and dropped here): the demo
(`seed_demo`, which also refreshes the impact reports), copies with n times the reps and
everything the report reads of them (bench/demo_scale.py), then per scale the leader's report
over 12 months built ROUNDS times in a fresh process (median time, number of queries) and the
reference run ROUNDS times (median time). Every figure of every row (each team, the total,
each month: reps, rep-months, spend, each outcome's value, interval and n) must agree; the
report's time is printed as a ratio to the reference's, with the load average. The page's own
query count is pinned in tests/roi/test_efficiency.py; this shows it stays put at the size of a
large organisation (the demo has 88 reps: --scales 1,57 is about 5,000) and how the time grows.

Run: .venv/bin/python bench/efficiency.py [--scales 1,10] [--rounds 3] [--keep]
(BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432; BENCH_DB_PREFIX, default
coachline_bench_efficiency; --keep leaves the databases for a look afterwards.)
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from efficiency_reference import reference_rows
from served_site import (
    ROOT,
    SERVER,
    drop_databases,
    load_average,
    prepare_databases,
    site_env,
)


def _arg(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


SCALES = [int(n) for n in _arg("--scales", "1,10").split(",")]
ROUNDS = int(_arg("--rounds", "3"))
MONTHS = 12  # the leader's default period, "12m"
PREFIX = os.environ.get("BENCH_DB_PREFIX", "coachline_bench_efficiency")

_MEASURE = """
import json, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from roi.efficiency.report import efficiency_report_build
from roi.efficiency.cache import efficiency_report_read, efficiency_reports_warm
from roi.efficiency.tables import row_as_dict

leader = User.objects.get(email__startswith="leader@")
times, queries, report = [], 0, None
for _ in range(int(sys.argv[1])):
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        report = efficiency_report_build(principal=leader, period="12m")
        times.append(time.perf_counter() - start)
    queries = len(captured)
rows = [row_as_dict(r) for r in [*report.groups, report.total, *report.months]]
# What the page reads: after a refresh the worker stores the reports (warm), then the leader's
# view is read from the cache.
start = time.perf_counter()
warmed = efficiency_reports_warm()
warm_seconds = time.perf_counter() - start
read_times = []
for _ in range(int(sys.argv[1])):
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        read = efficiency_report_read(principal=leader, period="12m")
        read_times.append(time.perf_counter() - start)
    read_queries = len(captured)
assert read.as_of is not None and read.total.rep_months == report.total.rep_months
print(json.dumps({
    "reps": report.total.reps, "rep_months": report.total.rep_months,
    "seconds": statistics.median(times), "queries": queries, "rows": rows,
    "warm_seconds": warm_seconds, "warmed": warmed,
    "read_seconds": statistics.median(read_times), "read_queries": read_queries,
}))
"""


_OUTCOMES = (
    "bookings_per_rep_month",
    "win_rate",
    "cycle_days",
    "slip_rate",
    "meetings_per_rep_month",
    "meeting_advance_rate",
    "stage_advance_days",
)


def _flat_reference(row: dict[str, Any]) -> dict[str, Any]:
    """A reference row in the report's row_as_dict names."""
    out = {
        "reps": row["reps"],
        "rep_months": row["rep_months"],
        "tool_spend_per_rep_month": row["tool_spend"],
        "enablement_spend_per_rep_month": row["enablement_spend"],
    }
    for name in _OUTCOMES:
        figure = row["outcomes"][name]
        out.update(
            {
                name: figure["value"],
                f"{name}_low": figure["low"],
                f"{name}_high": figure["high"],
                f"{name}_n": figure["n"],
            }
        )
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def compare(ours: list[dict[str, Any]], reference: dict[str, dict[str, Any]]) -> list[str]:
    """Every figure of every row that differs between the report and the reference (empty:
    the same rows, figure for figure)."""
    mine = {row["key"]: row for row in ours}
    problems = [f"row {k}: only in the report" for k in sorted(set(mine) - set(reference))]
    problems += [f"row {k}: only in the reference" for k in sorted(set(reference) - set(mine))]
    for key in sorted(set(mine) & set(reference)):
        expected = _flat_reference(reference[key])
        for name, value in expected.items():
            if not _same(mine[key][name], value):
                problems.append(f"{key} {name}: report {mine[key][name]!r}, reference {value!r}")
    return problems


def _measure(scale: int) -> dict[str, float]:
    env = site_env(f"{SERVER}/{PREFIX}_{scale}x")
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(ROUNDS)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _reference(scale: int) -> tuple[dict[str, dict[str, Any]], float]:
    """The reference's rows and its median time over ROUNDS runs (a new connection each)."""
    url = f"{SERVER}/{PREFIX}_{scale}x"
    times, rows = [], {}
    for _ in range(ROUNDS):
        start = time.perf_counter()
        rows = reference_rows(url, months=MONTHS)
        times.append(time.perf_counter() - start)
    return rows, statistics.median(times)


def _analyse(names: list[str]) -> None:
    """Plan both sides on current statistics, as autovacuum would have them in production."""
    for name in names:
        with psycopg.connect(f"{SERVER}/{name}", autocommit=True) as conn:
            conn.execute("ANALYZE")


def main() -> None:
    names = [f"{PREFIX}_{n}x" for n in SCALES]
    rows: dict[int, dict[str, Any]] = {}
    try:
        prepare_databases(PREFIX, SCALES)
        _analyse(names)
        for n in SCALES:
            rows[n] = _measure(n)
            reference, seconds = _reference(n)
            rows[n]["reference_seconds"] = seconds
            rows[n]["problems"] = compare(rows[n]["rows"], reference)
            rows[n]["figures"] = sum(len(_flat_reference(r)) for r in reference.values())
            print(f"{n}x measured, load average {load_average()}", flush=True)
    finally:
        if "--keep" not in sys.argv:
            drop_databases(names)
    base = rows[SCALES[0]]
    print(f"load average {load_average()}")
    header = ("scale", "reps", "rep-months", "queries", "seconds", "time ratio", "ref s", "vs ref")
    print(" ".join(f"{h:>10}" for h in header))
    for n, row in rows.items():
        ratio = row["seconds"] / base["seconds"] if base["seconds"] else float("nan")
        print(
            f"{n:>9}x {row['reps']:>10.0f} {row['rep_months']:>10.0f} {row['queries']:>10.0f} "
            f"{row['seconds']:>10.3f} {ratio:>10.2f} {row['reference_seconds']:>10.3f} "
            f"{row['seconds'] / row['reference_seconds']:>9.2f}x"
        )
    same = len({row["queries"] for row in rows.values()}) == 1
    print("queries constant across scales:", "yes" if same else "NO")
    print("the page's read, after the refresh stored the reports (roi.efficiency.cache):")
    for n, row in rows.items():
        print(
            f"{n:>9}x warm {row['warmed']:.0f} reports in {row['warm_seconds']:.1f} s; "
            f"read {row['read_seconds'] * 1000:.1f} ms in {row['read_queries']:.0f} queries"
        )
    for n, row in rows.items():
        problems = row["problems"]
        verdict = "same" if not problems else f"{len(problems)} DIFFER"
        print(f"{n}x: {len(row['rows'])} rows, {row['figures']} figures vs reference: {verdict}")
        for line in problems[:20]:
            print("   ", line)


if __name__ == "__main__":
    main()
