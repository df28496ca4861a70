"""The efficiency vs effectiveness report (roi.efficiency) at 1x and N x the demo organisation.

In one run (PostgreSQL; databases {BENCH_DB_PREFIX}_{n}x, created and dropped here): the demo
(`seed_demo`, which also refreshes the impact reports), copies with n times the reps, their
deals and history (bench/demo_scale.py), then per scale, in a fresh process, the leader's report
over 12 months built ROUNDS times: the median time and the number of queries. The page's own
query count is pinned in tests/roi/test_efficiency.py; this shows it stays put at the size of a
large organisation (the demo has 88 reps: --scales 1,57 is about 5,000) and how the time grows.

Run: .venv/bin/python bench/efficiency.py [--scales 1,10] [--rounds 3]
(BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432; BENCH_DB_PREFIX, default
coachline_bench_efficiency.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
PREFIX = os.environ.get("BENCH_DB_PREFIX", "coachline_bench_efficiency")

_MEASURE = """
import json, statistics, sys, time
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from roi.efficiency.report import efficiency_report_build

leader = User.objects.get(email__startswith="leader@")
times, queries, report = [], 0, None
for _ in range(int(sys.argv[1])):
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        report = efficiency_report_build(principal=leader, period="12m")
        times.append(time.perf_counter() - start)
    queries = len(captured)
print(json.dumps({
    "reps": report.total.reps, "rep_months": report.total.rep_months,
    "seconds": statistics.median(times), "queries": queries,
}))
"""


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


def main() -> None:
    names = [f"{PREFIX}_{n}x" for n in SCALES]
    try:
        prepare_databases(PREFIX, SCALES)
        rows = {n: _measure(n) for n in SCALES}
    finally:
        drop_databases(names)
    base = rows[SCALES[0]]
    print(f"load average {load_average()}")
    header = ("scale", "reps", "rep-months", "queries", "seconds", "time ratio")
    print(" ".join(f"{h:>10}" for h in header))
    for n, row in rows.items():
        ratio = row["seconds"] / base["seconds"] if base["seconds"] else float("nan")
        print(
            f"{n:>9}x {row['reps']:>10.0f} {row['rep_months']:>10.0f} {row['queries']:>10.0f} "
            f"{row['seconds']:>10.3f} {ratio:>10.2f}"
        )
    same = len({row["queries"] for row in rows.values()}) == 1
    print("queries constant across scales:", "yes" if same else "NO")


if __name__ == "__main__":
    main()
