"""Key pages per role and the API lists, at 1x and 10x the demo data, against hello-world.

In one run (PostgreSQL; databases {BENCH_DB_PREFIX}_1x and _10x, created and dropped here):
  - the demo organisation (`seed_demo`), and a copy of it with ten times the reps, their deals,
    deal history, assignments, progress, completions and coaching sessions (bench/demo_scale.py:
    the demo coach gets ten times the coachees and sessions, each manager ten times the team);
  - per scale, the site in gunicorn (--workers 2, DEBUG=false, the production settings plus a
    bench-only URLconf, bench/bench_settings.py) on 127.0.0.1:BENCH_PORT;
  - wrk, 8 concurrent keep-alive clients, SECONDS per URL in ROUNDS interleaved rounds (a busy
    spell on the shared machine hits every URL alike), signed in as the demo rep, coach,
    manager and leader, the API with a key;
  - the reference: a hello-world view served by the same gunicorn, through the same middleware.
It prints per URL and scale: req/s, p50 and p95 latency, the ratio to hello-world at that scale,
and the 10x/1x ratio of req/s, with the load average (the machine is shared: read the ratios).

Goals (issue #13): every page >= 0.1x hello-world with p95 < 150 ms at 10x, API lists >= 0.25x,
10x within 1.2x of 1x (10x/1x req/s >= 1/1.2 = 0.83).

Run: .venv/bin/python bench/pages.py [--seconds 3] [--rounds 3] [--scales 1,10]
     [--pages "coach calendar,API deals"]  (only these pages, beside hello-world; a short run)
(BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432; BENCH_PORT, default 8610;
BENCH_DB_PREFIX, default coachline_bench_pages; needs `wrk`.)
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from served_site import (
    DEMO,
    SERVER,
    Gunicorn,
    WrkResult,
    check_page,
    drop_databases,
    load_average,
    prepare_databases,
    wrk,
)


def _arg(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


SECONDS = float(_arg("--seconds", "3"))
ROUNDS = int(_arg("--rounds", "3"))
SCALES = [int(n) for n in _arg("--scales", "1,10").split(",")]
ONLY = [n.strip() for n in _arg("--pages", "").split(",") if n.strip()]
PREFIX = os.environ.get("BENCH_DB_PREFIX", "coachline_bench_pages")
CONNECTIONS = 8
PAGE_GOAL, API_GOAL, P95_GOAL_MS, GROWTH_GOAL = 0.1, 0.25, 150, 1.2
HELLO = "hello world (reference)"


def _targets(ids: dict[str, object]) -> list[tuple[str, str, str]]:
    """(who, name, path); who is an email's local part or "api"."""
    return [
        ("rep", "home", "/"),
        ("rep", "my learning", "/learn/"),
        ("rep", "catalog", "/learn/catalog/"),
        ("rep", "lesson", f"/learn/courses/{ids['course']}/{ids['lesson']}/"),
        ("rep", "my coaching", "/coaching/"),
        ("rep", "my deals", "/deals/"),
        ("coach", "coach dashboard", "/coaching/"),
        ("coach", "coach calendar", "/coaching/calendar/"),
        ("coach", "coachee history", f"/coaching/people/{ids['rep']}/"),
        ("manager", "team progress", "/learn/team/"),
        ("manager", "team deals", "/deals/"),
        ("leader", "impact dashboard", "/impact/"),
        ("leader", "program report", f"/impact/programs/{ids['program']}/"),
        ("api", "API deals", "/api/v1/deals/"),
        ("api", "API sessions", "/api/v1/coaching/sessions/"),
        ("api", "API users", "/api/v1/users/"),
        ("api", "API courses", "/api/v1/courses/"),
    ]


def main() -> None:
    print(f"load average at start: {load_average()}")
    logins = prepare_databases(PREFIX, SCALES)
    try:
        _run(logins)
    finally:
        drop_databases([f"{PREFIX}_{n}x" for n in SCALES])
    print(f"load average at end: {load_average()}")


def _headers(who: str, logins: object) -> dict[str, str]:
    from served_site import Logins

    assert isinstance(logins, Logins)
    if who == "api":
        return {"Authorization": f"Bearer {logins.api_key}"}
    if who == "hello":
        return {}
    return {"Cookie": f"sessionid={logins.cookies[f'{who}@{DEMO}']}"}


def _run(logins: object) -> None:
    from served_site import Logins

    assert isinstance(logins, Logins)
    pages = [t for t in _targets(logins.ids) if not ONLY or t[1] in ONLY]
    if ONLY and len(pages) != len(ONLY):
        raise SystemExit(f"unknown page in --pages: {ONLY}")
    targets = [("hello", HELLO, "/bench/hello/"), *pages]
    results: dict[int, dict[str, WrkResult]] = {}
    for scale in SCALES:
        runs: dict[str, list[WrkResult]] = {name: [] for _w, name, _p in targets}
        with Gunicorn(f"{SERVER}/{PREFIX}_{scale}x"):
            for who, _name, path in targets:  # warm up, and every URL answers 200
                check_page(path, _headers(who, logins))
                wrk(path, headers=_headers(who, logins), connections=CONNECTIONS, seconds=1)
            for _ in range(ROUNDS):
                for who, name, path in targets:
                    result = wrk(
                        path,
                        headers=_headers(who, logins),
                        connections=CONNECTIONS,
                        seconds=SECONDS,
                    )
                    if result.non_2xx or result.errors:
                        raise SystemExit(f"{name}: {result}")
                    runs[name].append(result)
        # The median round by req/s, so req/s and its latencies come from the same run.
        results[scale] = {
            name: sorted(rs, key=lambda r: r.rps)[len(rs) // 2] for name, rs in runs.items()
        }
        print(f"{scale}x measured; load average {load_average()}")

    first, last = SCALES[0], SCALES[-1]
    header = f"{'who':<8}{'page':<22}"
    for scale in SCALES:
        header += f"{f'{scale}x req/s':>12}{'p50':>7}{'p95':>7}{'ratio':>7}"
    header += f"{f'{last}x/{first}x':>9}  verdict at {last}x"
    print(header)
    for who, name, _path in targets:
        line = f"{who:<8}{name:<22}"
        for scale in SCALES:
            r = results[scale][name]
            ratio = r.rps / results[scale][HELLO].rps
            line += f"{r.rps:>12.0f}{r.p50_ms:>7.1f}{r.p95_ms:>7.1f}{ratio:>7.2f}"
        growth = results[last][name].rps / results[first][name].rps
        line += f"{growth:>9.2f}"
        if who != "hello":
            line += "  " + _verdict(who, results[last][name], results[last][HELLO], growth)
        print(line)
    pages = [n for w, n, _p in targets if w not in ("hello", "api")]
    ratios = [results[last][n].rps / results[last][HELLO].rps for n in pages]
    print(
        f"pages at {last}x: median ratio {statistics.median(ratios):.2f}, lowest {min(ratios):.2f};"
        f" goals: pages >= {PAGE_GOAL}x and p95 < {P95_GOAL_MS} ms, API lists >= {API_GOAL}x,"
        f" {last}x/{first}x req/s >= {1 / GROWTH_GOAL:.2f} (within {GROWTH_GOAL}x)"
    )
    print("latencies in ms; ratio = req/s / hello-world req/s in the same gunicorn and scale")


def _verdict(who: str, r: WrkResult, hello: WrkResult, growth: float) -> str:
    misses = []
    goal = API_GOAL if who == "api" else PAGE_GOAL
    if r.rps / hello.rps < goal:
        misses.append(f"ratio < {goal}")
    if who != "api" and r.p95_ms >= P95_GOAL_MS:
        misses.append(f"p95 >= {P95_GOAL_MS} ms")
    if growth < 1 / GROWTH_GOAL:
        misses.append("grows with data")
    return "ok" if not misses else "; ".join(misses)


if __name__ == "__main__":
    main()
