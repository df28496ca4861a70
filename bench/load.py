"""A mixed day on loopback: how many requests/s the site sustains with p95 under 300 ms.

In one run (PostgreSQL; database {BENCH_DB_PREFIX}_1x, created and dropped here): the demo
organisation (`seed_demo`) in gunicorn (--workers 2, DEBUG=false, bench/bench_settings.py) on
127.0.0.1:BENCH_PORT; wrk replays a mix of GET requests, each request drawn at random:
  60% reps learning (my learning, the catalog, a course, a lesson, home), as 20 different reps;
  20% coaches (dashboard, week calendar, a coachee's history);
  10% managers (team progress, team deals, deal hygiene);
   5% leaders (impact dashboard, a program report);
   5% API (deals, sessions, users lists) with a key.
It steps the number of concurrent connections (4, 8, 16, 32, 64; SECONDS each, bounded) and
prints req/s, p50 and p95 per step, then the best req/s whose p95 stayed under 300 ms. The goal
(issue #13) is at least 150 requests/s. Reads only: the writes of a day (a lesson marked done,
a session booked) are not in the mix.

Run: .venv/bin/python bench/load.py [--seconds 8] [--scale 1]
(BENCH_PG_URL; BENCH_PORT, default 8610; BENCH_DB_PREFIX, default coachline_bench_load; `wrk`.)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from served_site import (
    DEMO,
    SERVER,
    Gunicorn,
    Logins,
    check_page,
    drop_databases,
    load_average,
    prepare_databases,
    wrk,
)


def _arg(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


SECONDS = float(_arg("--seconds", "8"))
SCALE = int(_arg("--scale", "1"))
PREFIX = os.environ.get("BENCH_DB_PREFIX", "coachline_bench_load")
STEPS = [4, 8, 16, 32, 64]
P95_LIMIT_MS, GOAL_RPS = 300, 150
REPS = 20


def _mix(logins: Logins) -> list[tuple[float, str, dict[str, str]]]:
    """(weight, path, headers) for every request of the day."""
    ids = logins.ids

    def cookie(email: str) -> dict[str, str]:
        return {"Cookie": f"sessionid={logins.cookies[email]}"}

    reps = [e for e in logins.cookies if e not in {f"{r}@{DEMO}" for r in ("coach", "manager")}]
    reps = [e for e in reps if not e.startswith(("leader@", "admin@"))][:REPS]
    rep_pages = [
        "/learn/",
        "/learn/catalog/",
        f"/learn/courses/{ids['course']}/",
        f"/learn/courses/{ids['course']}/{ids['lesson']}/",
        "/",
    ]
    coach_pages = ["/coaching/", "/coaching/calendar/", f"/coaching/people/{ids['rep']}/"]
    manager_pages = ["/learn/team/", "/deals/", "/deals/hygiene/"]
    leader_pages = ["/impact/", f"/impact/programs/{ids['program']}/"]
    api = ["/api/v1/deals/", "/api/v1/coaching/sessions/", "/api/v1/users/"]
    key = {"Authorization": f"Bearer {logins.api_key}"}
    mix: list[tuple[float, str, dict[str, str]]] = []
    mix += [(0.60 / (len(reps) * len(rep_pages)), p, cookie(r)) for r in reps for p in rep_pages]
    mix += [(0.20 / len(coach_pages), p, cookie(f"coach@{DEMO}")) for p in coach_pages]
    mix += [(0.10 / len(manager_pages), p, cookie(f"manager@{DEMO}")) for p in manager_pages]
    mix += [(0.05 / len(leader_pages), p, cookie(f"leader@{DEMO}")) for p in leader_pages]
    mix += [(0.05 / len(api), p, key) for p in api]
    return mix


def _script(mix: list[tuple[float, str, dict[str, str]]]) -> str:
    """wrk Lua: each request is drawn from the mix by its weight."""
    entries = []
    cumulative = 0.0
    for weight, path, headers in mix:
        cumulative += weight
        entries.append({"upto": cumulative, "path": path, "headers": headers})
    return (
        "local mix = " + _lua(entries) + "\n"
        "local total = " + repr(cumulative) + "\n"
        "init = function(args) math.randomseed(os.time() + math.floor(os.clock() * 1e6)) end\n"
        "request = function()\n"
        "  local x = math.random() * total\n"
        "  for _, e in ipairs(mix) do\n"
        "    if x <= e.upto then return wrk.format('GET', e.path, e.headers) end\n"
        "  end\n"
        "  local e = mix[#mix]\n"
        "  return wrk.format('GET', e.path, e.headers)\n"
        "end\n"
    )


def _lua(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def main() -> None:
    print(f"load average at start: {load_average()}")
    logins = prepare_databases(PREFIX, [SCALE] if SCALE == 1 else [1, SCALE], extra_reps=REPS)
    try:
        mix = _mix(logins)
        script = _script(mix)
        with Gunicorn(f"{SERVER}/{PREFIX}_{SCALE}x"):
            for _weight, path, headers in mix:
                check_page(path, headers)
            print(f"{'connections':>11}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'non-2xx':>9}")
            best = 0.0
            for connections in STEPS:
                r = wrk("/", connections=connections, seconds=SECONDS, script=script)
                print(
                    f"{connections:>11}{r.rps:>9.0f}{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}"
                    f"{r.non_2xx + r.errors:>9}"
                )
                if r.p95_ms < P95_LIMIT_MS and not (r.non_2xx or r.errors):
                    best = max(best, r.rps)
                if r.p95_ms >= 2 * P95_LIMIT_MS:
                    break  # past saturation: more connections only queue
        verdict = "ok" if best >= GOAL_RPS else "below goal"
        print(
            f"mixed day at {SCALE}x demo data: {best:.0f} req/s with p95 < {P95_LIMIT_MS} ms "
            f"(goal {GOAL_RPS}): {verdict}"
        )
    finally:
        drop_databases([f"{PREFIX}_{n}x" for n in {1, SCALE}])
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
