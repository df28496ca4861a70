"""Coaching: "find a slot" for a coach with 500 sessions, and the query counts of the pages.

In one run, on a database of its own (a temporary SQLite file, or with --postgres a database
coachline_bench_coaching created and dropped here):
  - a coach with 500 sessions (the last 10 weeks and the next 20), 10 coachees, weekly hours
    Monday to Friday 8:00-18:00; the chosen rep has 100 sessions of their own with other coaches;
  - find-a-slot over the next 28 days, 60-minute sessions: its queries (the goal is at most two)
    and its time, best of 30;
  - the reference measured in the same run: one plain indexed read of the same rows (both
    people's holds in the horizon), best of 30. The ratio says how much the slot search costs on
    top of reading what it must read;
  - the number of queries of the week calendar, the coach dashboard, the rep's history and the
    session list API, at 500 sessions and at 50 (they must not grow).

Run: .venv/bin/python bench/coaching.py [--postgres]   (PostgreSQL: BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432)
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SESSIONS = 500
REPEATS = 30
USE_PG = "--postgres" in sys.argv
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "coachline_bench_coaching"


def _setup_database() -> Callable[[], None]:
    """Point Django at a fresh database; returns the clean-up."""
    if USE_PG:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_DB}"

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")

        return drop
    folder = tempfile.TemporaryDirectory(prefix="coachline-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder.name}/bench.sqlite3"
    return folder.cleanup


def _best(repeats: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    cleanup = _setup_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    try:
        _run()
    finally:
        cleanup()


def _populate(*, sessions: int) -> tuple[Any, Any]:
    from django.utils import timezone

    from accounts.models import CoachAssignment, User
    from accounts.roles import Role
    from coaching.models import AvailabilityWindow, CoachingSession, SessionParticipant

    suffix = str(sessions)
    coach = User.objects.create_user(
        f"coach{suffix}@bench.example", "x", full_name="Bench Coach", role=Role.COACH
    )
    other_coach = User.objects.create_user(
        f"other{suffix}@bench.example", "x", full_name="Other Coach", role=Role.COACH
    )
    reps = [
        User.objects.create_user(f"rep{suffix}-{i}@bench.example", "x", full_name=f"Rep {i}")
        for i in range(10)
    ]
    for rep in reps:
        CoachAssignment.objects.create(coach=coach, coachee=rep)
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(coach=coach, weekday=d, start_time=dt.time(8), end_time=dt.time(18))
        for d in range(5)
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    first = now - dt.timedelta(weeks=10)
    rows = []
    # The coach: sessions every 4 working hours from 10 weeks ago, 500 in all.
    slot = first
    while len(rows) < sessions:
        slot += dt.timedelta(hours=4)
        if slot.weekday() >= 5 or not 8 <= slot.hour < 17:
            continue
        rep = reps[len(rows) % len(reps)]
        past = slot < now
        rows.append(
            CoachingSession(
                coach=coach,
                rep=rep,
                kind="one_on_one",
                status="completed" if past else "scheduled",
                start=slot,
                end=slot + dt.timedelta(hours=1),
                completed_at=slot if past else None,
            )
        )
    # The chosen rep: 100 more with another coach, in between the coach's (two hours off the
    # coach's four-hour rhythm, so nobody is double-booked: PostgreSQL would refuse it).
    slot = first + dt.timedelta(hours=2)
    added = 0
    while added < sessions // 5:
        slot += dt.timedelta(hours=8)
        if slot.weekday() >= 5 or not 8 <= slot.hour < 17:
            continue
        rows.append(
            CoachingSession(
                coach=other_coach,
                rep=reps[0],
                kind="role_play",
                status="scheduled" if slot > now else "completed",
                start=slot,
                end=slot + dt.timedelta(minutes=30),
            )
        )
        added += 1
    saved = CoachingSession.objects.bulk_create(rows)
    SessionParticipant.objects.bulk_create(
        SessionParticipant(session=s, user_id=u, start=s.start, end=s.end)
        for s in saved
        for u in sorted([s.coach_id, s.rep_id])
    )
    return coach, reps[0]


def _page_queries(coach: Any, rep: Any) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(coach)
    counts = {}
    for name, url in (
        ("week calendar", "/coaching/calendar/"),
        ("coach dashboard", "/coaching/"),
        ("rep history", f"/coaching/people/{rep.pk}/"),
        ("session list API", "/api/v1/coaching/sessions/"),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[name] = len(queries)
    return counts


def _run() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from coaching.models import SessionParticipant
    from coaching.selectors import slot_list_free

    call_command("migrate", verbosity=0)
    small_coach, small_rep = _populate(sessions=50)
    coach, rep = _populate(sessions=SESSIONS)
    now = timezone.now()
    horizon_days = 28

    def find() -> list[Any]:
        return slot_list_free(
            coach=coach,
            rep=rep,
            duration=dt.timedelta(hours=1),
            days=horizon_days,
            now=now,
            limit=1000,
        )

    def reference() -> list[Any]:
        horizon = now + dt.timedelta(days=horizon_days + 1)
        return list(
            SessionParticipant.objects.filter(
                user_id__in=[coach.pk, rep.pk], is_active=True, start__lt=horizon, end__gt=now
            ).values_list("start", "end")
        )

    with CaptureQueriesContext(connection) as queries:
        slots = find()
    busy = len(reference())
    find_time = _best(REPEATS, find)
    reference_time = _best(REPEATS, reference)

    vendor = connection.vendor
    print(f"Coaching bench on {vendor}")
    print(f"  coach with {SESSIONS} sessions; {busy} holds of coach and rep in the horizon")
    print(
        f"  find a slot, next {horizon_days} days, 60 min: {len(slots)} free slots, "
        f"{len(queries)} queries (goal: at most 2), {find_time * 1000:.2f} ms"
    )
    print(f"  reference, plain read of the same holds: {reference_time * 1000:.2f} ms")
    print(f"  ratio find-a-slot / reference: {find_time / reference_time:.1f}x")
    big = _page_queries(coach, rep)
    small = _page_queries(small_coach, small_rep)
    print("  queries per page at 50 and at 500 sessions (must not grow):")
    for name in big:
        print(f"    {name:<18} {small[name]:>3} {big[name]:>3}")
    if len(queries) > 2 or any(big[k] != small[k] for k in big):
        raise SystemExit("FAILED: more queries than allowed")


if __name__ == "__main__":
    main()
